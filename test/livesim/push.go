package livesim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// PushOptions describe one push (the body of livesim2's
// POST /api/cmaf-ingests).
type PushOptions struct {
	// DestRoot is the ingest URL root, e.g. http://127.0.0.1:8080/ingest;
	// DestName is appended as one more path segment (the channel).
	DestRoot string `json:"destRoot"`
	DestName string `json:"destName"`
	// URL is the livesim2 MPD URL without scheme and host, which names the
	// asset and livesim2's URL options, e.g.
	// /livesim2/testpic_2s/Manifest.mpd or
	// /livesim2/ato_1.5/chunkdur_0.5/testpic_2s_low_delay/Manifest.mpd.
	URL string `json:"livesimURL"`
	// Duration in seconds: floor(Duration/D)+1 segments per track.
	Duration int `json:"duration"`
	// StreamsURLs sends everything of a track to Streams({rep}.cmf[vat]).
	StreamsURLs bool `json:"streamsURLs,omitempty"`
	// User and Password, when set, are sent as HTTP Basic credentials.
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
}

// Push is a push livesim2 runs.
type Push struct {
	ID      string // livesim2's ingester number
	Opts    PushOptions
	Started time.Time // when livesim2 accepted it
	s       *Server
}

// PushResult is what livesim2 says of a finished push.
type PushResult struct {
	// Segments are the paths (below destName) of the media segments
	// livesim2 logged sending, in its order.
	Segments []string
	// Problems are livesim2's WARN and ERROR log lines of the push (for
	// example "bad status code: 400" from the receiver), verbatim.
	Problems []string
	// Report is livesim2's report (GET /api/cmaf-ingests/{id}).
	Report string
}

// Push starts a push and returns at once; livesim2 sends the headers
// right away and the segments in real time. The push is stopped when the
// test ends.
func (s *Server) Push(t testing.TB, opts PushOptions) *Push {
	t.Helper()
	p, err := s.StartPush(opts)
	if err != nil {
		t.Fatalf("livesim: %v", err)
	}
	t.Cleanup(p.Cancel)
	return p
}

// StartPush is Push without the test (for a goroutine): the caller stops
// the push with Cancel.
func (s *Server) StartPush(opts PushOptions) (*Push, error) {
	body, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	s.api.Lock()
	resp, err := http.Post(s.URL+"/api/cmaf-ingests", "application/json", bytes.NewReader(body))
	s.api.Unlock()
	if err != nil {
		return nil, fmt.Errorf("start push: %v", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var created struct {
		ID string `json:"id"`
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &created) != nil || created.ID == "" || created.ID == "0" {
		return nil, fmt.Errorf("start push %s: %s\n%s", body, resp.Status, raw)
	}
	return &Push{ID: created.ID, Opts: opts, Started: time.Now(), s: s}, nil
}

// Wait waits until livesim2 logs that the push sent its last segment and
// returns what it sent and reported. It fails the test when the push ends
// otherwise (an init segment refused, for example) or is not done within
// timeout of its start (a receiver that does not answer hangs livesim2).
func (p *Push) Wait(t testing.TB, timeout time.Duration) PushResult {
	t.Helper()
	res, err := p.Finish(timeout)
	if err != nil {
		t.Fatalf("livesim: %v", err)
	}
	return res
}

// Finish is Wait without the test: the error says why the push did not
// end well, with livesim2's problems and last log lines.
func (p *Push) Finish(timeout time.Duration) (PushResult, error) {
	deadline := p.Started.Add(timeout)
	for {
		res, done, failed := p.state()
		if done {
			res.Report = p.report()
			return res, nil
		}
		if failed != "" {
			return res, fmt.Errorf("push %s (%s to %s/%s) stopped: %s\nproblems:\n%s\nreport: %s",
				p.ID, p.Opts.URL, p.Opts.DestRoot, p.Opts.DestName, failed, strings.Join(res.Problems, "\n"), p.report())
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("push %s (%s to %s/%s) not done %v after its start (%d segments sent; a receiver that does not answer hangs it)\nproblems:\n%s\nlast log lines:\n%s",
				p.ID, p.Opts.URL, p.Opts.DestRoot, p.Opts.DestName, timeout, len(res.Segments), strings.Join(res.Problems, "\n"), p.lastLines(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The messages with which livesim2's ingester loop ends (cmaf-ingester.go).
var (
	doneMsg = "Last segment sent"
	endMsgs = []string{"could not upload init segments", "Context done, stopping ingest",
		"Error sending media segments", "Error calculating segment availability time",
		"error matching time subs init lang", "Error encoding init segment"}
)

func (p *Push) state() (res PushResult, done bool, failed string) {
	for _, e := range p.s.logs.of(p.ID) {
		msg, _ := e["msg"].(string)
		if msg == "send media segment" {
			path, _ := e["path"].(string)
			res.Segments = append(res.Segments, path)
		}
		if lvl, _ := e["level"].(string); lvl == "WARN" || lvl == "ERROR" {
			res.Problems = append(res.Problems, line(e))
		}
		switch {
		case msg == doneMsg:
			done = true
		case failed == "" && startsWithAny(msg, endMsgs):
			failed = msg
		}
	}
	return res, done, failed
}

func startsWithAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func line(e map[string]any) string {
	b, _ := json.Marshal(e)
	return string(b)
}

func (p *Push) lastLines(n int) string {
	es := p.s.logs.of(p.ID)
	var b strings.Builder
	for _, e := range es[max(0, len(es)-n):] {
		b.WriteString(line(e))
		b.WriteByte('\n')
	}
	return b.String()
}

// report fetches livesim2's report of the push.
func (p *Push) report() string {
	p.s.api.Lock()
	defer p.s.api.Unlock()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(p.s.URL + "/api/cmaf-ingests/" + p.ID)
	if err != nil {
		return fmt.Sprintf("(no report: %v)", err)
	}
	defer resp.Body.Close()
	var info struct {
		Report string `json:"report"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(raw, &info) != nil {
		return string(raw)
	}
	return info.Report
}

// Cancel stops a push that is still running (DELETE
// /api/cmaf-ingests/{id}); livesim2 answers it for a finished push too.
func (p *Push) Cancel() {
	p.s.api.Lock()
	defer p.s.api.Unlock()
	req, _ := http.NewRequest(http.MethodDelete, p.s.URL+"/api/cmaf-ingests/"+p.ID, nil)
	c := http.Client{Timeout: 5 * time.Second}
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
	}
}
