package export

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// AllowDestinations returns the check of Options.AllowDestination for a
// list of allowed destinations: store URLs under which jobs may write. A
// destination is allowed when its scheme, host (bucket) and query
// (endpoint, region, credentials…) are those of an entry and its path is
// the entry's path or below it, after cleaning ("a/../b" is "b").
//
// So "s3://vod?region=eu-west-1" allows "s3://vod/shows/x?region=eu-west-1"
// but neither another bucket nor another endpoint, which could send the
// server's cloud credentials elsewhere, and "file:///srv/vod" allows
// "file:///srv/vod/x" but not "file:///srv/vod/../etc".
func AllowDestinations(allowed []string) (func(dest string) bool, error) {
	var entries []*url.URL
	for _, a := range allowed {
		u, err := url.Parse(a)
		if err != nil || u.Scheme == "" {
			return nil, fmt.Errorf("allowed destination %q: not a URL", a)
		}
		entries = append(entries, u)
	}
	return func(dest string) bool {
		d, err := url.Parse(dest)
		if err != nil {
			return false
		}
		dp := path.Clean("/" + d.Path)
		for _, e := range entries {
			if d.Scheme != e.Scheme || d.Host != e.Host || d.User.String() != e.User.String() || d.Query().Encode() != e.Query().Encode() {
				continue
			}
			ep := path.Clean("/" + e.Path)
			if dp == ep || strings.HasPrefix(dp, strings.TrimSuffix(ep, "/")+"/") {
				return true
			}
		}
		return false
	}, nil
}
