package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// encoder sends segments to reapd the way a live encoder does under DASH-IF
// ingest: a 503 is answered by waiting for its Retry-After and sending the
// same object again; anything else but 200 is an error. It records every
// 503 and how long reapd took to answer it.
type encoder struct {
	client   http.Client
	maxTries int // per object; 0 means 100

	mu        sync.Mutex
	refusals  int           // 503 answers
	slowest   time.Duration // the longest a 503 took to arrive
	noRetryAf int           // 503 answers without a usable Retry-After
}

// send posts body to path on addr until reapd accepts it. It returns the
// final status (0 when the connection failed for good).
func (e *encoder) send(addr, path string, body []byte) (int, error) {
	tries := e.maxTries
	if tries == 0 {
		tries = 100
	}
	for i := 0; i < tries; i++ {
		began := time.Now()
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path, bytes.NewReader(body))
		resp, err := e.client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took := time.Since(began)
		switch resp.StatusCode {
		case http.StatusOK:
			return http.StatusOK, nil
		case http.StatusServiceUnavailable:
			wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
			e.mu.Lock()
			e.refusals++
			e.slowest = max(e.slowest, took)
			if err != nil || wait <= 0 || wait > 60 {
				e.noRetryAf++
				wait = 1
			}
			e.mu.Unlock()
			time.Sleep(time.Duration(wait) * time.Second)
		default:
			return resp.StatusCode, fmt.Errorf("POST %s: %s", path, resp.Status)
		}
	}
	return http.StatusServiceUnavailable, fmt.Errorf("POST %s: still refused after %d tries", path, tries)
}

// stats returns the 503 count, the slowest 503 and the 503s without a
// Retry-After.
func (e *encoder) stats() (refusals int, slowest time.Duration, noRetryAfter int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.refusals, e.slowest, e.noRetryAf
}
