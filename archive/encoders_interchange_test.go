package archive

import (
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/reapd/reapd/trackfile"
)

// TestEncoderArchivesAreInterchangeable gives archivers on separate stores
// the same off-grid and split-segment input in different orders, with
// duplicate copies, and compares every storage track file, CMAF header,
// period index and archive S-MPD they write by sha256 (issue 8,
// acceptance 4; REaP interchangeability).
func TestEncoderArchivesAreInterchangeable(t *testing.T) {
	inputs := map[string]encInput{
		"half a segment off the grid": encoderCaseNamed("half a segment off the grid").in,
		"segment split at a splice":   encoderCaseNamed("segment split at a splice").in,
		"off the grid with a split": {video: synthVideo(12800), priming: 1024, sidx: true,
			spans: contiguous(at(encT0+1), 50, 50, 20, 30, 50, 50, 50), opts: map[int]encOpt{3: {scte35: true}}},
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			posts := in.posts()
			orders := []struct {
				name  string
				posts []encPost
			}{
				{"as sent", posts},
				{"reversed", reorder(posts, func(m []encPost) {
					for i, j := 0, len(m)-1; i < j; i, j = i+1, j-1 {
						m[i], m[j] = m[j], m[i]
					}
				})},
				{"shuffled, with duplicates", reorder(posts, func(m []encPost) {
					rng := rand.New(rand.NewPCG(8, 4))
					rng.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
				})},
			}
			var ref map[string][32]byte
			for i, o := range orders {
				r := newEncRig(t)
				sendAll(t, r, o.posts)
				if err := r.finalizeAll(); err != nil {
					t.Errorf("%s: FinalizeAll: %v", o.name, err)
				}
				sums := archiveObjectSums(t, r)
				if i == 0 {
					ref = sums
					if len(sums) < 4 {
						t.Fatalf("%s: too few archive objects: %v", o.name, sortedSumKeys(sums))
					}
					continue
				}
				for _, k := range sortedSumKeys(ref) {
					if s, ok := sums[k]; !ok {
						t.Errorf("%s: no %s (written when %s)", o.name, k, orders[0].name)
					} else if s != ref[k] {
						t.Errorf("%s: %s differs from the one written when %s", o.name, k, orders[0].name)
					}
				}
				for _, k := range sortedSumKeys(sums) {
					if _, ok := ref[k]; !ok {
						t.Errorf("%s: %s, not written when %s", o.name, k, orders[0].name)
					}
				}
			}
		})
	}
}

// reorder returns posts with the headers first and the media segments
// reordered by shuffle, then a third of them posted again.
func reorder(posts []encPost, shuffle func([]encPost)) []encPost {
	var out, media []encPost
	for _, p := range posts {
		if p.want == wantHeader {
			out = append(out, p)
		} else {
			media = append(media, p)
		}
	}
	shuffle(media)
	out = append(out, media...)
	for i := 0; i < len(media); i += 3 {
		out = append(out, media[i])
	}
	return out
}

// archiveObjectSums hashes what the archive of ch1 consists of: the
// period indexes, the track files and headers they list, the archive S-MPD.
func archiveObjectSums(t *testing.T, r *encRig) map[string][32]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][32]byte{}
	add := func(key string) []byte {
		b, err := r.store.Get(ctx, key)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			return nil
		}
		out[key] = sha256.Sum256(b)
		return b
	}
	objs, err := r.store.List(ctx, trackfile.IndexPrefix("ch1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		idx, err := trackfile.UnmarshalIndex(add(o.Key))
		if err != nil {
			t.Errorf("%s: %v", o.Key, err)
			continue
		}
		for _, run := range idx.Runs {
			add(run.Key)
			add(run.HeaderKey)
		}
	}
	add(trackfile.ArchiveMPDKey("ch1"))
	return out
}

func sortedSumKeys(m map[string][32]byte) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
