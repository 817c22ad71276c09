package blobstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
)

func TestZZFileblobRace(t *testing.T) {
	b, err := fileblob.OpenBucket(t.TempDir(), &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		t.Fatal(err)
	}
	double := 0
	for round := range 300 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		start := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				<-start
				err := b.WriteAll(context.Background(), fmt.Sprintf("k%d", round), []byte("x"), &blob.WriterOptions{IfNotExist: true, ContentType: "a/b"})
				if err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if wins > 1 {
			double++
		}
	}
	t.Logf("rounds with more than one winner: %d/300", double)
}
