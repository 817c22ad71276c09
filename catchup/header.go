package catchup

import (
	"context"
	"fmt"
	"strings"

	"github.com/reapd/reapd/trackfile"
)

// header returns a parsed CMAF header object (content-addressed and
// write-once, so cached without expiry, LRU-bounded).
func (s *Server) header(ctx context.Context, channel, track, hash, ext string) (*trackfile.Header, error) {
	key := trackfile.HeaderKey(channel, track, hash, ext)
	return s.headers.get(ctx, key, func(ctx context.Context) (*trackfile.Header, error) {
		raw, err := s.store.Get(ctx, key)
		s.metrics.StoreReads.WithLabelValues("header").Inc()
		if err != nil {
			return nil, fmt.Errorf("CMAF header %s: %w", key, err)
		}
		h, err := trackfile.ParseHeader(raw)
		if err != nil {
			return nil, fmt.Errorf("CMAF header %s: %w", key, err)
		}
		return h, nil
	})
}

// headerByHash returns the CMAF header of a track by its content hash,
// finding its key (the extension is not in catch-up URLs) by listing
// "{channel}/{track}/init-{hash}." once.
func (s *Server) headerByHash(ctx context.Context, channel, track, hash string) (*trackfile.Header, error) {
	if !isHash(hash) {
		return nil, notFound("no CMAF header %q: not a header hash", hash)
	}
	prefix := channel + "/" + track + "/init-" + hash + "."
	s.mu.Lock()
	ext, ok := s.headerExts[prefix]
	s.mu.Unlock()
	if !ok {
		objs, err := s.store.List(ctx, prefix)
		s.metrics.StoreReads.WithLabelValues("list").Inc()
		if err != nil {
			return nil, fmt.Errorf("CMAF header %s: %w", prefix, err)
		}
		if len(objs) == 0 {
			return nil, notFound("channel %q track %q has no CMAF header %s", channel, track, hash)
		}
		ext = strings.TrimPrefix(objs[0].Key, prefix)
		s.mu.Lock()
		if len(s.headerExts) > 4096 {
			clear(s.headerExts)
		}
		s.headerExts[prefix] = ext
		s.mu.Unlock()
	}
	return s.header(ctx, channel, track, hash, ext)
}

// isHash reports whether h looks like a header content hash (12 lower-case
// hex digits, trackfile.HashHeader).
func isHash(h string) bool {
	if len(h) != 12 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
