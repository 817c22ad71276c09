package export

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// Job states.
const (
	StateQueued   = "queued"
	StateRunning  = "running"
	StateComplete = "complete"
	StateFailed   = "failed"
	StateCanceled = "canceled"
)

// Request is what a client asks to export (POST /api/exports).
type Request struct {
	Channel        string    `json:"channel"`
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	Format         string    `json:"format"`
	Destination    string    `json:"destination"` // store URL + prefix; "" for reapd's own store
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	Tracks         []string  `json:"tracks,omitempty"` // nil: every track
}

// Check validates a request (ErrBadRequest).
func (r *Request) Check() error {
	if err := trackfile.CheckName(r.Channel); err != nil {
		return fmt.Errorf("%w: channel: %v", ErrBadRequest, err)
	}
	if !r.End.After(r.Start) {
		return fmt.Errorf("%w: end must be after start", ErrBadRequest)
	}
	switch r.Format {
	case FormatMP4, FormatDASH, FormatHLS, FormatCMAF:
	default:
		return fmt.Errorf("%w: format %q: want mp4, dash, hls or cmaf", ErrBadRequest, r.Format)
	}
	if d := r.Destination; d != "" && !slices.ContainsFunc([]string{"file://", "s3://", "gs://", "mem://"}, func(p string) bool { return strings.HasPrefix(d, p) }) {
		return fmt.Errorf("%w: destination %q: want a file://, s3://, gs:// or mem:// URL", ErrBadRequest, d)
	}
	for _, t := range r.Tracks {
		if err := trackfile.CheckName(t); err != nil {
			return fmt.Errorf("%w: track: %v", ErrBadRequest, err)
		}
	}
	if len(r.IdempotencyKey) > 256 {
		return fmt.Errorf("%w: idempotency_key longer than 256 bytes", ErrBadRequest)
	}
	return nil
}

// same reports whether two requests ask for the same export.
func (r *Request) same(o *Request) bool {
	return r.Channel == o.Channel && r.Start.Equal(o.Start) && r.End.Equal(o.End) && r.Format == o.Format &&
		r.Destination == o.Destination && slices.Equal(r.Tracks, o.Tracks)
}

// Job is an export job as the API shows it.
type Job struct {
	ID string `json:"id"`
	Request
	State    string    `json:"state"`
	Progress float64   `json:"progress"` // 0..100
	Bytes    int64     `json:"bytes"`
	Results  []string  `json:"results"`
	Error    string    `json:"error,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	Gaps     []Gap     `json:"gaps"`
}

// Terminal reports whether the job is finished (complete, failed or
// canceled).
func (j *Job) Terminal() bool {
	return j.State == StateComplete || j.State == StateFailed || j.State == StateCanceled
}

// jobID returns the id of a new job: "{channel}.{16 hex}", from the
// idempotency key when there is one (so that the same key finds the same
// job on any instance), else random. The channel in the id lets GET
// /api/exports/{id} find the job without a search.
func jobID(channel, idempotencyKey string) string {
	var b []byte
	if idempotencyKey != "" {
		s := sha256.Sum256([]byte(channel + "\x00" + idempotencyKey))
		b = s[:8]
	} else {
		b = make([]byte, 8)
		_, _ = rand.Read(b)
	}
	return channel + "." + hex.EncodeToString(b)
}

// parseJobID returns the channel of a job id.
func parseJobID(id string) (string, error) {
	i := strings.LastIndexByte(id, '.')
	if i <= 0 || len(id)-i-1 != 16 {
		return "", fmt.Errorf("%w: job id %q", ErrBadRequest, id)
	}
	if _, err := hex.DecodeString(id[i+1:]); err != nil {
		return "", fmt.Errorf("%w: job id %q", ErrBadRequest, id)
	}
	ch := id[:i]
	if err := trackfile.CheckName(ch); err != nil {
		return "", fmt.Errorf("%w: job id %q", ErrBadRequest, id)
	}
	return ch, nil
}

// Store layout of a job, under reapd's store:
//
//	{channel}/exports/{id}/job.json     the request and its creation time, write-once
//	{channel}/exports/{id}/plan.json    the Plan, write-once when the job first runs
//	{channel}/exports/{id}/status.json  the claim and progress of the instance running it, replaced
//	{channel}/exports/{id}/cancel.json  written once by DELETE
//	{channel}/exports/{id}/done.json    the final Job (complete, failed, canceled), write-once
//	{channel}/exports/{id}/files/…      the package, when the destination is empty
func jobDir(id string) string {
	ch, _ := parseJobID(id)
	return ch + "/exports/" + id + "/"
}

const (
	jobObject    = "job.json"
	planObject   = "plan.json"
	statusObject = "status.json"
	cancelObject = "cancel.json"
	doneObject   = "done.json"
	filesDir     = "files/"
)

// jobRecord is job.json.
type jobRecord struct {
	ID      string    `json:"id"`
	Request Request   `json:"request"`
	Created time.Time `json:"created"`
}

// status is status.json: the claim on a job (who runs it, renewed at
// least every lease/3) and its progress.
type status struct {
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Progress float64   `json:"progress"`
	Bytes    int64     `json:"bytes"`
	Gaps     []Gap     `json:"gaps,omitempty"`
	Error    string    `json:"error,omitempty"` // why the last attempt stopped (a store failure), while the job waits to resume
}
