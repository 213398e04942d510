package postgis

// Binary COPY out: the analysis reads every household and student, so
// ReadDataset streams those tables with COPY … TO STDOUT (FORMAT binary)
// and decodes the tuples itself (no per-row protocol messages, no scan
// reflection, kept text in 64 KiB arenas, repeated codes shared).

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// copyOut runs COPY (query) TO STDOUT (FORMAT binary) on conn and calls
// row with the fields of each tuple (nil: NULL), decoding the stream as
// pgconn passes it on (one message a row): no copy, no goroutine. The
// field slices are only valid during the call.
func copyOut(ctx context.Context, conn *pgconn.PgConn, what, query string, nfields int, row func(f [][]byte) error) error {
	p := &copyParser{nfields: nfields, row: row, fields: make([][]byte, nfields)}
	_, err := conn.CopyTo(ctx, p, "COPY ("+query+") TO STDOUT (FORMAT binary)")
	if p.err != nil {
		err = p.err
	} else if err == nil && (!p.done || len(p.pending) > 0) {
		err = errors.New("binary COPY: the stream ended early")
	}
	if err != nil {
		return fmt.Errorf("read %s: %w%s", what, err, hintMigrate(err))
	}
	return nil
}

var copySignature = []byte("PGCOPY\n\xff\r\n\x00")

// copyParser decodes PostgreSQL's binary COPY format written to it.
type copyParser struct {
	nfields int
	row     func(f [][]byte) error
	fields  [][]byte
	pending []byte // an incomplete tuple
	header  bool   // the header was read
	done    bool   // the trailer was read
	err     error
}

func (p *copyParser) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	src := b
	if len(p.pending) > 0 {
		p.pending = append(p.pending, b...)
		src = p.pending
	}
	n, err := p.parse(src)
	if err != nil {
		p.err = err
		return 0, err
	}
	rest := src[n:]
	if len(p.pending) > 0 {
		p.pending = append(p.pending[:0], rest...)
	} else if len(rest) > 0 {
		p.pending = append(p.pending, rest...)
	}
	return len(b), nil
}

// parse decodes the complete parts of b and returns the bytes used.
func (p *copyParser) parse(b []byte) (int, error) {
	used := 0
	if !p.header {
		if len(b) < 19 {
			return 0, nil
		}
		if !bytes.Equal(b[:11], copySignature) {
			return 0, errors.New("binary COPY: bad signature")
		}
		ext := int(binary.BigEndian.Uint32(b[15:19]))
		if len(b) < 19+ext {
			return 0, nil
		}
		p.header, used = true, 19+ext
	}
	for !p.done {
		b := b[used:]
		if len(b) < 2 {
			return used, nil
		}
		n := int16(binary.BigEndian.Uint16(b))
		if n == -1 {
			p.done = true
			return used + 2, nil
		}
		if int(n) != p.nfields {
			return used, fmt.Errorf("binary COPY: %d fields, want %d", n, p.nfields)
		}
		off := 2
		complete := true
		for i := range p.nfields {
			if len(b) < off+4 {
				complete = false
				break
			}
			l := int(int32(binary.BigEndian.Uint32(b[off:])))
			off += 4
			if l < 0 {
				p.fields[i] = nil
				continue
			}
			if len(b) < off+l {
				complete = false
				break
			}
			p.fields[i] = b[off : off+l : off+l]
			off += l
		}
		if !complete {
			return used, nil
		}
		if err := p.row(p.fields); err != nil {
			return used, err
		}
		used += off
	}
	if used < len(b) {
		return used, errors.New("binary COPY: data after the trailer")
	}
	return used, nil
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
