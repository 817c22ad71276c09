package main

import (
	"os"
	"runtime"
)

// defaultProcs is GOMAXPROCS when the environment does not set it: four
// per CPU the runtime found (its default, which honours a container's CPU
// limit), and at least 8. Ingest spends its time in file system calls
// that block (write, fsync, link and open on a journal that hundreds of
// requests share), and a processor whose thread is blocked in one is
// handed to another thread only when the runtime notices, so with one
// processor per CPU runnable handlers waited behind blocked calls while
// the CPUs idled. Measured (make bench ingest, 100 channels as fast as
// they can, 2 CPUs, reapd alone on a fresh file system): 216 MB/s at 2,
// 318 at 4, 381-421 at 8, 408 at 16; p99 3.4 s at 2, 0.6-0.7 s at 8.
func defaultProcs(cpus int) int { return max(8, 4*cpus) }

// runtimeProcs is the runtime's own GOMAXPROCS, before setProcs.
var runtimeProcs = runtime.GOMAXPROCS(0)

// setProcs applies defaultProcs unless GOMAXPROCS is set, and returns
// GOMAXPROCS.
func setProcs() int {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(defaultProcs(runtimeProcs))
	}
	return runtime.GOMAXPROCS(0)
}
