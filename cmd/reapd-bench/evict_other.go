//go:build !linux

package main

// evictPageCache does nothing outside Linux (see evict_linux.go).
func evictPageCache(dir string) (int, error) { return 0, nil }
