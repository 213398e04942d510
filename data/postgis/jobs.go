package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const jobColumns = `id, kind, status, phase, percent, actor, params, result, error, started_at, finished_at`

func scanJob(row pgx.Row) (data.Job, error) {
	var j data.Job
	err := row.Scan(&j.ID, &j.Kind, &j.Status, &j.Phase, &j.Percent, &j.Actor, &j.Params, &j.Result, &j.Error, &j.StartedAt, &j.FinishedAt)
	return j, err
}

// StartJob records a running job of a kind. A job of the same kind already
// running is a *data.ConflictError.
func (s *Store) StartJob(ctx context.Context, kind, actor string, params any) (data.Job, error) {
	p, err := json.Marshal(params)
	if err != nil || params == nil {
		p = []byte("{}")
	}
	j, err := scanJob(s.pool.QueryRow(ctx, `INSERT INTO jobs (kind, status, actor, params) VALUES ($1, 'running', $2, $3) RETURNING `+jobColumns, kind, actor, p))
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return data.Job{}, &data.ConflictError{Reason: fmt.Sprintf("a %s job is already running: wait for it to finish or cancel it", kind)}
	}
	if err != nil {
		return data.Job{}, fmt.Errorf("record the %s job: %w", kind, err)
	}
	return j, nil
}

// UpdateJobProgress records a running job's phase and percent.
func (s *Store) UpdateJobProgress(ctx context.Context, id int64, phase string, percent float64) error {
	percent = max(0, min(100, percent))
	if _, err := s.pool.Exec(ctx, `UPDATE jobs SET phase = $2, percent = $3 WHERE id = $1 AND status = 'running'`, id, phase, percent); err != nil {
		return fmt.Errorf("record the progress of job %d: %w", id, err)
	}
	return nil
}

// FinishJob records how a job ended (data.JobSucceeded, JobFailed,
// JobCancelled), with its result as JSON and an error message.
func (s *Store) FinishJob(ctx context.Context, id int64, status string, result any, errMsg string) error {
	r := []byte("{}")
	if result != nil {
		b, err := json.Marshal(result)
		if err != nil {
			return fmt.Errorf("record the result of job %d: %w", id, err)
		}
		r = b
	}
	pct := "percent"
	if status == data.JobSucceeded {
		pct = "100"
	}
	if _, err := s.pool.Exec(ctx, `UPDATE jobs SET status = $2, result = $3, error = $4, finished_at = now(), percent = `+pct+`
		WHERE id = $1 AND status = 'running'`, id, status, r, errMsg); err != nil {
		return fmt.Errorf("record the end of job %d: %w", id, err)
	}
	return nil
}

// JobByID returns a job; a missing one is a *data.NotFoundError.
func (s *Store) JobByID(ctx context.Context, id int64) (data.Job, error) {
	j, err := scanJob(s.pool.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return data.Job{}, &data.NotFoundError{Kind: "job", ID: fmt.Sprint(id)}
	}
	if err != nil {
		return data.Job{}, fmt.Errorf("read job %d: %w", id, err)
	}
	return j, nil
}

// ListJobs returns the newest jobs of a kind ("" for every kind), at most
// limit.
func (s *Store) ListJobs(ctx context.Context, kind string, limit int) ([]data.Job, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+jobColumns+` FROM jobs WHERE $1 = '' OR kind = $1 ORDER BY id DESC LIMIT $2`, kind, limit)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (data.Job, error) { return scanJob(r) })
}

// AbandonJobs marks every job still recorded as running as cancelled (with
// reason): at start-up no job of this process can be running, so such rows
// were left by a server that died.
func (s *Store) AbandonJobs(ctx context.Context, reason string) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE jobs SET status = 'cancelled', error = $1, finished_at = now() WHERE status = 'running'`, reason)
	if err != nil {
		return 0, fmt.Errorf("close abandoned jobs: %w", err)
	}
	return tag.RowsAffected(), nil
}
