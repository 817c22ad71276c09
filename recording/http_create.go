package recording

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/reapd/reapd/catchup"
)

// maxBody bounds a POST body.
const maxBody = 64 << 10

// createBody is the body of POST /api/recordings. Times are RFC 3339
// strings or epoch seconds (strings or numbers), as in catch-up URLs.
type createBody struct {
	Channel string          `json:"channel"`
	Name    string          `json:"name"`
	Start   json.RawMessage `json:"start"`
	End     json.RawMessage `json:"end"`
}

// create serves POST /api/recordings.
func (h *handler) create(w http.ResponseWriter, req *http.Request) {
	var b createBody
	dec := json.NewDecoder(http.MaxBytesReader(w, req.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		h.writeError(w, req, badRequest("body: %v", err))
		return
	}
	q := Request{Channel: b.Channel, Name: b.Name}
	var err error
	if q.Start, err = parseJSONInstant("start", b.Start); err != nil {
		h.writeError(w, req, err)
		return
	}
	if q.End, err = parseJSONInstant("end", b.End); err != nil {
		h.writeError(w, req, err)
		return
	}
	rec, created, err := h.r.Create(req.Context(), q)
	if err != nil {
		h.writeError(w, req, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/recordings/"+rec.Channel+"/"+rec.Name)
	}
	writeJSON(w, status, rec)
}

// parseJSONInstant parses a JSON string or number as catchup.ParseInstant
// does (RFC 3339 or epoch seconds).
func parseJSONInstant(field string, raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, badRequest("%s: required (RFC 3339 or epoch seconds)", field)
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, badRequest("%s: %v", field, err)
		}
	}
	t, err := catchup.ParseInstant(strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, badRequest("%s: %v", field, err)
	}
	return t, nil
}
