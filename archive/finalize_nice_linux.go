package archive

import (
	"runtime"
	"syscall"
)

// finalizeNice is the CPU niceness of the finalizer's thread.
const finalizeNice = 10

// lowerPriority pins the calling goroutine to its thread and lowers that
// thread's CPU priority, so that finalizing yields to request handlers on
// a busy machine. The goroutine must end without unlocking: the runtime
// then retires the thread instead of reusing it at the lower priority.
func lowerPriority() {
	runtime.LockOSThread()
	// On Linux, PRIO_PROCESS with a thread id sets that thread's nice.
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), finalizeNice)
}
