package smpd

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Eyevinn/dash-mpd/mpd"
	"github.com/reapd/reapd/trackfile"
)

// Finding levels: "shall" is an error, "should" a warning.
const (
	levelError   = "error"
	levelWarning = "warning"
)

// schemeEncryptionKeyServer is the EssentialProperty of clause 6.1 m).
const schemeEncryptionKeyServer = "urn:mpeg:dash:encryptionkey-server"

// checker collects findings.
type checker struct{ findings []trackfile.Finding }

func (c *checker) add(clause, level, subject, format string, args ...any) {
	c.findings = append(c.findings, trackfile.Finding{Clause: clause, Level: level, Subject: subject, Message: fmt.Sprintf(format, args...)})
}

// Check returns the clause 6.1 findings of an I-MPD, ordered by clause
// ("6.1", "6.1 a", …, "6.1 m 2") and within a clause in document order.
// Clause "6.1" alone marks ISO/IEC 23009-1 rules the archiver relies on
// (Representation@id present and unique).
//
// ISO/IEC 23009-9 clause 6.1: "I-MPD files produced by encoders compliant
// to this specification shall conform to ISO/IEC 23009-1. Additional
// constraints on the I-MPD are as follows: …"
func (m *IngestMPD) Check() []trackfile.Finding {
	if m == nil || m.MPD == nil {
		return nil
	}
	c := &checker{}
	doc := m.MPD
	checkProfiles(c, doc)
	checkPeriods(c, doc)
	checkAvailabilityStart(c, doc)
	checkStructure(c, doc)
	checkTemplates(c, doc)
	checkContentProtection(c, m.Raw)
	checkEncryptionKeyServer(c, doc)
	slices.SortStableFunc(c.findings, func(a, b trackfile.Finding) int { return strings.Compare(a.Clause, b.Clause) })
	return c.findings
}

// a) "The I-MPD should follow the CMAF profile and iso live profiles, the
// MPD@profiles should include urn:mpeg:dash:profile:cmaf:2019 and the ISO
// live profile of DASH urn:mpeg:dash:profile:isoff-live:2011."
func checkProfiles(c *checker, doc *mpd.MPD) {
	have := make(map[string]bool)
	for _, p := range strings.Split(string(doc.Profiles), ",") {
		have[strings.TrimSpace(p)] = true
	}
	var missing []string
	for _, p := range []string{mpd.PROFILE_CMAF, mpd.PROFILE_LIVE} {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		c.add("6.1 a", levelWarning, "MPD", "MPD@profiles %q should include %s", doc.Profiles, strings.Join(missing, " and "))
	}
}

// b) "The I-MPD shall contain a single Period element. The Period @start
// should be set to PT0S or a semantically equivalent values."
func checkPeriods(c *checker, doc *mpd.MPD) {
	if n := len(doc.Periods); n != 1 {
		c.add("6.1 b", levelError, "MPD", "the I-MPD shall contain a single Period, it has %d", n)
	}
	for i, p := range doc.Periods {
		switch {
		case p.Start == nil && doc.GetType() == mpd.DYNAMIC_TYPE:
			c.add("6.1 b", levelWarning, periodSubject(i, p), "Period@start is absent, it should be PT0S")
		case p.Start != nil && *p.Start != 0:
			c.add("6.1 b", levelWarning, periodSubject(i, p), "Period@start is %s, it should be PT0S", p.Start)
		}
	}
}

// c) "The MPD@availabilityStartTime shall be set to Unix epoch plus E-STS."
func checkAvailabilityStart(c *checker, doc *mpd.MPD) {
	ast, err := parseDateTime(doc.AvailabilityStartTime)
	switch {
	case doc.AvailabilityStartTime == "":
		c.add("6.1 c", levelError, "MPD", "MPD@availabilityStartTime is absent, it shall be the Unix epoch plus E-STS")
	case err != nil:
		c.add("6.1 c", levelError, "MPD", "MPD@availabilityStartTime %q is not an xs:dateTime", doc.AvailabilityStartTime)
	case !ast.Equal(time.Unix(0, 0)):
		sts := strconv.FormatInt(ast.Unix(), 10)
		if ns := ast.Nanosecond(); ns != 0 {
			sts += strings.TrimRight(fmt.Sprintf(".%09d", ns), "0")
		}
		c.add("6.1 c", levelWarning, "MPD", "MPD@availabilityStartTime is %s, not the Unix epoch: it conforms only with E-STS = %s s", ast.Format("2006-01-02T15:04:05.999999999Z07:00"), sts)
	}
}

// checkStructure checks where BaseURLs and SegmentTemplates are, and the
// Representation@ids that name the tracks.
//
// d) "The Period BaseURL element shall be absent."
// e) "The I-MPD shall contain a SegmentTemplate element in each
// AdaptationSet element but none shall be present in Representation
// Elements."
// f) "The AdaptationSet BaseURL element shall be absent."
func checkStructure(c *checker, doc *mpd.MPD) {
	for i, p := range doc.Periods {
		if len(p.BaseURLs) > 0 {
			c.add("6.1 d", levelError, periodSubject(i, p), "the Period BaseURL element shall be absent")
		}
		ids := make(map[string]bool)
		for j, a := range p.AdaptationSets {
			as := adaptationSetSubject(j, a)
			if a.SegmentTemplate == nil {
				c.add("6.1 e", levelError, as, "the AdaptationSet shall contain a SegmentTemplate")
			}
			if len(a.BaseURLs) > 0 {
				c.add("6.1 f", levelError, as, "the AdaptationSet BaseURL element shall be absent")
			}
			for k, r := range a.Representations {
				rs := representationSubject(k, r)
				if r.SegmentTemplate != nil {
					c.add("6.1 e", levelError, rs, "a Representation shall contain no SegmentTemplate")
				}
				switch {
				case r.Id == "":
					c.add("6.1", levelError, rs, "Representation@id is absent: it names the track (REaP 5.3 NOTE 3)")
				case ids[r.Id]:
					c.add("6.1", levelError, rs, "Representation@id %q is not unique in the Period", r.Id)
				}
				ids[r.Id] = true
			}
		}
	}
}

func periodSubject(i int, p *mpd.Period) string {
	if p.Id != "" {
		return "Period " + p.Id
	}
	return "Period #" + strconv.Itoa(i)
}

func adaptationSetSubject(i int, a *mpd.AdaptationSetType) string {
	if a.Id != nil {
		return "AdaptationSet " + strconv.FormatUint(uint64(*a.Id), 10)
	}
	return "AdaptationSet #" + strconv.Itoa(i)
}

func representationSubject(i int, r *mpd.RepresentationType) string {
	if r.Id != "" {
		return "Representation " + r.Id
	}
	return "Representation #" + strconv.Itoa(i)
}

// m) "The I-MPD may signal requirements for encryption of an AdaptationSet
// by the packager. 1) In this case an EssentialProperty with the
// schemeIDUri: urn:mpeg:dash:encryptionkey-server shall be present in the
// AdaptationSet element. 2) The EssentialProperty@value shall be a url to
// request a document from an encryption key server that describes the
// required encryption keys."
func checkEncryptionKeyServer(c *checker, doc *mpd.MPD) {
	if slices.ContainsFunc(doc.EssentialProperties, isKeyServer) {
		c.add("6.1 m 1", levelError, "MPD", "the %s EssentialProperty shall be in an AdaptationSet", schemeEncryptionKeyServer)
	}
	for _, p := range doc.Periods {
		for j, a := range p.AdaptationSets {
			for _, e := range a.EssentialProperties {
				if isKeyServer(e) && !isHTTPURL(e.Value) {
					c.add("6.1 m 2", levelError, adaptationSetSubject(j, a), "the %s EssentialProperty@value %q shall be a URL", schemeEncryptionKeyServer, e.Value)
				}
			}
			for k, r := range a.Representations {
				if slices.ContainsFunc(r.EssentialProperties, isKeyServer) {
					c.add("6.1 m 1", levelError, representationSubject(k, r), "the %s EssentialProperty shall be in the AdaptationSet, not in a Representation", schemeEncryptionKeyServer)
				}
			}
		}
	}
}

func isKeyServer(d *mpd.DescriptorType) bool {
	return string(d.SchemeIdUri) == schemeEncryptionKeyServer
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// NamingChanged compares an updated I-MPD with the previous one: every
// track in both keeps its initialization and media names, and a track new
// in next uses a naming convention (SegmentTemplate@initialization and
// @media) of prev.
//
// ISO/IEC 23009-9 clause 6.1 k): "Distribution Encoders may send an
// updated I-MPD. 1) In case of an updated I-MPD, identical naming
// conventions apply as in the previous I-MPD."
func NamingChanged(prev, next *IngestMPD) []trackfile.Finding {
	if prev == nil || next == nil || prev.MPD == nil || next.MPD == nil {
		return nil
	}
	c := &checker{}
	before := make(map[string]IngestTrack, len(prev.Tracks))
	for _, t := range prev.Tracks {
		before[t.ID] = t
	}
	conventions := make(map[string]bool)
	for _, tmpl := range rawTemplates(prev.MPD) {
		conventions[tmpl[0]], conventions[tmpl[1]] = true, true
	}
	nextRaw := rawTemplates(next.MPD)
	for _, t := range next.Tracks {
		subject := "Representation " + t.ID
		old, ok := before[t.ID]
		if !ok {
			if raw := nextRaw[t.ID]; !conventions[raw[0]] || !conventions[raw[1]] {
				c.add("6.1 k 1", levelError, subject, "new track named by initialization %q and media %q, not a naming convention of the previous I-MPD", raw[0], raw[1])
			}
			continue
		}
		if old.Init != t.Init {
			c.add("6.1 k 1", levelError, subject, "initialization changed from %q to %q", old.Init, t.Init)
		}
		if old.Media != t.Media {
			c.add("6.1 k 1", levelError, subject, "media changed from %q to %q", old.Media, t.Media)
		}
	}
	return c.findings
}

// rawTemplates returns the resolved, unsubstituted initialization and media
// templates of each Representation@id.
func rawTemplates(doc *mpd.MPD) map[string][2]string {
	out := make(map[string][2]string)
	for _, p := range doc.Periods {
		for _, a := range p.AdaptationSets {
			for _, r := range a.Representations {
				if _, dup := out[r.Id]; dup {
					continue
				}
				if st := resolveTemplate(p.SegmentTemplate, a.SegmentTemplate, r.SegmentTemplate); st != nil {
					out[r.Id] = [2]string{st.Initialization, st.Media}
				} else {
					out[r.Id] = [2]string{}
				}
			}
		}
	}
	return out
}
