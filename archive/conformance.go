package archive

import (
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// conformance aggregates a channel's REaP findings seen on ingest: one entry
// per (scope, clause, level) with an example, a count and when it was first
// and last seen, so a 24x7 channel's report stays small.
type conformance struct {
	mu      sync.Mutex
	entries map[string]*FindingSummary
}

// FindingSummary is one aggregated entry of a channel's conformance report.
type FindingSummary struct {
	trackfile.Finding
	Scope string    `json:"scope"` // "mpd" or the track name
	Count int64     `json:"count"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

func (cf *conformance) add(scope string, f trackfile.Finding, now time.Time) {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if cf.entries == nil {
		cf.entries = map[string]*FindingSummary{}
	}
	key := scope + "|" + f.Clause + "|" + f.Level
	e := cf.entries[key]
	if e == nil {
		e = &FindingSummary{Finding: f, Scope: scope, First: now}
		cf.entries[key] = e
	}
	e.Count++
	e.Last = now
}

func (cf *conformance) report() []FindingSummary {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	out := make([]FindingSummary, 0, len(cf.entries))
	for _, e := range cf.entries {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Scope != out[j].Scope {
			return out[i].Scope < out[j].Scope
		}
		return out[i].Clause < out[j].Clause
	})
	return out
}

// ConformanceReport is the body of GET /api/channels/{channel}/conformance.
type ConformanceReport struct {
	Channel  string           `json:"channel"`
	Errors   int              `json:"errors"`   // entries of level "error"
	Warnings int              `json:"warnings"` // entries of level "warning"
	Findings []FindingSummary `json:"findings"`
}

// ConformanceHandler serves GET /api/channels/{channel}/conformance: the
// clause 6.1/6.2 findings this archiver saw on the channel's ingest since it
// started (see "reapd validate" for files).
func (a *Archiver) ConformanceHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("channel")
		if err := trackfile.CheckName(name); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		c := a.channels[name]
		a.mu.Unlock()
		if c == nil {
			http.Error(w, "no ingest seen for channel "+name+" since this archiver started", http.StatusNotFound)
			return
		}
		rep := ConformanceReport{Channel: name, Findings: c.conf.report()}
		for _, f := range rep.Findings {
			switch f.Level {
			case "error":
				rep.Errors++
			case "warning":
				rep.Warnings++
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	})
}
