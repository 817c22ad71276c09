package retention

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reapd/reapd/catchup"
	"github.com/reapd/reapd/retention/retentiontest"
)

var mapURIRE = regexp.MustCompile(`URI="([^"]+)"`)

// fetchHLS plays a catch-up window as an HLS client does (multivariant,
// media playlists, init and media segments) and returns the status of
// every response.
func fetchHLS(ctx context.Context, base string, from, to time.Time) []int {
	var codes []int
	get := func(u string) []string {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode != http.StatusOK || !strings.Contains(u, ".m3u8") {
			io.Copy(io.Discard, resp.Body)
			return nil
		}
		ref, _ := url.Parse(u)
		var out []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if m := mapURIRE.FindStringSubmatch(line); m != nil && strings.HasPrefix(line, "#EXT-X-MAP") {
				line = m[1]
			}
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if u, err := ref.Parse(line); err == nil {
				out = append(out, u.String())
			}
		}
		return out
	}
	master := fmt.Sprintf("%s/catchup/ch1/master.m3u8?start=%d&end=%d", base, from.Unix(), to.Unix())
	for _, media := range get(master) {
		for _, seg := range get(media) {
			get(seg)
		}
	}
	return codes
}

// TestCatchUpDuringRetentionNeverFails: while a retention run deletes
// periods, catch-up clients of held and deleted ranges get 200 or 404,
// never a 5xx.
func TestCatchUpDuringRetentionNeverFails(t *testing.T) {
	r := newRig(t, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := CreateHold(ctx, r.store, Hold{Channel: "ch1", From: at(22), To: at(24)}, r.clock()); err != nil {
		t.Fatal(err)
	}
	cu := catchup.New(r.store, &catchup.Options{Now: r.clock})
	srv := httptest.NewServer(cu.Handler())
	defer srv.Close()

	windows := [][2]time.Time{{at(20), at(30)}, {at(0), at(10)}, {at(8), at(34)}, {at(30), at(50)}} // held, deleted, across both, deleted
	rounds := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int]int{}
	var served atomic.Int64
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := i; ctx.Err() == nil; j++ {
				w := windows[j%len(windows)]
				codes := fetchHLS(ctx, srv.URL, w[0], w[1])
				mu.Lock()
				for _, c := range codes {
					seen[c]++
					if c >= 500 {
						t.Errorf("window %v: status %d during retention", w, c)
					}
				}
				mu.Unlock()
				served.Add(int64(len(codes)))
				select {
				case rounds <- struct{}{}:
				default:
				}
			}
		}()
	}
	ret := r.retention(Options{Defaults: Policy{MaxAge: 30 * time.Second}, OnDelete: cu.Invalidate})
	ret.opts.testHook = func(string, int64) { // let clients play between the steps
		for range len(windows) {
			<-rounds
		}
	}
	pl, err := ret.Run(ctx, "ch1", false)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := deletedKs(pl), ks(0, 1, 3, 4); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("deleted %v, want %v", got, want)
	}
	if seen[http.StatusOK] == 0 || seen[http.StatusNotFound] == 0 {
		t.Fatalf("statuses %v: want both served and deleted ranges", seen)
	}
	t.Logf("%d responses during the run: %v", served.Load(), seen)
	retentiontest.CheckNoDangling(t, r.store, "ch1", true)
}
