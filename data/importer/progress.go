package importer

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress renders import progress on a terminal: one line, rewritten at
// most ten times a second ("households.csv: 412,000 rows, 385,000 rows/s").
// Use its Report method as Options.Progress and OnFile as Options.OnFile,
// and call Done when the import ends. It is safe for concurrent use.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	file  string
	start time.Time
	last  time.Time
	shown bool
}

// NewProgress returns a progress line writing to w (normally stderr, and
// only when it is a terminal).
func NewProgress(w io.Writer) *Progress { return &Progress{w: w} }

// OnFile starts the line of a new file.
func (p *Progress) OnFile(kind, file string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	p.file, p.start, p.last = file, time.Now(), time.Time{}
}

// Report shows rows done of the current file.
func (p *Progress) Report(rows int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	rate := ""
	if el := now.Sub(p.start).Seconds(); el > 0.2 {
		rate = fmt.Sprintf(", %s rows/s", humanInt(int64(float64(rows)/el)))
	}
	fmt.Fprintf(p.w, "\r\033[K%s: %s rows%s", p.file, humanInt(rows), rate)
	p.shown = true
}

// Done clears the line.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func (p *Progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
