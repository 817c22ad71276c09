package catchup

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// channelJSON is a channel in the browse API.
type channelJSON struct {
	Name            string      `json:"name"`
	First           *time.Time  `json:"first,omitempty"` // first instant with media
	Last            *time.Time  `json:"last,omitempty"`  // end of the newest media (the live edge)
	SegmentDuration string      `json:"segmentDuration,omitempty"`
	PeriodSegments  int64       `json:"periodSegments,omitempty"`
	STS             string      `json:"sts,omitempty"`
	StorageBytes    int64       `json:"storageBytes,omitempty"`
	Tracks          []trackJSON `json:"tracks,omitempty"`
	// Problems found in the channel's stored data that the answer leaves
	// out (e.g. media at implausible times).
	Problems []string `json:"problems,omitempty"`
}

// trackJSON is a track in the browse API: its CMAF header's description
// (codec, size, rate, language) and where its media starts and ends.
type trackJSON struct {
	Name string `json:"name"`
	trackfile.TrackInfo
	First        time.Time `json:"first"`
	Last         time.Time `json:"last"`
	StorageBytes int64     `json:"storageBytes"` // headers, track files and staged segments
}

// handleChannels serves GET /api/channels: every channel in the store with
// the wall-clock extent of its archive, from the browse cache (at most
// BrowseTTL old).
func (s *Server) handleChannels(w http.ResponseWriter, r *http.Request) {
	body, err := s.channelList(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=1")
	serveBytes(w, r, body)
}

// writeJSON writes v as indented JSON.
func writeJSON(w http.ResponseWriter, r *http.Request, v any, cacheControl string) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", cacheControl)
	serveBytes(w, r, append(body, '\n'))
}
