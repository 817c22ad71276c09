package recording

import (
	"net/http"

	"github.com/reapd/reapd/jsonapi"
)

// Handler serves the recordings API (the paths are absolute; mount it at
// "/api/recordings" and "/api/recordings/"):
//
//	POST   /api/recordings                    {"channel","name","start","end"} → 201, or 200 when it exists with that window
//	GET    /api/recordings[?channel=C]        {"recordings":[Recording…]}
//	GET    /api/recordings/{channel}/{name}   Recording
//	DELETE /api/recordings/{channel}/{name}   204
//
// Times in requests are RFC 3339 or epoch seconds (a JSON string or
// number); errors are {"error": "…"} with the status writeError gives.
func (r *Recorder) Handler() http.Handler {
	h := &handler{r: r}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/recordings", h.create)
	mux.HandleFunc("GET /api/recordings", h.list)
	mux.HandleFunc("GET /api/recordings/{channel}/{name}", h.get)
	mux.HandleFunc("DELETE /api/recordings/{channel}/{name}", h.delete)
	return mux
}

// handler holds the recordings API's dependencies.
type handler struct{ r *Recorder }

// writeError answers a failed request: jsonapi maps the categories.
func (h *handler) writeError(w http.ResponseWriter, req *http.Request, err error) {
	jsonapi.WriteError(w, req, h.r.log, "recordings", err)
}

func writeJSON(w http.ResponseWriter, status int, v any) { jsonapi.Write(w, status, v) }
