// Package retentiontest checks a store for what a retention run must
// never leave: dangling references and orphans. It is a non-test package
// so that any package's tests may import it; production code must not.
package retentiontest

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/trackfile"
)

var baseURLRE = regexp.MustCompile(`<BaseURL>([^<]+)</BaseURL>`)

// CheckNoDangling checks that every index entry's files exist and every
// BaseURL of the archive S-MPDs exists; settled, also that no track file
// outlives its period's index (no orphans) and that no tombstone is left.
func CheckNoDangling(t testing.TB, st *blobstore.Store, channel string, settled bool) {
	t.Helper()
	ctx := context.Background()
	all, err := st.List(ctx, channel+"/")
	if err != nil {
		t.Fatal(err)
	}
	exists := map[string]bool{}
	for _, o := range all {
		exists[o.Key] = true
	}
	indexed := map[string]bool{}
	mpds := 0
	for _, o := range all {
		if _, ok := trackfile.IndexKeyPeriod(o.Key); !ok || !strings.HasPrefix(o.Key, trackfile.IndexPrefix(channel)) {
			continue
		}
		raw, err := st.Get(ctx, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := trackfile.UnmarshalIndex(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, run := range idx.Runs {
			indexed[run.Key] = true
			if !exists[run.Key] || !exists[run.HeaderKey] {
				t.Errorf("dangling: index %s names %s / %s", o.Key, run.Key, run.HeaderKey)
			}
		}
	}
	for _, o := range all {
		dir, base := o.Key[:strings.LastIndex(o.Key, "/")], o.Key[strings.LastIndex(o.Key, "/")+1:]
		switch {
		case o.Key == trackfile.ArchiveMPDKey(channel) && !strings.Contains(o.Key, "/archive/"):
			mpds++
			fallthrough
		case strings.HasSuffix(o.Key, ".mpd") && (o.Key == trackfile.ArchiveMPDKey(channel) || strings.HasPrefix(o.Key, trackfile.ArchiveDayPrefix(channel))):
			raw, err := st.Get(ctx, o.Key)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range baseURLRE.FindAllStringSubmatch(string(raw), -1) {
				key := dir + "/" + m[1]
				if strings.HasPrefix(m[1], "../") {
					key = dir[:strings.LastIndex(dir, "/")] + "/" + m[1][3:]
				}
				if !exists[key] {
					t.Errorf("dangling: %s names %s (%s)", o.Key, m[1], key)
				}
			}
		case !settled:
		case strings.HasPrefix(o.Key, trackfile.TombstonePrefix(channel)):
			t.Errorf("tombstone left: %s", o.Key)
		case strings.Count(o.Key, "/") == 2 && !strings.HasPrefix(base, "init-") && (strings.HasSuffix(base, ".cmfa") || strings.HasSuffix(base, ".cmfv")):
			if !indexed[o.Key] {
				t.Errorf("orphan track file %s", o.Key)
			}
		}
	}
	if mpds != 1 {
		t.Errorf("no %s", trackfile.ArchiveMPDKey(channel))
	}
}
