package catchup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// windowFromQuery parses and checks the window of a manifest request.
func (s *Server) windowFromQuery(r *http.Request) (Window, error) {
	w, err := ParseWindow(r.URL.Query(), s.opts.MaxWindow)
	if err != nil {
		return Window{}, err
	}
	return w, s.checkWindow(w)
}

// checkWindow checks a window against the clock: a start-over may not
// start in the future nor longer than MaxWindow ago; a closed window may
// not start in the future.
func (s *Server) checkWindow(w Window) error {
	now := s.opts.Now()
	if w.Start.After(now) {
		return badRequest("start %s is in the future", formatInstant(w.Start))
	}
	if w.StartOver() && now.Sub(w.Start) > s.opts.MaxWindow {
		return badRequest("start-over from %s is longer ago than the maximum window of %s; give an end",
			formatInstant(w.Start), s.opts.MaxWindow)
	}
	return nil
}

// present returns the presentation of window w of a channel, or a 404
// that says where the archive has media.
func (s *Server) present(ctx context.Context, channel string, w Window) (*presentation, error) {
	c, err := s.channel(ctx, channel)
	if err != nil {
		return nil, err
	}
	v, err := c.viewWindow(ctx, w, stagedAuto)
	if err != nil {
		return nil, err
	}
	if p := present(v, w, w.StartOver()); p != nil {
		return p, nil
	}
	what := fmt.Sprintf("nothing archived in channel %q between %s and %s", channel, formatInstant(w.Start), formatInstant(w.End))
	if w.StartOver() {
		what = fmt.Sprintf("nothing archived in channel %q after %s", channel, formatInstant(w.Start))
	}
	if first, last, _, ok := s.extent(ctx, c); ok {
		switch {
		case !w.StartOver() && !w.End.After(first):
			return nil, notFound("%s: the window ends before the archive starts at %s", what, formatInstant(first))
		case !w.Start.Before(last):
			return nil, notFound("%s: the archive ends at %s", what, formatInstant(last))
		}
		return nil, notFound("%s: the window lies in a gap of the archive (which holds %s to %s)", what,
			formatInstant(first), formatInstant(last))
	}
	return nil, notFound("%s", what)
}

// manifestHeaders sets the headers every manifest response carries: the
// presented window (and what was clipped), caching and the media type.
func (s *Server) manifestHeaders(w http.ResponseWriter, p *presentation, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	start, end := time.UnixMilli(p.startMs).UTC(), time.UnixMilli(p.endMs).UTC()
	h.Set("Reapd-Window", "start="+formatInstant(start)+"; end="+formatInstant(end))
	cs, ce := p.clipped()
	var clip []string
	if cs {
		clip = append(clip, "start="+formatInstant(start))
	}
	if ce {
		clip = append(clip, "end="+formatInstant(end))
	}
	if len(clip) > 0 {
		h.Set("Reapd-Window-Clipped", strings.Join(clip, "; "))
	}
	switch {
	case p.dynamic:
		h.Set("Cache-Control", "public, max-age=1")
	case !p.stagedIn && !ce:
		// Every segment is in a storage track file: the window is
		// closed and will not change.
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.opts.ClosedMaxAge/time.Second)))
	default:
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(max(1, int(p.grid.D.Duration()/time.Second))))
	}
}

// serveBytes serves a generated document with http.ServeContent
// semantics: Range, HEAD, and a strong ETag of its bytes (so that
// If-None-Match revalidates a cached manifest).
func serveBytes(w http.ResponseWriter, r *http.Request, body []byte) {
	sum := sha256.Sum256(body)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
