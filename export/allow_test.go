package export

import "testing"

func TestAllowDestinations(t *testing.T) {
	allow, err := AllowDestinations([]string{"s3://vod?region=eu-west-1", "file:///srv/vod", "gs://clips/team/"})
	if err != nil {
		t.Fatal(err)
	}
	for dest, want := range map[string]bool{
		"s3://vod?region=eu-west-1":                     true,
		"s3://vod/shows/a?region=eu-west-1":             true,
		"s3://vod/shows/a":                              false, // another query
		"s3://vod/a?region=eu-west-1&endpoint=http://x": false,
		"s3://other/a?region=eu-west-1":                 false,
		"s3://k:s@vod/a?region=eu-west-1":               false,
		"file:///srv/vod":                               true,
		"file:///srv/vod/x/y":                           true,
		"file:///srv/vodka":                             false,
		"file:///srv/vod/../etc":                        false,
		"file:///etc":                                   false,
		"gs://clips/team/a":                             true,
		"gs://clips/teams":                              false,
		"gs://clips":                                    false,
		"mem://":                                        false,
	} {
		if got := allow(dest); got != want {
			t.Errorf("allow(%q) = %v, want %v", dest, got, want)
		}
	}
}
