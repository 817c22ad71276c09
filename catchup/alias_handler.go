package catchup

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/reapd/reapd/trackfile"
)

// Flussonic-style archive URLs (the forms operators' middleware already
// speaks): archive-{from}-{duration} and index-{from}-{duration}, from in
// epoch seconds, duration in seconds or "now" (start-over), and
// timeshift_abs-{from} (start-over).
var (
	flussonicRE = regexp.MustCompile(`^(?:archive|index)-([0-9]{1,12})-([0-9]{1,9}|now)\.(m3u8|mpd)$`)
	timeshiftRE = regexp.MustCompile(`^timeshift_abs-([0-9]{1,12})\.(m3u8|mpd)$`)
)

// mediaPackageNames are the manifest names that take AWS MediaPackage
// style time-shift parameters (?start=&end=, RFC 3339 or epoch seconds).
var mediaPackageNames = map[string]bool{"index": true, "manifest": true, "master": true, "archive": true, "playlist": true}

// handleAlias serves the compatibility forms under /{channel}/:
//
//	/{channel}/archive-{from}-{duration}.m3u8   /{channel}/index-{from}-{duration}.mpd
//	/{channel}/index-{from}-now.mpd             /{channel}/timeshift_abs-{from}.m3u8
//	/{channel}/index.m3u8?start=&end=           /{channel}/manifest.mpd?start=&duration=
//
// The answer is the same document as the /catchup/ form, its URLs
// relative to /catchup/{channel}/.
func (s *Server) handleAlias(w http.ResponseWriter, r *http.Request) {
	channel, file := r.PathValue("channel"), r.PathValue("file")
	if trackfile.CheckName(channel) != nil {
		s.writeError(w, r, notFound("no such path %q", r.URL.Path))
		return
	}
	win, format, err := s.aliasWindow(r, file)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	base := "../catchup/" + channel + "/"
	if format == "mpd" {
		s.serveDASH(w, r, channel, win, base)
		return
	}
	s.serveHLSMaster(w, r, channel, win, base)
}

// aliasWindow parses the window of an alias path (or its query).
func (s *Server) aliasWindow(r *http.Request, file string) (Window, string, error) {
	if m := flussonicRE.FindStringSubmatch(file); m != nil {
		from, _ := strconv.ParseInt(m[1], 10, 64)
		win := Window{Start: time.Unix(from, 0).UTC()}
		if win.Start.After(maxInstant) {
			return Window{}, "", badRequest("from %s is beyond the year 9999", m[1])
		}
		if m[2] != "now" {
			d, _ := strconv.ParseInt(m[2], 10, 64)
			win.End = win.Start.Add(time.Duration(d) * time.Second)
			if err := win.check(s.opts.MaxWindow); err != nil {
				return Window{}, "", err
			}
		}
		return win, m[3], s.checkWindow(win)
	}
	if m := timeshiftRE.FindStringSubmatch(file); m != nil {
		from, _ := strconv.ParseInt(m[1], 10, 64)
		win := Window{Start: time.Unix(from, 0).UTC()}
		if win.Start.After(maxInstant) {
			return Window{}, "", badRequest("from %s is beyond the year 9999", m[1])
		}
		return win, m[2], s.checkWindow(win)
	}
	name, format, ok := strings.Cut(file, ".")
	if !ok || !mediaPackageNames[name] || (format != "mpd" && format != "m3u8") {
		return Window{}, "", notFound("no such path %q", r.URL.Path)
	}
	win, err := s.windowFromQuery(r)
	return win, format, err
}
