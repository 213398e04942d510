package format

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data"
)

// Limits bound what one table file may hold, so that a hostile or broken
// file (a gzip or zip "bomb", a CSV whose closing quote is missing, a cell
// holding hundreds of megabytes) fails with a clear error in bounded memory
// instead of exhausting it. A zero field takes its default (see
// DefaultLimits). Pass non-default limits to every reader with WithLimits.
type Limits struct {
	// MaxLineBytes bounds one CSV row: one line, or several when a quoted
	// cell spans line breaks. Default 1 MiB.
	MaxLineBytes int64
	// MaxFieldBytes bounds one CSV field or one XLSX cell (shared strings
	// included). Default 64 KiB.
	MaxFieldBytes int64
	// MaxDecompressedBytes bounds the decompressed contents of a .csv.gz,
	// or of all the parts of an .xlsx together. Default 4 GiB.
	MaxDecompressedBytes int64
	// MaxRatio bounds decompressed size / compressed size once more than
	// RatioFloorBytes have been decompressed (ordinary files compress 5 to
	// 50 times; bombs about 1000 times). Default 200; negative disables.
	MaxRatio int64
	// RatioFloorBytes: below this decompressed size the ratio is not
	// checked. Default 64 MiB.
	RatioFloorBytes int64
}

// DefaultLimits are the limits used unless WithLimits says otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxLineBytes:         1 << 20,
		MaxFieldBytes:        64 << 10,
		MaxDecompressedBytes: 4 << 30,
		MaxRatio:             200,
		RatioFloorBytes:      64 << 20,
	}
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = d.MaxLineBytes
	}
	if l.MaxFieldBytes <= 0 {
		l.MaxFieldBytes = d.MaxFieldBytes
	}
	if l.MaxDecompressedBytes <= 0 {
		l.MaxDecompressedBytes = d.MaxDecompressedBytes
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.RatioFloorBytes <= 0 {
		l.RatioFloorBytes = d.RatioFloorBytes
	}
	return l
}

type limitsKey struct{}

// WithLimits returns a context under which the readers of this package
// apply lim (zero fields: the defaults).
func WithLimits(ctx context.Context, lim Limits) context.Context {
	return context.WithValue(ctx, limitsKey{}, lim)
}

// LimitsFrom returns the limits that readers apply under ctx.
func LimitsFrom(ctx context.Context) Limits {
	if ctx != nil {
		if l, ok := ctx.Value(limitsKey{}).(Limits); ok {
			return l.withDefaults()
		}
	}
	return DefaultLimits()
}

// LimitError is a file that goes past one of the Limits. Name is the
// Limits field; Line is the CSV line where it happened (0 if unknown).
type LimitError struct {
	Name   string // e.g. "MaxLineBytes"
	Max    int64
	Line   int
	Reason string // what went past the limit, worded for the user
	record bool   // a record spanning lines (Line is where it was noticed)
}

func (e *LimitError) Error() string {
	return e.Reason + " (limit " + e.Name + ")"
}

// byteSize writes n as "1 MiB", "64 KiB", "4 GiB" or "123 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// inflateLimit stops a decompressing reader past MaxDecompressedBytes or
// past MaxRatio times the compressed bytes read (compressed counts them).
type inflateLimit struct {
	r          io.Reader
	compressed func() int64
	lim        Limits
	n          int64
	what       string // "the decompressed file", …
	err        error
}

func (l *inflateLimit) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if e := checkInflate(l.n, l.compressed(), l.lim, l.what); e != nil {
		l.err = e
		return 0, e
	}
	return n, err
}

// checkInflate checks a decompressed size against the limits.
func checkInflate(n, compressed int64, lim Limits, what string) error {
	if n > lim.MaxDecompressedBytes {
		return &LimitError{Name: "MaxDecompressedBytes", Max: lim.MaxDecompressedBytes,
			Reason: what + " is larger than " + byteSize(lim.MaxDecompressedBytes) + " once decompressed"}
	}
	if lim.MaxRatio > 0 && n > lim.RatioFloorBytes && compressed > 0 && n/compressed > lim.MaxRatio {
		return &LimitError{Name: "MaxRatio", Max: lim.MaxRatio,
			Reason: fmt.Sprintf("%s decompresses to more than %d times its compressed size (a compression bomb?)", what, lim.MaxRatio)}
	}
	return nil
}

// lineLimit stops a CSV stream whose line, or record (a quoted cell may
// span lines), goes past MaxLineBytes. It counts the line breaks it passes
// so the error can name the line. The reader above it calls reset with the
// bytes it has buffered but not consumed each time a record ends.
type lineLimit struct {
	r       io.Reader
	max     int64
	slack   int64 // the buffer above: a record may be counted this much too long
	line    int64 // bytes since the last '\n'
	record  int64 // bytes since the end of the last record (+ buffered)
	lines   int   // '\n' passed
	err     error
	errLine int
}

func (l *lineLimit) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	rest, off := p[:n], 0
	for {
		i := bytes.IndexByte(rest, '\n')
		seg := int64(len(rest))
		if i >= 0 {
			seg = int64(i)
		}
		if l.line+seg > l.max || l.record+seg > l.max+l.slack {
			// Pass the bytes up to the limit, then fail.
			allowed := min(l.max-l.line, l.max+l.slack-l.record)
			l.errLine = l.lines + 1
			what := "this line is longer than " + byteSize(l.max) + ": is this really a table?"
			record := l.line+seg <= l.max
			if record {
				what = "this row is longer than " + byteSize(l.max) + " (its quoted cells span several lines: is a closing double quote missing?)"
			}
			l.err = &LimitError{Name: "MaxLineBytes", Max: l.max, Line: l.errLine, Reason: what, record: record}
			return off + int(max(allowed, 0)), l.err
		}
		if i < 0 {
			l.line += seg
			l.record += seg
			return n, err
		}
		l.record += seg + 1
		l.lines++
		l.line = 0
		off += i + 1
		rest = rest[i+1:]
	}
}

// reset starts a new record; buffered bytes were read but not yet used.
func (l *lineLimit) reset(buffered int) { l.record = int64(buffered) }

// LimitsFromEnv returns the default limits with those set in the
// environment (GAPMAP_MAX_LINE_BYTES, GAPMAP_MAX_FIELD_BYTES,
// GAPMAP_MAX_DECOMPRESSED_BYTES, GAPMAP_MAX_RATIO) and whether any was set.
// A value that is not a size is a *data.ValidationError naming it.
func LimitsFromEnv(getenv func(string) string) (Limits, bool, error) {
	lim := DefaultLimits()
	set := false
	var ve data.ValidationError
	for _, v := range []struct {
		name string
		dst  *int64
	}{
		{"GAPMAP_MAX_LINE_BYTES", &lim.MaxLineBytes},
		{"GAPMAP_MAX_FIELD_BYTES", &lim.MaxFieldBytes},
		{"GAPMAP_MAX_DECOMPRESSED_BYTES", &lim.MaxDecompressedBytes},
		{"GAPMAP_MAX_RATIO", &lim.MaxRatio},
	} {
		raw := strings.TrimSpace(getenv(v.name))
		if raw == "" {
			continue
		}
		n, err := ParseByteSize(raw)
		if err != nil || n == 0 {
			ve.Add(data.FieldError{File: "environment", Column: v.name, Value: raw, Reason: "write a whole number, optionally with KiB, MiB or GiB (e.g. 2MiB)"})
			continue
		}
		*v.dst, set = n, true
	}
	return lim, set, ve.Err()
}

// ParseByteSize reads 123, 64KiB, 2MiB, 4GiB (also K, M, G, KB, MB, GB as
// binary multiples); a negative number is kept (MaxRatio < 0 disables it).
func ParseByteSize(s string) (int64, error) {
	mult := int64(1)
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, sfx := range []struct {
		s string
		m int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}} {
		if strings.HasSuffix(u, sfx.s) {
			mult, u = sfx.m, strings.TrimSpace(strings.TrimSuffix(u, sfx.s))
			break
		}
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil {
		return 0, err
	}
	return n * mult, nil
}
