package recording

import "net/http"

// list serves GET /api/recordings[?channel=C].
func (h *handler) list(w http.ResponseWriter, req *http.Request) {
	recs, err := h.r.List(req.Context(), req.URL.Query().Get("channel"))
	if err != nil {
		h.writeError(w, req, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]Recording{"recordings": recs})
}

// get serves GET /api/recordings/{channel}/{name}.
func (h *handler) get(w http.ResponseWriter, req *http.Request) {
	rec, err := h.r.Get(req.Context(), req.PathValue("channel"), req.PathValue("name"))
	if err != nil {
		h.writeError(w, req, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// delete serves DELETE /api/recordings/{channel}/{name}.
func (h *handler) delete(w http.ResponseWriter, req *http.Request) {
	if err := h.r.Delete(req.Context(), req.PathValue("channel"), req.PathValue("name")); err != nil {
		h.writeError(w, req, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
