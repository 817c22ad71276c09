package archive

import "testing"

// TestBufferClasses: a pooled buffer holds what was asked for and wastes
// at most a fifth of itself (a quarter of the request); a recycled buffer
// goes to a class it holds, so the next getBuf of that class never gets a
// short one.
func TestBufferClasses(t *testing.T) {
	for n := 1; n <= 1<<maxPooledShift; n = n*9/8 + 1 {
		b := getBuf(n)
		if cap(b) < n {
			t.Fatalf("getBuf(%d): capacity %d", n, cap(b))
		}
		if n > 1<<minPooledShift && cap(b) > n*5/4 {
			t.Errorf("getBuf(%d): capacity %d wastes more than a quarter of the request", n, cap(b))
		}
		putBuf(b)
	}
	for c := 0; c < len(segPools); c++ {
		for _, capacity := range []int{classSize(c), classSize(c) + 1, classSize(c)*9/8 + 7} {
			putBuf(make([]byte, 0, capacity))
		}
		for range 3 {
			if b := getBuf(classSize(c)); cap(b) < classSize(c) {
				t.Fatalf("class %d (%d bytes): got a buffer of %d", c, classSize(c), cap(b))
			}
		}
	}
	if poolClass(1<<maxPooledShift+1) != -1 {
		t.Error("a request over the largest class has a class")
	}
}
