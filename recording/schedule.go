package recording

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is a recording made on a cron schedule on a channel, e.g. the
// news every day at 18:00 Paris time for 30 minutes:
//
//	{Channel: "ch1", Name: "news-{2006-01-02}", Cron: "0 18 * * *", TimeZone: "Europe/Paris", Duration: 30 * time.Minute}
type Schedule struct {
	Channel string
	// Name is the recording name template: every "{layout}" is replaced
	// by the start time formatted with that Go time layout in TimeZone.
	// Two firings must give two names (the date, the hour, …): a name is
	// written once.
	Name string
	// Cron is a cron spec: 5 fields (minute hour day-of-month month
	// day-of-week), or 6 with a leading seconds field, or a descriptor
	// (@daily, @hourly, …; not @every, which is not aligned to the clock
	// and so would give instances different windows).
	Cron string
	// TimeZone is the IANA zone the spec and the name are read in ("":
	// UTC). A spec may instead start with CRON_TZ=Zone.
	TimeZone string
	// Duration is the length of each recording.
	Duration time.Duration
}

// cronParser reads 5- or 6-field specs (seconds optional) and descriptors.
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

var layoutRE = regexp.MustCompile(`\{([^{}]+)\}`)

// compiled is a validated Schedule.
type compiled struct {
	Schedule
	spec *cron.SpecSchedule
	loc  *time.Location
}

// compile validates a schedule: channel, spec, zone, duration, and a name
// template that gives valid names.
func compile(s Schedule) (*compiled, error) {
	what := fmt.Sprintf("schedule %q of channel %s", s.Name, s.Channel)
	if err := checkChannel(s.Channel); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if s.Duration <= 0 {
		return nil, fmt.Errorf("%s: duration %v: want > 0", what, s.Duration)
	}
	spec := strings.TrimSpace(s.Cron)
	if s.TimeZone != "" {
		if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
			return nil, fmt.Errorf("%s: give the zone in timezone or in the spec, not both", what)
		}
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			return nil, fmt.Errorf("%s: timezone: %w", what, err)
		}
		spec = "CRON_TZ=" + s.TimeZone + " " + spec
	}
	parsed, err := cronParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: cron %q: %w", what, s.Cron, err)
	}
	ss, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("%s: cron %q is not aligned to the clock (@every): instances would record different windows", what, s.Cron)
	}
	if ss.Location == time.Local {
		ss.Location = time.UTC // the same on every instance, whatever its local zone
	}
	c := &compiled{Schedule: s, spec: ss, loc: ss.Location}
	sample := time.Date(2026, 12, 31, 23, 59, 58, 0, time.UTC)
	if err := CheckName(c.name(sample)); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if c.name(sample) == c.name(sample.Add(400*24*time.Hour+time.Hour+time.Minute+time.Second)) {
		return nil, fmt.Errorf("%s: the name has no {layout} that changes with the time: every firing would give the same name", what)
	}
	return c, nil
}

// name is the recording name for a firing at t.
func (c *compiled) name(t time.Time) string {
	t = t.In(c.loc)
	return layoutRE.ReplaceAllStringFunc(c.Name, func(m string) string { return t.Format(m[1 : len(m)-1]) })
}

// fireTime returns the activation of the schedule that a job running at
// now is for: the latest at or before now, looked for within lookback
// (cron runs a job a little after its time); now to the second if none.
func (c *compiled) fireTime(now time.Time, lookback time.Duration) time.Time {
	t := c.spec.Next(now.Add(-lookback).Add(-time.Nanosecond))
	if t.After(now) {
		return now.Truncate(time.Second)
	}
	for {
		n := c.spec.Next(t)
		if n.After(now) {
			return t
		}
		t = n
	}
}
