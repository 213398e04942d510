package importer

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// ImportReader imports one file of kind read from r (an upload), all or
// nothing, like Import. name is the file's name as the user knows it: its
// extension picks the format (.csv, .csv.gz, .xlsx, .geojson, .json) and
// every error names it. The content is spooled to a temporary file first:
// an XLSX workbook needs random access, and a file the database rejects is
// read a second time to find every offending row.
func ImportReader(ctx context.Context, store *postgis.Store, kind, name string, r io.Reader, opts Options) (Summary, error) {
	base := filepath.Base(strings.ReplaceAll(strings.TrimSpace(name), `\`, "/"))
	if base == "" || base == "." || base == "/" || strings.HasPrefix(base, "..") {
		return Summary{}, &data.ValidationError{Errors: []data.FieldError{{File: name, Reason: "the upload has no file name: send the file with its name (e.g. sites.csv)"}}}
	}
	if !knownKind(kind) {
		return Summary{}, unknownKind(kind)
	}
	if err := checkScope(kind, opts); err != nil {
		return Summary{}, err
	}
	dir, err := os.MkdirTemp("", "gapmap-upload-*")
	if err != nil {
		return Summary{}, fmt.Errorf("spool the upload: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, base)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return Summary{}, fmt.Errorf("spool the upload: %w", err)
	}
	if _, err := io.Copy(f, readerCtx{ctx, r}); err != nil {
		f.Close()
		return Summary{}, fmt.Errorf("read the upload %s: %w", base, err)
	}
	if err := f.Close(); err != nil {
		return Summary{}, fmt.Errorf("spool the upload: %w", err)
	}
	return Import(ctx, store, kind, path, opts)
}

// readerCtx stops a copy when ctx is done.
type readerCtx struct {
	ctx context.Context
	r   io.Reader
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
