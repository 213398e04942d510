package postgis

import (
	"context"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5"
)

// AreaSuccessors returns the successor table of area codes ordered by old
// code, day and new code.
func AreaSuccessors(ctx context.Context, q Querier) ([]data.AreaSuccessor, error) {
	out := []data.AreaSuccessor{}
	err := each(ctx, q, "area successors", `SELECT old_code, new_code, effective, share FROM area_successors
		ORDER BY old_code, effective, new_code`, func(rows pgx.Rows) error {
		var s data.AreaSuccessor
		if err := rows.Scan(&s.OldCode, &s.NewCode, &s.Effective, &s.Share); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// Successors returns the checked successor table (data.NewSuccessors) of
// the store.
func (s *Store) Successors(ctx context.Context) (*data.Successors, error) {
	rows, err := AreaSuccessors(ctx, s.pool)
	if err != nil {
		return nil, err
	}
	return data.NewSuccessors(rows)
}

// AreaSuccessorRows returns the successor table of the store as stored
// (see AreaSuccessors).
func (s *Store) AreaSuccessorRows(ctx context.Context) ([]data.AreaSuccessor, error) {
	return AreaSuccessors(ctx, s.pool)
}

// CopySuccessors writes successor rows inside tx (binary COPY) and returns
// how many were written.
func CopySuccessors(ctx context.Context, tx pgx.Tx, rows []data.AreaSuccessor) (int64, error) {
	return copyRows(ctx, tx, "area_successors", []string{"old_code", "new_code", "effective", "share"}, SliceSource(rows),
		func(s data.AreaSuccessor, v []any) error {
			v[0], v[1], v[2], v[3] = s.OldCode, s.NewCode, Day(s.Effective), s.Share
			return nil
		})
}
