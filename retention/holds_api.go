package retention

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/reapd/reapd/blobstore"
	"github.com/reapd/reapd/catchup"
)

// Handler serves the holds API (POST/GET/DELETE /api/holds…, see
// [NewHandler]).
type Handler struct {
	store *blobstore.Store
	log   *slog.Logger
	now   func() time.Time
	mux   *http.ServeMux
}

// HandlerOptions configures a Handler; nil means defaults.
type HandlerOptions struct {
	Logger *slog.Logger     // default: discard
	Now    func() time.Time // default time.Now
}

// maxHoldBody bounds a POST /api/holds body.
const maxHoldBody = 16 << 10

// NewHandler returns the holds API over store:
//
//	POST   /api/holds                 {"channel","from","to","reason"} → 201 Hold
//	GET    /api/holds[?channel=C]     → {"holds":[Hold…]}
//	GET    /api/holds/{channel}/{id}  → Hold
//	DELETE /api/holds/{channel}/{id}  → 204
//
// Times are RFC 3339 or epoch seconds (catchup.ParseInstant). Errors are
// {"error": "…"} with 400, 404, or 503 and Retry-After on a store failure.
func NewHandler(store *blobstore.Store, opts *HandlerOptions) *Handler {
	var o HandlerOptions
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &Handler{store: store, log: o.Logger, now: o.Now, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /api/holds", h.handleCreate)
	h.mux.HandleFunc("GET /api/holds", h.handleList)
	h.mux.HandleFunc("GET /api/holds/{channel}/{id}", h.handleGet)
	h.mux.HandleFunc("DELETE /api/holds/{channel}/{id}", h.handleDelete)
	return h
}

// ServeHTTP routes a request of the holds API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// holdRequest is the body of POST /api/holds; times are strings so that
// epoch seconds work as well as RFC 3339.
type holdRequest struct {
	Channel string          `json:"channel"`
	From    json.RawMessage `json:"from"`
	To      json.RawMessage `json:"to"`
	Reason  string          `json:"reason"`
}

func (h *Handler) handleCreate(w http.ResponseWriter, r *http.Request) {
	var req holdRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, maxHoldBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		h.writeError(w, r, badRequest("body: %v", err))
		return
	}
	from, err := parseTime("from", req.From)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	to, err := parseTime("to", req.To)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	hold, err := CreateHold(r.Context(), h.store, Hold{Channel: req.Channel, From: from, To: to, Reason: req.Reason}, h.now())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.log.Info("hold created", "channel", hold.Channel, "id", hold.ID, "from", hold.From, "to", hold.To, "reason", hold.Reason)
	writeJSON(w, http.StatusCreated, hold)
}

// parseTime parses a JSON string (RFC 3339 or epoch seconds) or number
// (epoch seconds).
func parseTime(field string, raw json.RawMessage) (time.Time, error) {
	var s string
	if len(raw) == 0 {
		return time.Time{}, badRequest("%s is required", field)
	}
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, badRequest("%s: %v", field, err)
		}
	} else {
		s = string(raw)
	}
	t, err := catchup.ParseInstant(s)
	if err != nil {
		return time.Time{}, badRequest("%s: %v", field, err)
	}
	return t, nil
}

func (h *Handler) handleList(w http.ResponseWriter, r *http.Request) {
	hs, err := ListHolds(r.Context(), h.store, r.URL.Query().Get("channel"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]Hold{"holds": hs})
}

func (h *Handler) handleGet(w http.ResponseWriter, r *http.Request) {
	hold, err := GetHold(r.Context(), h.store, r.PathValue("channel"), r.PathValue("id"))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, hold)
}

func (h *Handler) handleDelete(w http.ResponseWriter, r *http.Request) {
	channel, id := r.PathValue("channel"), r.PathValue("id")
	if err := DeleteHold(r.Context(), h.store, channel, id); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.log.Info("hold deleted", "channel", channel, "id", id)
	w.WriteHeader(http.StatusNoContent)
}
