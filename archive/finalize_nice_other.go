//go:build !linux

package archive

// lowerPriority does nothing outside Linux.
func lowerPriority() {}
