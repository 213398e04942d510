package postgis

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// RecordAllocationPreviewThen records a preview run and its report like
// RecordAllocationPreview, and calls then with the recorded run (its id
// and date set) before the transaction commits: when then fails nothing
// is recorded and its error is returned. A caller writes the preview's
// files in then, so a preview whose files cannot be written leaves no run.
func (s *Store) RecordAllocationPreviewThen(ctx context.Context, run AllocationRun, report *RunReport, then func(AllocationRun) error) (AllocationRun, error) {
	run.Status = RunPreview
	var out AllocationRun
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if out, err = RecordAllocationRun(ctx, tx, run); err != nil {
			return err
		}
		if err := insertReport(ctx, tx, out.ID, report); err != nil {
			return err
		}
		return then(out)
	})
	return out, err
}
