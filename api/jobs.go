package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// progressFunc reports a job's phase and percent (0–100).
type progressFunc func(phase string, percent float64)

// jobFunc is the work of a background job. It returns the job's result
// (stored as JSON) and must return promptly with ctx's error once ctx is
// cancelled.
type jobFunc func(ctx context.Context, progress progressFunc) (result any, err error)

// jobRunner runs background jobs (coverage runs, allocation previews): one
// job of a kind at a time (the database enforces it), progress recorded in
// the jobs table, cancellable, and cancelled at shutdown.
type jobRunner struct {
	base   context.Context
	store  *postgis.Store
	logger *slog.Logger

	mu      sync.Mutex
	cancels map[int64]context.CancelFunc
	wg      sync.WaitGroup
}

func newJobRunner(ctx context.Context, store *postgis.Store, logger *slog.Logger) *jobRunner {
	return &jobRunner{base: ctx, store: store, logger: logger, cancels: map[int64]context.CancelFunc{}}
}

// start records a job and runs fn in the background. A job of the same kind
// already running is a *data.ConflictError.
func (j *jobRunner) start(ctx context.Context, kind, actor string, params any, fn jobFunc) (data.Job, error) {
	if j.base.Err() != nil {
		return data.Job{}, &data.ConflictError{Reason: "the server is shutting down: try again in a moment"}
	}
	job, err := j.store.StartJob(ctx, kind, actor, params)
	if err != nil {
		return data.Job{}, err
	}
	jctx, cancel := context.WithCancel(j.base)
	j.mu.Lock()
	j.cancels[job.ID] = cancel
	j.mu.Unlock()
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		defer func() {
			j.mu.Lock()
			delete(j.cancels, job.ID)
			j.mu.Unlock()
			cancel()
		}()
		j.run(jctx, job, fn)
	}()
	return job, nil
}

func (j *jobRunner) run(ctx context.Context, job data.Job, fn jobFunc) {
	// Progress is written at most every 200 ms, and at every phase change.
	var (
		mu        sync.Mutex
		lastPhase string
		lastWrite time.Time
	)
	progress := func(phase string, pct float64) {
		mu.Lock()
		defer mu.Unlock()
		if phase == lastPhase && time.Since(lastWrite) < 200*time.Millisecond {
			return
		}
		lastPhase, lastWrite = phase, time.Now()
		if err := j.store.UpdateJobProgress(context.WithoutCancel(ctx), job.ID, phase, pct); err != nil {
			j.logger.Warn("job progress not recorded", "job", job.ID, "err", err)
		}
	}
	var (
		result any
		err    error
	)
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("job panicked: %v", p)
			}
		}()
		result, err = fn(ctx, progress)
	}()
	status, msg := data.JobSucceeded, ""
	switch {
	case err == nil:
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ctx.Err())):
		status, msg = data.JobCancelled, "cancelled"
	default:
		status, msg = data.JobFailed, err.Error()
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ferr := j.store.FinishJob(fctx, job.ID, status, result, msg); ferr != nil {
		j.logger.Error("job end not recorded", "job", job.ID, "status", status, "err", ferr)
	}
	j.logger.Info("job ended", "job", job.ID, "kind", job.Kind, "status", status, "err", msg)
}

// cancel asks a running job to stop; it reports whether the job was running
// in this server.
func (j *jobRunner) cancel(id int64) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	c, ok := j.cancels[id]
	if ok {
		c()
	}
	return ok
}

// shutdown cancels every running job and waits until each has recorded its
// end, or ctx is done.
func (j *jobRunner) shutdown(ctx context.Context) error {
	j.mu.Lock()
	for _, c := range j.cancels {
		c()
	}
	j.mu.Unlock()
	done := make(chan struct{})
	go func() { j.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("background jobs still running at shutdown: %w", ctx.Err())
	}
}
