package blobstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// fsRoot does what gocloud's fileblob (v0.47.0) cannot do safely, in the
// same layout fileblob reads (key "a/b" is the file DIR/a/b; no sidecar
// files):
//
//   - Conditional create. fileblob's IfNotExist writer checks os.Stat and
//     then os.Rename()s its temporary file over the target, under a mutex
//     that is new for every writer: two writers, in one process or two, can
//     both pass the check and the later rename silently replaces the earlier
//     object. fsRoot writes a temporary file in the target's directory,
//     fsyncs it and publishes it with os.Link, which fails with EEXIST if
//     the key exists, atomically, across processes; then it removes the
//     temporary name. Readers see no file or the whole file.
//   - Listing. fileblob lists in directory-walk order and pages by "last
//     key", so a key like "p.mpd" (which sorts before "p/…") that is visited
//     after a directory "p" is skipped on the next page once a listing has
//     more than 1000 entries (seen: 2 of 1013 keys lost). fsRoot walks each
//     directory in key order and does not page.
//
// Temporary files are named ".tmp\<random>" (a backslash cannot occur in a
// key, so they never collide with or show up as objects); a crash can leave
// one behind, which [Store.RemoveStaleTemp] removes. The directory is not
// fsynced after the link: after a power loss a new object may be missing,
// never partial.
//
// A key the file system cannot hold because of what is already there (a
// file where a parent directory of the key must be, or a directory of
// other objects where the key's file must be) is a store fault, not a bad
// key: such writes fail with ErrUnavailable, without retries.
type fsRoot struct {
	dir string // absolute
}

// checkFileKey rejects keys that a file:// store cannot map to a file
// faithfully (see CheckKey).
func checkFileKey(key string) error {
	switch {
	case strings.HasSuffix(key, ".attrs"):
		return errors.New(`file store: ".attrs" suffix is reserved by fileblob`)
	case strings.Contains(key, "__0x"):
		return errors.New(`file store: "__0x" is fileblob's escape marker`)
	case os.PathSeparator != '/' && strings.ContainsAny(key, `<>:"|?*`):
		return errors.New("file store: character not allowed in a file name")
	}
	return nil
}

// path returns the file path of key (or of a "dir/" prefix).
func (f *fsRoot) path(key string) string {
	return filepath.Join(f.dir, filepath.FromSlash(key))
}

// write stores the object that fill writes under key: in a temporary file
// first, then published with os.Link (create: fails if key exists) or
// os.Rename (replace).
func (f *fsRoot) write(ctx context.Context, key string, replace bool, fill func(io.Writer) error) error {
	tmp, err := f.temp(path.Dir(key))
	if err != nil {
		return err
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name()) // after os.Link, the object keeps its own name
	}()
	if err := fill(newFlushingWriter(tmp)); err != nil {
		return err
	}
	return f.publish(ctx, tmp, key, replace)
}

// temp creates a temporary file in the directory of keys under dir (a
// key prefix, without or with its final "/"), making the directory first.
func (f *fsRoot) temp(dir string) (*os.File, error) {
	d := f.path(dir)
	if err := os.MkdirAll(d, 0o777); err != nil {
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
			return nil, kinded{kind: ErrUnavailable, final: true, err: fmt.Errorf("file store: a parent directory of the key is a file: %w", err)}
		}
		return nil, err
	}
	return createTemp(d)
}

// publish makes the temporary file tmp durable and links it under key
// (create: fails with ErrExists if key exists) or renames it there
// (replace). tmp stays open, and under its temporary name after a link:
// the caller closes and removes it. The key's directory must be tmp's.
func (f *fsRoot) publish(ctx context.Context, tmp *os.File, key string, replace bool) error {
	target := f.path(key)
	if filepath.Dir(tmp.Name()) != filepath.Dir(target) {
		return fmt.Errorf("file store: %s is not in the directory of %s", tmp.Name(), key)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var err error
	if replace {
		err = os.Rename(tmp.Name(), target)
	} else {
		err = os.Link(tmp.Name(), target)
	}
	if err == nil {
		return nil
	}
	if info, serr := os.Lstat(target); serr == nil && info.IsDir() {
		return kinded{kind: ErrUnavailable, final: true, err: fmt.Errorf("file store: the key is a directory of other objects: %w", err)}
	}
	if !replace && errors.Is(err, fs.ErrExist) {
		return kinded{kind: ErrExists, err: err}
	}
	return err
}

// createTemp creates an empty temporary file in dir, with the usual
// permissions (0666 less umask).
func createTemp(dir string) (*os.File, error) {
	for range 100 {
		var rnd [8]byte
		_, _ = rand.Read(rnd[:])
		name := filepath.Join(dir, tempPrefix+hex.EncodeToString(rnd[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, errors.New("file store: cannot create a temporary file")
}

// delete removes key; a missing key, or one that is a directory, is no
// object and so no error.
func (f *fsRoot) delete(key string) error {
	p := f.path(key)
	info, err := os.Lstat(p)
	if err == nil && info.IsDir() {
		return nil
	}
	if err == nil {
		err = os.Remove(p)
	}
	if err != nil && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
		return nil
	}
	return err
}

// isObject reports whether key names something the store may return.
func isObject(key string) bool {
	return checkKey(key) == nil && checkFileKey(key) == nil
}

// entry is a directory entry with its key ("dir/" for a directory).
type entry struct {
	key   string
	isDir bool
	de    fs.DirEntry
}

// readDir returns the entries of the directory for rel ("" or "…/") in key
// order. A missing directory is empty.
func (f *fsRoot) readDir(rel string) ([]entry, error) {
	des, err := os.ReadDir(f.path(rel))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, nil
		}
		return nil, err
	}
	out := make([]entry, 0, len(des))
	for _, de := range des {
		e := entry{key: rel + de.Name(), isDir: de.IsDir(), de: de}
		if e.isDir {
			e.key += "/"
		}
		out = append(out, e)
	}
	// os.ReadDir sorts by name; keys sort differently when a directory's
	// name is a prefix of a sibling's ("a/" > "a-b").
	sortEntries(out)
	return out, nil
}

// sortEntries sorts by key; entries are nearly sorted already.
func sortEntries(es []entry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].key < es[j-1].key; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// list appends the objects under prefix to out, in key order.
func (f *fsRoot) list(ctx context.Context, prefix string, out *[]Attrs) error {
	return f.walk(ctx, prefix[:strings.LastIndexByte(prefix, '/')+1], prefix, out)
}

func (f *fsRoot) walk(ctx context.Context, rel, prefix string, out *[]Attrs) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	es, err := f.readDir(rel)
	if err != nil {
		return err
	}
	for _, e := range es {
		if e.isDir {
			if strings.HasPrefix(e.key, prefix) || strings.HasPrefix(prefix, e.key) {
				if err := f.walk(ctx, e.key, prefix, out); err != nil {
					return err
				}
			}
			continue
		}
		if !strings.HasPrefix(e.key, prefix) || !isObject(e.key) {
			continue
		}
		info, ok := regular(f.path(e.key), e.de)
		if ok {
			*out = append(*out, Attrs{Key: e.key, Size: info.Size(), ModTime: info.ModTime()})
		}
	}
	return nil
}

// regular returns the file info of a regular file (or a symbolic link to
// one); ok is false for anything else or a file gone meanwhile.
func regular(path string, de fs.DirEntry) (info fs.FileInfo, ok bool) {
	var err error
	if de.Type()&fs.ModeSymlink != 0 {
		info, err = os.Stat(path)
	} else {
		info, err = de.Info()
	}
	return info, err == nil && info.Mode().IsRegular()
}

// listDirs appends the directories directly under prefix that hold at
// least one object.
func (f *fsRoot) listDirs(ctx context.Context, prefix string, out *[]string) error {
	rel := prefix[:strings.LastIndexByte(prefix, '/')+1]
	es, err := f.readDir(rel)
	if err != nil {
		return err
	}
	for _, e := range es {
		if !e.isDir || !strings.HasPrefix(e.key, prefix) || checkKey(strings.TrimSuffix(e.key, "/")) != nil {
			continue
		}
		found, err := f.hasObject(ctx, e.key)
		if err != nil {
			return err
		}
		if found {
			*out = append(*out, e.key)
		}
	}
	return nil
}

// hasObject reports whether the directory rel holds an object, at any depth.
func (f *fsRoot) hasObject(ctx context.Context, rel string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	es, err := f.readDir(rel)
	if err != nil {
		return false, err
	}
	for _, e := range es {
		if e.isDir {
			if found, err := f.hasObject(ctx, e.key); found || err != nil {
				return found, err
			}
		} else if _, ok := regular(f.path(e.key), e.de); ok && isObject(e.key) {
			return true, nil
		}
	}
	return false, nil
}
