package postgis

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// The allocation records (allocations, handovers) have no foreign keys to
// students, devices or SIM packages, on purpose: the record of who received
// what must survive a re-import of the lists. What protects them is a check
// inside the importing transaction: RememberAllocated, before a replace
// deletes anything, notes which rows of the kinds being replaced the
// records refer to; LostAllocated, before the commit, lists those that are
// gone. A row that comes back with the same id (the new file holds it) is
// not lost, whatever else changed in it.

// ProtectedKinds are the kinds the allocation records refer to.
func ProtectedKinds() []string { return []string{"students", "devices", "sim_packages"} }

// Allocated is a row of a replaced kind that a committed allocation or a
// handover refers to.
type Allocated struct {
	Kind   string // students, devices or sim_packages
	ID     string
	Run    int64  // the earliest committed run that allocated it
	Status string // handed_over, returned, pending (a handover not done yet) or allocated
	Count  int    // allocation records referring to it (SIMs of a package)
}

// allocatedQuery gives, per kind, the references of the allocation
// records: (id, run_id, status, allocation rows).
func allocatedQuery(kind string) (string, bool) {
	switch kind {
	case "students":
		return `SELECT a.student_id, a.run_id, coalesce(h.status, 'allocated'), 1
			FROM allocations a LEFT JOIN handovers h ON h.student_id = a.student_id AND h.benefit = a.benefit`, true
	case "devices":
		return `SELECT device_id, run_id, 'allocated', 1 FROM allocations WHERE device_id IS NOT NULL
			UNION ALL SELECT device_id, run_id, status, 0 FROM handovers`, true
	case "sim_packages":
		return `SELECT sim_package_id, run_id, 'allocated', 1 FROM allocations WHERE sim_package_id IS NOT NULL
			UNION ALL SELECT sim_package_id, run_id, status, 0 FROM handovers WHERE sim_package_id IS NOT NULL`, true
	}
	return "", false
}

// RememberAllocated notes, inside tx, the rows of kinds (those among
// ProtectedKinds) that allocation records refer to, for LostAllocated. It
// returns false when kinds holds no protected kind (nothing noted). Take
// LockAllocationsShared first, so no record is added until tx ends.
func RememberAllocated(ctx context.Context, tx pgx.Tx, kinds []string) (bool, error) {
	noted := false
	for _, kind := range kinds {
		q, ok := allocatedQuery(kind)
		if !ok {
			continue
		}
		if !noted {
			if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS gapmap_allocated
				(kind text, id text COLLATE "C", run_id bigint, status text, n integer) ON COMMIT DROP`); err != nil {
				return false, fmt.Errorf("note the allocated rows: %w", err)
			}
			if _, err := tx.Exec(ctx, `TRUNCATE gapmap_allocated`); err != nil {
				return false, fmt.Errorf("note the allocated rows: %w", err)
			}
			noted = true
		}
		table, col, err := TableOf(kind)
		if err != nil {
			return false, err
		}
		_, err = tx.Exec(ctx, fmt.Sprintf(`
			INSERT INTO gapmap_allocated (kind, id, run_id, status, n)
			SELECT $1, r.id COLLATE "C", min(r.run_id),
			       CASE WHEN bool_or(r.status = 'handed_over') THEN 'handed_over'
			            WHEN bool_or(r.status = 'returned') THEN 'returned'
			            WHEN bool_or(r.status = 'pending') THEN 'pending'
			            ELSE 'allocated' END,
			       sum(r.n)
			FROM (%s) r (id, run_id, status, n)
			WHERE EXISTS (SELECT 1 FROM %s t WHERE t.%s = r.id COLLATE "C")
			GROUP BY r.id COLLATE "C"`, q, pgx.Identifier{table}.Sanitize(), pgx.Identifier{col}.Sanitize()), kind)
		if err != nil {
			return false, fmt.Errorf("note the allocated %s: %w%s", kind, err, missingTableHint(err))
		}
	}
	return noted, nil
}

// LostAllocated returns the rows noted by RememberAllocated that are no
// longer in their table, by kind (in the order of ProtectedKinds) and id.
func LostAllocated(ctx context.Context, tx pgx.Tx) ([]Allocated, error) {
	var out []Allocated
	for _, kind := range ProtectedKinds() {
		table, col, err := TableOf(kind)
		if err != nil {
			return nil, err
		}
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT kind, id, run_id, status, n FROM gapmap_allocated g
			WHERE kind = $1 AND NOT EXISTS (SELECT 1 FROM %s t WHERE t.%s = g.id) ORDER BY id`,
			pgx.Identifier{table}.Sanitize(), pgx.Identifier{col}.Sanitize()), kind)
		if err != nil {
			return nil, fmt.Errorf("check the allocated %s: %w", kind, err)
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Allocated, error) {
			var a Allocated
			var n int32
			err := r.Scan(&a.Kind, &a.ID, &a.Run, &a.Status, &n)
			a.Count = int(n)
			return a, err
		})
		if err != nil {
			return nil, fmt.Errorf("check the allocated %s: %w", kind, err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// IsProtected reports whether kind is one of ProtectedKinds.
func IsProtected(kind string) bool { return slices.Contains(ProtectedKinds(), kind) }
