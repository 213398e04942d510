package format

// Parallel reading of large, plain CSV files.
//
// A CSV file on disk that is UTF-8 (with or without a BOM), holds no double
// quote (so no quoted cell can span lines), has LF or CRLF line ends and no
// line near MaxLineBytes is read in chunks cut at line ends: workers split
// and parse the rows of a chunk (the fields are substrings of the chunk: no
// allocation per field), and one merger takes the chunks in file order,
// checks ids against the ids of the whole file, adds the problems to errs
// and calls fn, so the records, rows, problems and their order are those
// of the sequential reader (tested against it). Every other file, and every
// file whose check fails, is read by the sequential reader; the check reads
// the file before any record is passed on.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"github.com/gapmap/gapmap/data"
)

// defaultChunkBytes is the size of a chunk; files up to twice this size
// are read sequentially.
const defaultChunkBytes = 1 << 20

type chunkKey struct{}

// withChunkBytes returns a context under which the table readers cut
// plain CSV files into chunks of n bytes (tests use small chunks); n < 0
// turns the parallel reading off.
func withChunkBytes(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, chunkKey{}, n)
}

func chunkBytesFrom(ctx context.Context) int {
	if n, ok := ctx.Value(chunkKey{}).(int); ok && n != 0 {
		return n
	}
	return defaultChunkBytes
}

// plainCSV checks that path can be read in chunks: it returns the length
// of its byte-order mark, its separator and ok. It reads the whole file.
func plainCSV(path string, lim Limits, size int64) (bom int, comma rune, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	const peek = 64 << 10
	buf := make([]byte, 1<<20)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF {
		return 0, 0, false
	}
	head := buf[:min(n, peek)]
	if utf16Order(head) != "" || bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")) {
		return 0, 0, false
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		bom = 3
	}
	comma = sniffDelimiter(buf[bom:min(n, bom+peek)])
	maxLine := lim.MaxLineBytes / 2
	var line int64 // bytes since the last '\n'
	var keep int   // bytes of an incomplete rune carried over
	prevCR := false
	start := bom
	for {
		b := buf[start:n]
		// Runes cut at the end of the buffer are checked with the next one.
		valid := b
		if n == len(buf) {
			valid = completeRunes(b, true)
		}
		if !utf8.Valid(valid) || bytes.IndexByte(b, '"') >= 0 {
			return 0, 0, false
		}
		if prevCR && (len(b) == 0 || b[0] != '\n') {
			return 0, 0, false
		}
		for i := bytes.IndexByte(b, '\r'); i >= 0; {
			if i+1 < len(b) && b[i+1] != '\n' {
				return 0, 0, false
			}
			j := bytes.IndexByte(b[i+1:], '\r')
			if j < 0 {
				break
			}
			i += 1 + j
		}
		prevCR = len(b) > 0 && b[len(b)-1] == '\r'
		for rest := b; ; {
			i := bytes.IndexByte(rest, '\n')
			if i < 0 {
				line += int64(len(rest))
				break
			}
			if line+int64(i) > maxLine {
				return 0, 0, false
			}
			line, rest = 0, rest[i+1:]
		}
		if line > maxLine {
			return 0, 0, false
		}
		if n < len(buf) {
			return bom, comma, !prevCR
		}
		keep = len(b) - len(valid)
		copy(buf, b[len(b)-keep:])
		m, err := io.ReadFull(f, buf[keep:])
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return 0, 0, false
		}
		n, start = keep+m, 0
		if m == 0 {
			if keep > 0 {
				return 0, 0, false // an incomplete rune at the end
			}
			return bom, comma, !prevCR
		}
		// The carried bytes were already checked for quotes and line ends.
		_ = keep
	}
}

// splitLine splits one line (without its '\n') into fields as encoding/csv
// does for a line without quotes, appending to rec.
func splitLine(line string, comma rune, rec []string) []string {
	line = strings.TrimSuffix(line, "\r")
	rec = rec[:0]
	if comma < utf8.RuneSelf {
		c := byte(comma)
		for {
			i := strings.IndexByte(line, c)
			if i < 0 {
				return append(rec, line)
			}
			rec = append(rec, line[:i])
			line = line[i+1:]
		}
	}
	return append(rec, strings.Split(line, string(comma))...)
}

// lineSource yields the records of the lines of b (the start of a file);
// at its end it returns errPrefixEnd when the file goes on, io.EOF else.
type lineSource struct {
	b     string
	comma rune
	off   int // next line
	line  int // lines consumed
	more  bool
	end   bool // errPrefixEnd was returned
	rec   []string
}

var errPrefixEnd = errors.New("end of the chunk")

func (s *lineSource) next() ([]string, int, error) {
	for {
		if s.off >= len(s.b) {
			if s.more {
				s.end = true
				return nil, s.line + 1, errPrefixEnd
			}
			return nil, s.line + 1, io.EOF
		}
		rest := s.b[s.off:]
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			if s.more {
				s.end = true
				return nil, s.line + 1, errPrefixEnd
			}
			i = len(rest)
		}
		l := rest[:i]
		s.off += i + 1
		s.line++
		if l == "" || l == "\r" {
			continue // encoding/csv skips empty lines
		}
		s.rec = splitLine(l, s.comma, s.rec)
		return s.rec, s.line, nil
	}
}

func (s *lineSource) close() error { return nil }

// pendingID is an id whose uniqueness in the file is checked by the merger.
type pendingID struct {
	h      uint64 // idHash of id under the merger's seed, computed by the worker
	value  string
	id     string
	f      int32
	errPos int32 // position in the row's problems for the duplicate error; -1: the column already failed
}

// chunkRow is one non-blank row of a chunk.
type chunkRow struct {
	row        int
	errs       [2]int // the row's problems: chunk.errs[errs[0]:errs[1]]
	val        int    // index in chunk.vals, -1 when the row is bad
	ids        [2]int // chunk.ids[ids[0]:ids[1]]
	widthError bool
}

// chunk is a piece of the file cut at line ends with what its worker made
// of it. Chunks are reused once merged (their text buffer and slices), so
// nothing passed on may point into buf: kept values are copied by
// rowCtx.keep, problems are made to own their strings by the worker, ids
// are only hashed by the merger.
type chunk[T any] struct {
	buf       []byte // the memory of text (and of the next chunk's carry)
	text      string
	startLine int // lines before the chunk
	lines     int // an upper bound of its lines
	rows      []chunkRow
	vals      []T
	errs      []data.FieldError
	ids       []pendingID
	err       error
	done      chan struct{} // receives one value when the chunk is parsed (or abandoned)
}

// inBuf reports whether s points into the chunk's memory.
func (c *chunk[T]) inBuf(s string) bool {
	if s == "" || cap(c.buf) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	b := uintptr(unsafe.Pointer(unsafe.SliceData(c.buf)))
	return p >= b && p < b+uintptr(cap(c.buf))
}

// own returns s, copied when it points into the chunk's memory.
func (c *chunk[T]) own(s string) string {
	if c.inBuf(s) {
		return strings.Clone(s)
	}
	return s
}

// chunkPool holds merged chunks for reuse: at most the chunks in flight
// (2×workers waiting in order, one merged, one being filled).
type chunkPool[T any] chan *chunk[T]

func (p chunkPool[T]) get() *chunk[T] {
	select {
	case c := <-p:
		return c
	default:
		return &chunk[T]{done: make(chan struct{}, 1)}
	}
}

// put returns a chunk whose done value was received.
func (p chunkPool[T]) put(c *chunk[T]) {
	c.text, c.err = "", nil
	c.rows, c.vals, c.errs, c.ids = c.rows[:0], c.vals[:0], c.errs[:0], c.ids[:0]
	select {
	case p <- c:
	default:
	}
}

// idPrefault makes, while the file is checked, the table of the ids of a
// large file (see prefaultedTable).
type idPrefault struct {
	stop  atomic.Bool
	table chan []dupEntry
}

// prefaultMin is the fewest ids estimated for which the table is made
// ahead.
var prefaultMin = 1 << 18

// startIDPrefault estimates the rows of the file from the lines of its
// first 64 KiB (at most one a 16 bytes) and, when they are many, starts
// making their table; nil when it does not.
func startIDPrefault(path string, size int64) *idPrefault {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	f.Close()
	lines := bytes.Count(head[:n], []byte{'\n'})
	if n == 0 || lines == 0 {
		return nil
	}
	est := min(size/int64(n)*int64(lines), size/16)
	est += est / 16
	if est < int64(prefaultMin) || est > 1<<30 {
		return nil
	}
	p := &idPrefault{table: make(chan []dupEntry, 1)}
	go func() { p.table <- prefaultedTable(dupTableSize(int(est)), &p.stop) }()
	return p
}

// cancel stops making the table.
func (p *idPrefault) cancel() {
	if p != nil {
		p.stop.Store(true)
	}
}

// touchBatch is how many ids the merger touches in the set at a time.
const touchBatch = 32

// readChunked reads the data rows of a plain CSV file after its header
// (r holds the header; the rows start at byte off and line line+1) in
// parallel chunks, passing them to fn in file order.
func readChunked[T any](ctx context.Context, t *table, r *rowCtx, path string, off int64, line int, comma rune, size int,
	pre *idPrefault, parse func(*rowCtx) T, fn func(int, T) error) error {
	defer pre.cancel()
	f, err := os.Open(path)
	if err != nil {
		return t.readErr(line+1, err)
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return t.readErr(line+1, err)
	}
	var rest int64 // bytes of rows, for presizing the ids
	if st, err := f.Stat(); err == nil {
		rest = st.Size() - off
	}
	ctx, cancel := context.WithCancel(ctx)
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan *chunk[T], workers)
	order := make(chan *chunk[T], 2*workers)
	pool := make(chunkPool[T], 2*workers+2)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &chunkWorker[T]{t: &table{file: t.file, lim: t.lim}, r: r.clone(), comma: comma, parse: parse}
			for c := range jobs {
				w.parse1(ctx, c)
				c.done <- struct{}{}
			}
		}()
	}
	// The reader cuts the file at line ends.
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(jobs)
		var carry []byte
		lines := line
		for {
			c := pool.get()
			need := len(carry) + size
			if cap(c.buf) < need {
				c.buf = make([]byte, need+need/64)
			}
			buf := c.buf[:need]
			copy(buf, carry)
			n, err := io.ReadFull(f, buf[len(carry):])
			buf = buf[:len(carry)+n]
			eof := err == io.EOF || err == io.ErrUnexpectedEOF
			if err != nil && !eof {
				readErr <- err
				return
			}
			cut := len(buf)
			if !eof {
				cut = bytes.LastIndexByte(buf, '\n') + 1 // 0: no line end yet, read on
			}
			carry = append(carry[:0], buf[cut:]...)
			if cut == 0 {
				pool.put(c)
			} else {
				text := buf[:cut]
				nl := bytes.Count(text, []byte{'\n'})
				c.text, c.startLine, c.lines = unsafe.String(&text[0], len(text)), lines, nl+1
				lines += nl
				select {
				case order <- c:
				case <-ctx.Done():
					return
				}
				select {
				case jobs <- c:
				case <-ctx.Done():
					c.done <- struct{}{}
					return
				}
			}
			if eof {
				readErr <- nil
				return
			}
		}
	}()
	defer func() {
		cancel() // stops the reader and the workers
		wg.Wait()
	}()
	ids := r.ids
	// The table made ahead (if any) is taken once made; the ids seen until
	// then grow a small one. Without it, the set is presized from a chunk.
	making, presized := pre != nil, false
	for c := range order {
		<-c.done
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("reading %s: %w", t.file, err)
		}
		if c.err != nil {
			return fmt.Errorf("reading %s: %w", t.file, c.err)
		}
		if making {
			select {
			case e := <-pre.table:
				ids.adopt(e)
				making = false
			default:
			}
		}
		if !making && !presized && len(c.text) > 0 && len(c.ids) > 0 {
			// Presize the ids from those of this chunk, so the set does
			// not grow (and rehash millions of ids) on the way. A file
			// that goes on with shorter lines grows it as before.
			est := int64(len(c.ids)) * rest / int64(len(c.text))
			est += est/16 + 1024
			ids.reserve(int(min(est, rest/16, 1<<30)))
			presized = true
		}
		touched := 0 // c.ids[:touched] were touched
		for k := range c.rows {
			cr := &c.rows[k]
			if cr.ids[1] > touched {
				// A probe of the ids is a cache miss that the next probe
				// waits for; loading the slots of the next ids together
				// first overlaps the misses (4× faster at 7M ids).
				end := min(len(c.ids), max(cr.ids[1], touched+touchBatch))
				ids.touch(c.ids[max(touched, cr.ids[0]):end])
				touched = end
			}
			errs := c.errs[cr.errs[0]:cr.errs[1]]
			bad := cr.val < 0
			dupAt, dropCol := -1, ""
			var dupErr data.FieldError
			for _, p := range c.ids[cr.ids[0]:cr.ids[1]] {
				first, dup := ids.addHash(p.h, cr.row)
				if !dup {
					continue
				}
				bad = true
				if p.errPos >= 0 && dupAt < 0 {
					what := r.cols[p.f].name
					if p.id != p.value {
						what += " (id " + p.id + ")"
					}
					dupAt, dropCol = int(p.errPos), r.name(int(p.f))
					dupErr = data.FieldError{File: t.file, Row: cr.row, Column: dropCol, Value: strings.Clone(clip(p.value)),
						Reason: fmt.Sprintf("duplicate %s: first seen at row %d", what, first)}
				}
			}
			for i, e := range errs {
				if i == dupAt {
					t.errs.Add(dupErr)
				}
				if dupAt >= 0 && i >= dupAt && e.Column == dropCol {
					continue // the sequential reader reports a column once a row
				}
				t.errs.Add(e) // its strings are not the chunk's memory (parse1)
			}
			if dupAt >= len(errs) {
				t.errs.Add(dupErr)
			}
			if bad {
				continue
			}
			if err := fn(cr.row, c.vals[cr.val]); err != nil {
				return fmt.Errorf("%s row %d: %w", t.file, cr.row, err)
			}
		}
		pool.put(c)
	}
	if err := <-readErr; err != nil {
		return t.readErr(line+1, err)
	}
	return ctx.Err()
}

// chunkWorker parses chunks with its own row context.
type chunkWorker[T any] struct {
	t     *table // file name and limits
	r     *rowCtx
	comma rune
	parse func(*rowCtx) T
	rec   []string
}

// grown returns s emptied, with room for n elements (reused when it has).
func grown[S ~[]E, E any](s S, n int) S {
	if cap(s) < n {
		return make(S, 0, n+n/8)
	}
	return s[:0]
}

func (w *chunkWorker[T]) parse1(ctx context.Context, c *chunk[T]) {
	if ctx.Err() != nil {
		return
	}
	r := w.r
	c.rows = grown(c.rows, c.lines)
	c.vals = grown(c.vals, c.lines)
	c.ids = grown(c.ids, c.lines)
	c.errs = c.errs[:0]
	var rowErrs data.ValidationError
	r.errs, w.t.errs = &rowErrs, &rowErrs
	r.pending = &c.ids
	// precheck reports NUL bytes, bytes that are not UTF-8 and fields
	// longer than MaxFieldBytes (its XLSX formulas do not apply): in a
	// chunk without the first two (plainCSV checked the file, but it may
	// have changed since) only a row of a line that long can have one.
	dirty := strings.IndexByte(c.text, 0) >= 0 || !utf8.ValidString(c.text)
	maxField := w.t.lim.MaxFieldBytes
	text, line := c.text, c.startLine
	for len(text) > 0 {
		i := strings.IndexByte(text, '\n')
		l := text
		if i >= 0 {
			l, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		line++
		if l == "" || l == "\r" {
			continue
		}
		w.rec = splitLine(l, w.comma, w.rec)
		if blank(w.rec) {
			continue
		}
		rowErrs.Errors = rowErrs.Errors[:0]
		cr := chunkRow{row: line, val: -1}
		cr.ids[0] = len(c.ids)
		r.start(line, w.rec)
		if r.checkWidth() {
			if dirty || int64(len(l)) > maxField {
				r.precheck(w.t)
			}
			v := w.parse(r)
			if !r.bad {
				cr.val = len(c.vals)
				c.vals = append(c.vals, v)
			}
		}
		cr.ids[1] = len(c.ids)
		cr.errs[0] = len(c.errs)
		for _, e := range rowErrs.Errors {
			// The chunk's memory is reused once merged: a problem keeps
			// its own copy of what points into it (the value, mostly).
			e.File, e.Column, e.Value, e.Reason = c.own(e.File), c.own(e.Column), c.own(e.Value), c.own(e.Reason)
			c.errs = append(c.errs, e)
		}
		cr.errs[1] = len(c.errs)
		c.rows = append(c.rows, cr)
	}
}

// tryChunked reads ref in parallel chunks when it is a plain CSV file of
// more than two chunks; ok is false (nothing done, errs unchanged) when it
// is not.
func tryChunked[T any](ctx context.Context, ref fileRef, errs *data.ValidationError, cols []column,
	parse func(*rowCtx) T, fn func(int, T) error) (bool, error) {
	size := chunkBytesFrom(ctx)
	if ref.r != nil || size < 0 || tableExt(ref.path) != ".csv" {
		return false, nil
	}
	st, err := os.Stat(ref.path)
	if err != nil || !st.Mode().IsRegular() || st.Size() <= 2*int64(size) {
		return false, nil
	}
	lim := LimitsFrom(ctx)
	// The table of the ids is made on another core while this one checks
	// the file.
	pre := startIDPrefault(ref.path, st.Size())
	bom, comma, ok := plainCSV(ref.path, lim, st.Size())
	if !ok {
		pre.cancel()
		return false, nil
	}
	f, err := os.Open(ref.path)
	if err != nil {
		pre.cancel()
		return false, nil
	}
	prefix := make([]byte, max(size, 64<<10))
	n, err := f.ReadAt(prefix, int64(bom))
	f.Close()
	if err != nil && err != io.EOF {
		pre.cancel()
		return false, nil
	}
	more := int64(bom+n) < st.Size()
	if more {
		n = bytes.LastIndexByte(prefix[:n], '\n') + 1
	}
	src := &lineSource{b: string(prefix[:n]), comma: comma, more: more}
	t := &table{file: ref.name(), src: src, lim: lim, errs: errs}
	n0, tr0 := len(errs.Errors), errs.Truncated
	var last data.FieldError
	if n0 > 0 {
		last = errs.Errors[n0-1]
	}
	r, err := t.findHeader(cols)
	if src.end {
		// The header search reached the end of the prefix: read it all
		// sequentially.
		errs.Errors, errs.Truncated = errs.Errors[:n0], tr0
		if n0 > 0 {
			errs.Errors[n0-1] = last
		}
		pre.cancel()
		return false, nil
	}
	if err != nil {
		pre.cancel()
		return true, err
	}
	return true, readChunked(ctx, t, r, ref.path, int64(bom+src.off), src.line, comma, size, pre, parse, fn)
}
