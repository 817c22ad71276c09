package archive

import "regexp"

// builtinForms are the request paths understood without an I-MPD (design
// section 3), tried in order; the first submatch is the track name.
// ffmpeg's dashenc default names (init-stream$RepresentationID$.m4s,
// chunk-stream$RepresentationID$-$Number%05d$.m4s) come before the generic
// "init-{track}" form so that a header received before the I-MPD gets the
// same track name (the Representation@id) as the segments after it.
var builtinForms = []struct {
	re      *regexp.Regexp
	streams bool
}{
	{regexp.MustCompile(`^(?:[^/]+/)*Streams\(([^/()]+)\.(?:cmf[vatm]|mp4|m4s)\)$`), true},
	{regexp.MustCompile(`^(.+)/init\.(?:cmf[vatm]|mp4|m4s)$`), false},
	{regexp.MustCompile(`^(.+)/[0-9]+\.(?:cmf[vatm]|mp4|m4s)$`), false},
	{regexp.MustCompile(`^init-stream([^/]+)\.(?:m4s|mp4|cmf[vatm])$`), false},
	{regexp.MustCompile(`^chunk-stream([^/]+)-[0-9]+\.(?:m4s|mp4|cmf[vatm])$`), false},
	{regexp.MustCompile(`^init-([^/]+)\.(?:m4s|mp4|cmf[vatm])$`), false},
	{regexp.MustCompile(`^chunk-([^/]+)-[0-9]+\.(?:m4s|mp4|cmf[vatm])$`), false},
}
