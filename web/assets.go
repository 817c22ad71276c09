package web

import (
	"embed"
	"io/fs"
)

//go:embed assets
var embedded embed.FS

// assetFS is the page's files: index.html, the app's modules and styles,
// and the vendored player under vendor/.
var assetFS = mustSub(embedded, "assets")

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// Vendored JavaScript: the npm package and version each file under
// assets/vendor/ was copied from (the versions pinned in
// test/player/package.json; vendor_test.go checks the bytes).
var Vendored = []VendoredFile{
	{Asset: "vendor/dash.mediaplayer.min.js", Package: "dashjs", Version: "5.2.1",
		Path: "dist/modern/esm/dash.mediaplayer.min.js"},
	{Asset: "vendor/dash.mediaplayer.min.js.LICENSE.txt", Package: "dashjs", Version: "5.2.1",
		Path: "dist/modern/esm/dash.mediaplayer.min.js.LICENSE.txt"},
	{Asset: "vendor/dashjs-LICENSE.md", Package: "dashjs", Version: "5.2.1", Path: "LICENSE.md"},
}

// VendoredFile is one file copied from an npm package.
type VendoredFile struct {
	Asset   string // path under assets/
	Package string // npm package name
	Version string // exact version
	Path    string // path inside the package
}
