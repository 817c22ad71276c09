package catchup

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// handleInit serves GET /catchup/{channel}/init/{track}/{hash}.mp4: the
// CMAF header with content hash {hash}, byte for byte as received (the
// same bytes that start every storage track file of the track that uses
// it). Content-addressed, so immutable.
func (s *Server) handleInit(w http.ResponseWriter, r *http.Request) {
	channel, track := r.PathValue("channel"), r.PathValue("track")
	for _, name := range []string{channel, track} {
		if err := trackfile.CheckName(name); err != nil {
			s.writeError(w, r, badRequest("%v", err))
			return
		}
	}
	hash, ok := strings.CutSuffix(r.PathValue("file"), ".mp4")
	if !ok {
		s.writeError(w, r, notFound("no header %q: want {hash}.mp4", r.PathValue("file")))
		return
	}
	hdr, err := s.headerByHash(r.Context(), channel, track, hash)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType(hdr.Info.Ext))
	h.Set("ETag", `"init-`+hash+`"`)
	h.Set("Cache-Control", immutable)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(hdr.Raw))
}
