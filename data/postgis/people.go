package postgis

import (
	"context"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5"
)

// StudentIdentities returns the name and date of birth (YYYY-MM-DD) of the
// students ids that have either, by id: internal to the education office
// (the handover lists). Students without both are absent.
func (s *Store) StudentIdentities(ctx context.Context, ids []string) (map[string]data.Student, error) {
	out := map[string]data.Student{}
	if len(ids) == 0 {
		return out, nil
	}
	err := scanEach(ctx, s.pool, "student names", `SELECT student_id, full_name, coalesce(to_char(birth_date, 'YYYY-MM-DD'), '')
		FROM students WHERE student_id = ANY ($1) AND (full_name <> '' OR birth_date IS NOT NULL)`, []any{ids}, func(r pgx.Rows) error {
		var st data.Student
		if err := r.Scan(&st.ID, &st.FullName, &st.BirthDate); err != nil {
			return err
		}
		out[st.ID] = st
		return nil
	})
	return out, err
}
