package blobstore

import (
	"path"
	"strings"
)

// contentTypes maps the extensions reapd writes to their media types, so
// that objects served straight from a bucket (or a CDN in front of it)
// carry the right Content-Type. A table of our own, not the system's
// mime.types, so that every machine stores the same.
var contentTypes = map[string]string{
	".mpd":  "application/dash+xml",
	".m3u8": "application/vnd.apple.mpegurl",
	".m4s":  "video/iso.segment",
	".mp4":  "video/mp4",
	".m4v":  "video/mp4",
	".cmfv": "video/mp4",
	".m4a":  "audio/mp4",
	".cmfa": "audio/mp4",
	".cmft": "application/mp4",
	".vtt":  "text/vtt",
	".json": "application/json",
	".xml":  "application/xml",
	".txt":  "text/plain; charset=utf-8",
	".html": "text/html; charset=utf-8",
}

// contentType returns the media type stored with key.
func contentType(key string) string {
	if ct, ok := contentTypes[strings.ToLower(path.Ext(key))]; ok {
		return ct
	}
	return "application/octet-stream"
}
