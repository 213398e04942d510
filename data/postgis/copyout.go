package postgis

// Binary COPY out: the analysis reads every household and student, so
// ReadDataset streams those tables with COPY … TO STDOUT (FORMAT binary)
// and decodes the tuples itself (no per-row protocol messages, no scan
// reflection, kept text in 64 KiB arenas, repeated codes shared).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// copyOut runs COPY (query) TO STDOUT (FORMAT binary) on conn and calls
// row with the fields of each tuple (nil: NULL); the slices are reused.
func copyOut(ctx context.Context, conn *pgconn.PgConn, what, query string, nfields int, row func(f [][]byte) error) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := conn.CopyTo(ctx, pw, "COPY ("+query+") TO STDOUT (FORMAT binary)")
		pw.CloseWithError(err) // nil: the reader sees io.EOF
		done <- err
	}()
	err := parseCopy(bufio.NewReaderSize(pr, 1<<16), nfields, row)
	if err != nil {
		pr.CloseWithError(err) // unblocks CopyTo
	} else {
		_, _ = io.Copy(io.Discard, pr)
	}
	if cerr := <-done; cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("read %s: %w%s", what, err, hintMigrate(err))
	}
	return nil
}

var copySignature = []byte("PGCOPY\n\xff\r\n\x00")

// parseCopy decodes PostgreSQL's binary COPY format.
func parseCopy(r *bufio.Reader, nfields int, row func(f [][]byte) error) error {
	var hdr [19]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return fmt.Errorf("binary COPY header: %w", err)
	}
	if !bytes.Equal(hdr[:11], copySignature) {
		return errors.New("binary COPY: bad signature")
	}
	if ext := binary.BigEndian.Uint32(hdr[15:]); ext > 0 {
		if _, err := r.Discard(int(ext)); err != nil {
			return err
		}
	}
	fields := make([][]byte, nfields)
	var buf []byte
	var n2 [2]byte
	var n4 [4]byte
	for {
		if _, err := io.ReadFull(r, n2[:]); err != nil {
			return fmt.Errorf("binary COPY: %w", err)
		}
		n := int16(binary.BigEndian.Uint16(n2[:]))
		if n == -1 {
			return nil
		}
		if int(n) != nfields {
			return fmt.Errorf("binary COPY: %d fields, want %d", n, nfields)
		}
		buf = buf[:0]
		var ends [16]int
		nulls := uint32(0)
		for i := range nfields {
			if _, err := io.ReadFull(r, n4[:]); err != nil {
				return fmt.Errorf("binary COPY: %w", err)
			}
			l := int32(binary.BigEndian.Uint32(n4[:]))
			if l < 0 {
				nulls |= 1 << i
				ends[i] = len(buf)
				continue
			}
			start := len(buf)
			buf = slices.Grow(buf, int(l))[:start+int(l)]
			if _, err := io.ReadFull(r, buf[start:]); err != nil {
				return fmt.Errorf("binary COPY: %w", err)
			}
			ends[i] = len(buf)
		}
		start := 0
		for i := range nfields {
			if nulls&(1<<i) != 0 {
				fields[i] = nil
			} else {
				fields[i] = buf[start:ends[i]:ends[i]]
				if fields[i] == nil {
					fields[i] = []byte{}
				}
			}
			start = ends[i]
		}
		if err := row(fields); err != nil {
			return err
		}
	}
}

// copyDecoder turns binary COPY fields into Go values; the first problem
// is kept in err.
type copyDecoder struct {
	arena  []byte
	intern map[string]string
	err    error
}

func (d *copyDecoder) fail(i int, want string) {
	if d.err == nil {
		d.err = fmt.Errorf("binary COPY: field %d is not %s", i+1, want)
	}
}

// text returns a text field kept in an arena.
func (d *copyDecoder) text(f [][]byte, i int) string {
	b := f[i]
	if b == nil {
		d.fail(i, "a non-NULL text")
		return ""
	}
	if len(b) == 0 {
		return ""
	}
	if cap(d.arena)-len(d.arena) < len(b) {
		d.arena = make([]byte, 0, max(64<<10, len(b)))
	}
	s := len(d.arena)
	d.arena = append(d.arena, b...)
	return unsafe.String(&d.arena[s], len(b))
}

// code returns a text field shared between rows (area codes, enums).
func (d *copyDecoder) code(f [][]byte, i int) string {
	if v, ok := d.intern[string(f[i])]; ok && f[i] != nil {
		return v
	}
	v := d.text(f, i)
	if len(d.intern) < 1<<16 {
		d.intern[v] = v
	}
	return v
}

func (d *copyDecoder) int(f [][]byte, i int) int64 {
	switch b := f[i]; len(b) {
	case 2:
		return int64(int16(binary.BigEndian.Uint16(b)))
	case 4:
		return int64(int32(binary.BigEndian.Uint32(b)))
	case 8:
		return int64(binary.BigEndian.Uint64(b))
	}
	d.fail(i, "an integer")
	return 0
}

func (d *copyDecoder) float(f [][]byte, i int) float64 {
	if len(f[i]) != 8 {
		d.fail(i, "a float8")
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(f[i]))
}

func (d *copyDecoder) bool(f [][]byte, i int) bool {
	if len(f[i]) != 1 {
		d.fail(i, "a boolean")
		return false
	}
	return f[i][0] != 0
}

// connOf returns the connection under q when it is a transaction or a
// connection (nil for a pool: the row scans are used).
func connOf(q Querier) *pgconn.PgConn {
	switch c := q.(type) {
	case pgx.Tx:
		return c.Conn().PgConn()
	case *pgx.Conn:
		return c.PgConn()
	}
	return nil
}
