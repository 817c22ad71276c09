package ingestload

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Proc reads figures of a running process from /proc (Linux).
type Proc struct{ PID int }

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat
// (100 on every Linux of this project's kind).
const clockTicks = 100

// CPUSeconds is the process's user plus system CPU time so far.
func (p Proc) CPUSeconds() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.PID))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("bad /proc/%d/stat", p.PID)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", p.PID)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc/%d/stat times", p.PID)
	}
	return (utime + stime) / clockTicks, nil
}

// RSS returns the process's resident set size now and its peak (VmRSS,
// VmHWM), in bytes.
func (p Proc) RSS() (now, peak float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		var kb float64
		fmt.Sscanf(strings.TrimSpace(v), "%f", &kb)
		if k == "VmRSS" {
			now = kb * 1024
		} else {
			peak = kb * 1024
		}
	}
	return now, peak, nil
}
