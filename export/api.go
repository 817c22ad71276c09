package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/reapd/reapd/catchup"
	"github.com/reapd/reapd/jsonapi"
	"github.com/reapd/reapd/trackfile"
)

// Handler serves the export API:
//
//	POST   /api/exports                      create a job (201), or the job of a known idempotency key (200)
//	GET    /api/exports[?channel=C]          {"exports": [Job…]}
//	GET    /api/exports/{id}                 a Job
//	DELETE /api/exports/{id}                 cancel it (200 with the Job)
//	GET    /api/exports/{id}/files/{path…}   a file of a job written to reapd's own store (Range supported)
//
// Errors are {"error": "…"}: 400 bad input, 404 unknown, 409 conflict,
// 503 with Retry-After when the store fails.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/exports", s.handleCreate)
	mux.HandleFunc("GET /api/exports", s.handleList)
	mux.HandleFunc("GET /api/exports/{id}", s.handleGet)
	mux.HandleFunc("DELETE /api/exports/{id}", s.handleCancel)
	mux.HandleFunc("GET /api/exports/{id}/files/{path...}", s.handleFile)
	return mux
}

// requestBody is the JSON of POST /api/exports: instants as RFC 3339
// strings or epoch seconds (as catchup.ParseInstant reads them).
type requestBody struct {
	Channel        string          `json:"channel"`
	Start          json.RawMessage `json:"start"`
	End            json.RawMessage `json:"end"`
	Format         string          `json:"format"`
	Destination    string          `json:"destination"`
	IdempotencyKey string          `json:"idempotency_key"`
	Tracks         []string        `json:"tracks"`
}

func parseInstant(name string, raw json.RawMessage) (time.Time, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var f json.Number
		if err := json.Unmarshal(raw, &f); err != nil {
			return time.Time{}, fmt.Errorf("%w: %s: want RFC 3339 or epoch seconds", ErrBadRequest, name)
		}
		s = f.String()
	}
	t, err := catchup.ParseInstant(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s: %v", ErrBadRequest, name, err)
	}
	return t, nil
}

func (s *Service) handleCreate(w http.ResponseWriter, r *http.Request) {
	var body requestBody
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		s.writeError(w, r, fmt.Errorf("%w: body: %v", ErrBadRequest, err))
		return
	}
	req := Request{Channel: body.Channel, Format: body.Format, Destination: body.Destination,
		IdempotencyKey: body.IdempotencyKey, Tracks: body.Tracks}
	var err error
	if req.Start, err = parseInstant("start", body.Start); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.End, err = parseInstant("end", body.End); err != nil {
		s.writeError(w, r, err)
		return
	}
	j, created, err := s.Submit(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
		w.Header().Set("Location", "/api/exports/"+j.ID)
	}
	writeJSON(w, code, j)
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	ch := r.URL.Query().Get("channel")
	if ch != "" {
		if err := trackfile.CheckName(ch); err != nil {
			s.writeError(w, r, fmt.Errorf("%w: channel: %v", ErrBadRequest, err))
			return
		}
	}
	jobs, err := s.List(r.Context(), ch)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]Job{"exports": jobs})
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	j, err := s.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (s *Service) handleCancel(w http.ResponseWriter, r *http.Request) {
	j, err := s.Cancel(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func writeJSON(w http.ResponseWriter, code int, v any) { jsonapi.Write(w, code, v) }

// writeError answers a failed request: jsonapi maps the categories
// (catch-up's bad windows are bad requests here too).
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, catchup.ErrBadRequest) {
		err = fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	jsonapi.WriteError(w, r, s.log, "export", err)
}

// contentType returns the media type of a package file by its name.
func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".mpd"):
		return "application/dash+xml"
	case strings.HasSuffix(name, ".m3u8"):
		return "application/vnd.apple.mpegurl"
	case strings.HasSuffix(name, ".cmfa"):
		return "audio/mp4"
	}
	return "video/mp4"
}
