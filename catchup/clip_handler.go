package catchup

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// handleClip serves GET /catchup/{channel}/clip.mp4?start=&end=: one MP4
// of the window with the chosen tracks (tracks=a,b; default the best video
// and an audio track per language), progressive with the moov first
// (format=fmp4: fragmented), cut at the key frame at or before start or,
// with accurate=1, presenting exactly [start, end) through edit lists.
// download=name makes it an attachment.
//
// The size is known up front (Content-Length), Range is answered exactly
// (206 reading only the media the range holds; the moov comes from the
// plan), If-None-Match and If-Range use the ETag. A window with gaps
// says where in Reapd-Gaps: from/to[,from/to…] (RFC 3339; where any
// track has no media, the tracks' gaps merged); the clip keeps them in its
// timeline. Reapd-Window gives the
// presented window.
func (s *Server) handleClip(w http.ResponseWriter, r *http.Request) {
	req, download, err := clipRequest(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Start.After(s.opts.Now()) {
		s.writeError(w, r, badRequest("start %s is in the future", formatInstant(req.Start)))
		return
	}
	channel := r.PathValue("channel")
	p, err := s.clips.get(r.Context(), clipKey(channel, req), s.opts.Now(), func() (*ClipPlan, error) {
		return s.PlanClip(r.Context(), channel, req)
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "video/mp4")
	h.Set("ETag", p.ETag())
	h.Set("Accept-Ranges", "bytes")
	h.Set("Cache-Control", "public, max-age=60")
	h.Set("Reapd-Window", "start="+formatInstant(p.Start())+"; end="+formatInstant(p.End()))
	if gaps := mergeGaps(p.Gaps()); len(gaps) > 0 {
		parts := make([]string, len(gaps))
		for i, g := range gaps {
			parts[i] = formatInstant(g.From) + "/" + formatInstant(g.To)
		}
		h.Set("Reapd-Gaps", strings.Join(parts, ","))
	}
	if download != "" {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": download}))
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, p.ETag()) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	off, n, status := int64(0), p.Size(), http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" && (r.Header.Get("If-Range") == "" || r.Header.Get("If-Range") == p.ETag()) {
		var ok bool
		if off, n, ok = parseRange(rg, p.Size()); !ok {
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(p.Size(), 10))
			h.Del("Content-Type")
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		} else if n >= 0 {
			status = http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, p.Size()))
		} else {
			off, n = 0, p.Size() // several ranges: the whole clip
		}
	}
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := p.WriteRange(r.Context(), w, off, n); err != nil && r.Context().Err() == nil {
		s.log.Warn("clip write failed", "channel", channel, "err", err)
		// The status is sent: abort the response so that the client sees
		// a short body, not a complete file.
		panic(http.ErrAbortHandler)
	}
}

// mergeGaps returns the union of the tracks' gaps (sorted by start), as
// stretches of the clip where some track has no media.
func mergeGaps(gaps []ClipGap) []ClipGap {
	var out []ClipGap
	for _, g := range gaps {
		if n := len(out); n > 0 && !g.From.After(out[n-1].To) {
			if g.To.After(out[n-1].To) {
				out[n-1].To = g.To
			}
			continue
		}
		out = append(out, ClipGap{From: g.From, To: g.To})
	}
	return out
}

// clipRequest parses the query of a clip request.
func clipRequest(r *http.Request) (ClipRequest, string, error) {
	q := r.URL.Query()
	win, err := ParseWindow(q, 0) // no cap: a clip may be as long as the archive
	if err != nil {
		return ClipRequest{}, "", err
	}
	if win.StartOver() {
		return ClipRequest{}, "", badRequest("a clip needs end or duration")
	}
	req := ClipRequest{Start: win.Start, End: win.End}
	if t := q.Get("tracks"); t != "" {
		req.Tracks = strings.Split(t, ",")
	}
	switch a := q.Get("accurate"); a {
	case "", "0", "false":
	case "1", "true":
		req.Accurate = true
	default:
		return ClipRequest{}, "", badRequest("accurate=%q: want 1 or 0", a)
	}
	switch f := q.Get("format"); f {
	case "", "mp4":
	case "fmp4":
		req.Fragmented = true
	default:
		return ClipRequest{}, "", badRequest("format=%q: want mp4 or fmp4", f)
	}
	download := q.Get("download")
	if download != "" {
		if len(download) > 200 || strings.ContainsFunc(download, func(r rune) bool {
			return r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == '"'
		}) {
			return ClipRequest{}, "", badRequest("download=%q is not a file name", download)
		}
		if !strings.HasSuffix(strings.ToLower(download), ".mp4") {
			download += ".mp4"
		}
	}
	return req, download, nil
}

// parseRange parses a Range header against a body of size bytes: the one
// range (n ≥ 0), several (n < 0: answer the whole body), or not
// satisfiable (false).
func parseRange(h string, size int64) (off, n int64, ok bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found {
		return 0, -1, true // another unit: ignore it
	}
	if strings.Contains(spec, ",") {
		return 0, -1, true
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false
	}
	if a == "" { // suffix: the last b bytes
		k, err := strconv.ParseInt(b, 10, 64)
		if err != nil || k <= 0 {
			return 0, 0, false
		}
		k = min(k, size)
		return size - k, k, true
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first < 0 || first >= size {
		return 0, 0, false
	}
	last := size - 1
	if b != "" {
		if last, err = strconv.ParseInt(b, 10, 64); err != nil || last < first {
			return 0, 0, false
		}
		last = min(last, size-1)
	}
	return first, last - first + 1, true
}

// etagMatch reports whether an If-None-Match list names etag (or is *).
func etagMatch(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
