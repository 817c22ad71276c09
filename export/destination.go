package export

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/reapd/reapd/blobstore"
)

// Destination is where a package is written: a store and a key prefix in
// it ("" or ending in "/").
type Destination struct {
	Store  *blobstore.Store
	Prefix string
	url    string // the destination as given, without credentials
}

// URL returns the URL of the object at name in the destination (for a
// job's results): the destination URL with name appended to its path.
func (d *Destination) URL(name string) string {
	if d.url == "" {
		return d.Prefix + name
	}
	u, err := url.Parse(d.url)
	if err != nil {
		return d.url + "/" + name
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + name
	return u.String()
}

// OpenDestination opens a destination URL: a store URL as blobstore.Open
// takes it, where the path after the bucket of s3://, gs:// and mem:// is
// the key prefix ("s3://bucket/vod/show1?endpoint=…" writes
// "vod/show1/manifest.mpd"), and the path of file:// is the directory. A
// prefix= parameter is honoured as blobstore.Open honours it. The caller
// closes the store.
func OpenDestination(ctx context.Context, dest string) (*Destination, error) {
	u, err := url.Parse(dest)
	if err != nil {
		return nil, fmt.Errorf("%w: destination: %v", ErrBadRequest, err)
	}
	var prefix string
	switch u.Scheme {
	case "s3", "gs", "mem":
		prefix = strings.Trim(u.Path, "/")
		u.Path, u.RawPath = "", ""
	case "file":
	default:
		return nil, fmt.Errorf("%w: destination %q: want a file://, s3://, gs:// or mem:// URL", ErrBadRequest, dest)
	}
	if prefix != "" {
		if err := blobstore.CheckKey(prefix); err != nil {
			return nil, fmt.Errorf("%w: destination prefix: %v", ErrBadRequest, err)
		}
		prefix += "/"
	}
	st, err := blobstore.Open(ctx, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("open destination: %w", err)
	}
	clean := *u
	clean.User = nil
	clean.Path = "/" + strings.TrimSuffix(prefix, "/")
	if u.Scheme == "file" {
		clean.Path = u.Path
	}
	return &Destination{Store: st, Prefix: prefix, url: redactQuery(&clean)}, nil
}

// redactQuery drops the query of a URL (endpoints and options, which may
// carry secrets) for the results a job reports.
func redactQuery(u *url.URL) string {
	c := *u
	c.RawQuery = ""
	return c.String()
}

// redactURL returns a destination URL without user info and query, for
// messages.
func redactURL(dest string) string {
	u, err := url.Parse(dest)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return redactQuery(u)
}
