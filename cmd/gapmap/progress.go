package main

import (
	"fmt"
	"github.com/gapmap/gapmap/internal/termsafe"
	"io"
	"sync"
	"time"
)

// progress renders "stage: done/total" on one terminal line, at most a few
// times a second. When stderr is not a terminal it prints nothing.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	enabled bool
	last    time.Time
	started time.Time
	shown   bool
}

func newProgress(e *env) *progress {
	w := e.term // the progress line's own \r and ESC [K reach the terminal
	if w == nil {
		w = e.stderr
	}
	return &progress{w: w, enabled: e.isTerminal, started: time.Now()}
}

func (p *progress) update(stage string, done, total int64) {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond && (total == 0 || done < total) {
		return
	}
	p.last = now
	stage = termsafe.Line(stage) // it may name a file
	rate := float64(done) / now.Sub(p.started).Seconds()
	if total > 0 {
		fmt.Fprintf(p.w, "\r\033[K%s: %d/%d (%.0f%%, %.0f/s)", stage, done, total, 100*float64(done)/float64(total), rate)
	} else {
		fmt.Fprintf(p.w, "\r\033[K%s: %d (%.0f/s)", stage, done, rate)
	}
	p.shown = true
}

// done clears the progress line.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
