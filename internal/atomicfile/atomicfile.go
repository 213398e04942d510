// Package atomicfile writes an output file of gapmap, with one policy for
// every command that writes one (analyze, plan, allocate, export):
//
//   - A new path, or a regular file, is written through a temporary file in
//     the same directory renamed into place: a reader never sees half a
//     file and a failed write leaves the old file as it was. A replaced
//     file keeps its permissions (a new one gets 0644).
//   - A symbolic link is written through, never replaced: the policy
//     applies to what it points to (its target file is replaced atomically;
//     a dangling link creates its target). A link into /proc or /dev/fd
//     (/dev/stdout, /dev/fd/N) is written to directly.
//   - A character device (/dev/null, /dev/stdout, a terminal) or a FIFO
//     (named pipe, process substitution) is written to directly: opened for
//     writing, never created, renamed, truncated or chmod-ed. A FIFO must
//     get a reader within FIFOWait.
//   - Anything else (a directory, a block device, a socket) is refused with
//     a *SpecialFileError: nothing is written.
//
// "-" (standard output) is for the caller to handle.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// FIFOWait is how long Write waits for a process to open a FIFO for
// reading before it gives up.
const FIFOWait = 30 * time.Second

// SpecialFileError: path is not a file gapmap writes (a directory, a block
// device, a socket, or a link to one).
type SpecialFileError struct {
	Path string
	Kind string // "a directory", "a block device", …
}

func (e *SpecialFileError) Error() string {
	return fmt.Sprintf("%s is %s: it is not replaced or written to; give the path of a regular file", e.Path, e.Kind)
}

// Target says how Write would write path.
type Target struct {
	// Path is the file written: path itself, or a symlink's target.
	Path string
	// Direct: opened and written in place (a character device or a FIFO);
	// otherwise written through a temporary file renamed onto Path.
	Direct bool
	// Mode of the file replaced (0 when it does not exist).
	Mode fs.FileMode
}

// Resolve decides how path is written under the package's policy, without
// writing anything. A path that cannot be written is a *SpecialFileError.
func Resolve(path string) (Target, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Target{Path: path}, nil
	}
	if err != nil {
		return Target{}, err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return targetOf(path, path, fi)
	}
	if throughProc(path) {
		// /dev/stdout → /proc/self/fd/1 → pipe:[…] or the file the shell
		// opened: the descriptor is the file; a rename would lose it.
		st, err := os.Stat(path)
		if err != nil {
			return Target{}, err
		}
		if st.IsDir() {
			return Target{}, &SpecialFileError{Path: path, Kind: "a link to a directory"}
		}
		return Target{Path: path, Direct: true}, nil
	}
	real, err := finalTarget(path)
	if err != nil {
		return Target{}, err
	}
	st, err := os.Lstat(real)
	if errors.Is(err, fs.ErrNotExist) {
		return Target{Path: real}, nil
	}
	if err != nil {
		return Target{}, err
	}
	return targetOf(path, real, st)
}

func targetOf(asked, path string, fi fs.FileInfo) (Target, error) {
	m := fi.Mode()
	link := ""
	if asked != path {
		link = "a link to "
	}
	switch {
	case m.IsRegular():
		return Target{Path: path, Mode: m.Perm()}, nil
	case m&fs.ModeNamedPipe != 0:
		return Target{Path: path, Direct: true}, nil
	case m&fs.ModeCharDevice != 0:
		return Target{Path: path, Direct: true}, nil
	case m.IsDir():
		return Target{}, &SpecialFileError{Path: asked, Kind: link + "a directory"}
	case m&fs.ModeDevice != 0:
		return Target{}, &SpecialFileError{Path: asked, Kind: link + "a block device"}
	case m&fs.ModeSocket != 0:
		return Target{}, &SpecialFileError{Path: asked, Kind: link + "a socket"}
	}
	return Target{}, &SpecialFileError{Path: asked, Kind: link + "a special file (" + m.Type().String() + ")"}
}

// throughProc reports whether following path's links passes through /proc
// or /dev/fd, whose links name open descriptors rather than paths.
func throughProc(path string) bool {
	p := path
	for range 40 {
		abs, err := filepath.Abs(p)
		if err == nil && (strings.HasPrefix(abs, "/proc/") || strings.HasPrefix(abs, "/dev/fd/")) {
			return true
		}
		dest, err := os.Readlink(p)
		if err != nil {
			return false
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(p), dest)
		}
		p = dest
	}
	return false
}

// FollowLinks returns path when it is not a symbolic link, else the path
// its links end at (which may not exist: a dangling link), with the links
// of that path's directory resolved. Commands that write a directory of
// outputs use it to write through a link, as Write does for a file.
func FollowLinks(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	return finalTarget(path)
}

// finalTarget follows path's links to the path they end at, which may not
// exist (a dangling link).
func finalTarget(path string) (string, error) {
	p := path
	for range 40 {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Mode()&fs.ModeSymlink == 0 {
			// Resolve the directory's own links so the temporary file and
			// the rename happen where the file lives.
			dir, derr := filepath.EvalSymlinks(filepath.Dir(p))
			if derr != nil {
				return "", fmt.Errorf("%s: the directory of its target %s: %w", path, p, derr)
			}
			return filepath.Join(dir, filepath.Base(p)), nil
		}
		if err != nil {
			return "", err
		}
		dest, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(p), dest)
		}
		p = dest
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// Check tells whether path can be written under the policy, without
// writing it: a special file is a *SpecialFileError, a missing directory
// or one that cannot be written to an error naming it.
func Check(path string) error {
	t, err := Resolve(path)
	if err != nil || t.Direct {
		return err
	}
	dir := filepath.Dir(t.Path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(t.Path)+".check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// CheckDir tells, before a long run, whether the named files can be
// written in dir under the policy (Check for each), creating nothing: a
// dir that does not exist yet must be creatable in its nearest existing
// parent.
func CheckDir(dir string, names ...string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return errors.New("is not a directory")
	case err == nil:
		for _, n := range names {
			if err := Check(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	for p := filepath.Dir(filepath.Clean(dir)); ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s is not a directory", p)
			}
			tmp, err := os.MkdirTemp(p, ".gapmap-check-")
			if err != nil {
				return err
			}
			return os.Remove(tmp)
		}
		if !errors.Is(err, fs.ErrNotExist) || p == filepath.Dir(p) {
			return err
		}
	}
}

// Write writes path with what fn writes, buffered, under the package's
// policy. On any error a regular file is left untouched and no temporary
// file remains.
func Write(path string, fn func(io.Writer) error) (err error) {
	t, err := Resolve(path)
	if err != nil {
		return err
	}
	if t.Direct {
		return writeDirect(t.Path, fn)
	}
	dir := filepath.Dir(t.Path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(t.Path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	err = fn(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	mode := t.Mode
	if mode == 0 {
		mode = 0o644
	}
	if err := os.Chmod(f.Name(), mode); err != nil {
		return err
	}
	// The target may have become something else meanwhile: never rename
	// over anything but a regular file.
	if fi, err := os.Lstat(t.Path); err == nil && !fi.Mode().IsRegular() {
		_, terr := targetOf(t.Path, t.Path, fi)
		if terr == nil {
			terr = &SpecialFileError{Path: t.Path, Kind: "no longer a regular file"}
		}
		return terr
	}
	return os.Rename(f.Name(), t.Path)
}

// writeDirect opens a character device or a FIFO and writes to it.
func writeDirect(path string, fn func(io.Writer) error) error {
	f, err := openDirect(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = fn(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// openDirect opens path for writing without creating or truncating it. A
// FIFO without a reader is waited for, up to FIFOWait.
func openDirect(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeNamedPipe == 0 {
		return os.OpenFile(path, os.O_WRONLY, 0)
	}
	deadline := time.Now().Add(FIFOWait)
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.ENXIO) || time.Now().After(deadline) {
			if errors.Is(err, syscall.ENXIO) {
				return nil, fmt.Errorf("%s is a FIFO and no process opened it for reading within %v", path, FIFOWait)
			}
			return nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
