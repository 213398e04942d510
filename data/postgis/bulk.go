package postgis

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Keys of the tables: for each kind of input, its table and id column.
// Kinds are the file kinds of data/format ("areas", "schools", …; "sites"
// is the sites table of sectors).
func tableKey(kind string) (table, id string, ok bool) {
	switch kind {
	case "areas":
		return "areas", "code", true
	case "successors":
		return "area_successors", "old_code", true
	case "schools":
		return "schools", "school_id", true
	case "households":
		return "households", "household_id", true
	case "students":
		return "students", "student_id", true
	case "sites":
		return "sites", "sector_id", true
	case "fiber_nodes":
		return "fiber_nodes", "node_id", true
	case "fiber_routes":
		return "fiber_routes", "route_id", true
	case "donors":
		return "donors", "donor_id", true
	case "devices":
		return "devices", "device_id", true
	case "sim_packages":
		return "sim_packages", "package_id", true
	case "coverage_polygons":
		return "coverage_polygons", "polygon_id", true
	case "measurements":
		return "measurements", "measurement_id", true
	}
	return "", "", false
}

// TableOf returns the table and id column that store kind.
func TableOf(kind string) (table, idColumn string, err error) {
	t, id, ok := tableKey(kind)
	if !ok {
		return "", "", fmt.Errorf("unknown kind %q", kind)
	}
	return t, id, nil
}

// ExistingIDs returns the ids among ids that are already stored for kind,
// as seen by q (a pool or a transaction), in no particular order.
func ExistingIDs(ctx context.Context, q Querier, kind string, ids []string) ([]string, error) {
	table, col, err := TableOf(kind)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, fmt.Sprintf("SELECT %[1]s FROM %[2]s WHERE %[1]s = ANY($1::text[])",
		pgx.Identifier{col}.Sanitize(), pgx.Identifier{table}.Sanitize()), ids)
	if err != nil {
		return nil, fmt.Errorf("look up %s ids: %w%s", kind, err, hintMigrate(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("look up %s ids: %w", kind, err)
	}
	return out, nil
}

// IsEmpty reports whether table has no rows as seen by q.
func IsEmpty(ctx context.Context, q Querier, table string) (bool, error) {
	var some bool
	err := q.QueryRow(ctx, fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s)", pgx.Identifier{table}.Sanitize())).Scan(&some)
	if err != nil {
		return false, fmt.Errorf("look into %s: %w%s", table, err, hintMigrate(err))
	}
	return !some, nil
}

// BulkLoad is a table being loaded without its indexes and keys.
//
// PostgreSQL's advice for populating a table ("Populating a Database" in
// its manual) is to load it without indexes and foreign keys and to create
// them afterwards: building a btree from sorted input is several times
// cheaper than inserting a million keys one by one, and checking a foreign
// key over the whole table is one join instead of a trigger per row. It
// takes an ACCESS EXCLUSIVE lock on the table until the transaction ends,
// so use it for a table that is empty (a first load, or a --replace).
type BulkLoad struct {
	tx      pgx.Tx
	table   string
	restore []string // statements re-creating what was dropped, in order
	Elapsed time.Duration
}

// PrepareBulkLoad drops, inside tx, the indexes and keys of table and the
// foreign keys of other tables that point at it, remembering their
// definitions; Finish re-creates them. Pending deferred constraint checks
// run first (SET CONSTRAINTS ALL IMMEDIATE: DDL cannot run with pending
// trigger events), then deferrable constraints are deferred again.
func PrepareBulkLoad(ctx context.Context, tx pgx.Tx, table string) (*BulkLoad, error) {
	start := time.Now()
	if _, err := tx.Exec(ctx, "SET CONSTRAINTS ALL IMMEDIATE"); err != nil {
		return nil, fmt.Errorf("bulk load of %s: check pending constraints: %w", table, err)
	}
	if _, err := tx.Exec(ctx, "SET CONSTRAINTS ALL DEFERRED"); err != nil {
		return nil, fmt.Errorf("bulk load of %s: %w", table, err)
	}
	// Sort the index keys in memory when they are re-created (the default
	// 64 MB spills a million keys to disk).
	if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
		return nil, fmt.Errorf("bulk load of %s: %w", table, err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+pgx.Identifier{table}.Sanitize()+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return nil, fmt.Errorf("bulk load of %s: lock the table: %w", table, err)
	}
	// Foreign keys pointing at the table (from others or from itself),
	// its own foreign keys, its primary/unique keys, then plain indexes.
	type obj struct{ owner, name, def, kind string }
	rows, err := tx.Query(ctx, `
		SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid),
		       CASE WHEN confrelid = $1::regclass THEN 'ref' WHEN contype = 'f' THEN 'fk' ELSE 'key' END
		FROM pg_constraint
		WHERE (confrelid = $1::regclass AND contype = 'f')
		   OR (conrelid = $1::regclass AND contype IN ('p', 'u', 'f'))
		ORDER BY 2`, table)
	if err != nil {
		return nil, fmt.Errorf("bulk load of %s: read the constraints: %w", table, err)
	}
	var cons []obj
	for rows.Next() {
		var o obj
		if err := rows.Scan(&o.owner, &o.name, &o.def, &o.kind); err != nil {
			rows.Close()
			return nil, fmt.Errorf("bulk load of %s: %w", table, err)
		}
		cons = append(cons, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("bulk load of %s: read the constraints: %w", table, err)
	}
	// Drop order: foreign keys pointing at the table, its own foreign
	// keys, its keys, its indexes; re-create in the reverse order.
	var refs, fks, keys []obj
	for _, o := range cons {
		switch o.kind {
		case "ref":
			refs = append(refs, o)
		case "fk":
			fks = append(fks, o)
		default:
			keys = append(keys, o)
		}
	}
	idx, err := tx.Query(ctx, `
		SELECT i.relname, pg_get_indexdef(x.indexrelid)
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
		WHERE x.indrelid = $1::regclass
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x'))
		ORDER BY 1`, table)
	if err != nil {
		return nil, fmt.Errorf("bulk load of %s: read the indexes: %w", table, err)
	}
	var indexes []obj
	for idx.Next() {
		var o obj
		if err := idx.Scan(&o.name, &o.def); err != nil {
			idx.Close()
			return nil, fmt.Errorf("bulk load of %s: %w", table, err)
		}
		indexes = append(indexes, o)
	}
	if err := idx.Err(); err != nil {
		return nil, fmt.Errorf("bulk load of %s: read the indexes: %w", table, err)
	}

	b := &BulkLoad{tx: tx, table: table}
	var drop []string
	for _, group := range [][]obj{refs, fks, keys} {
		for _, o := range group {
			drop = append(drop, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", o.owner, pgx.Identifier{o.name}.Sanitize()))
		}
	}
	for _, o := range indexes {
		drop = append(drop, "DROP INDEX "+pgx.Identifier{o.name}.Sanitize())
	}
	for _, o := range keys {
		b.restore = append(b.restore, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", o.owner, pgx.Identifier{o.name}.Sanitize(), o.def))
	}
	for _, o := range indexes {
		b.restore = append(b.restore, o.def)
	}
	for _, group := range [][]obj{fks, refs} {
		for _, o := range group {
			b.restore = append(b.restore, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", o.owner, pgx.Identifier{o.name}.Sanitize(), o.def))
		}
	}
	for _, q := range drop {
		if _, err := tx.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("bulk load of %s: %s: %w", table, q, err)
		}
	}
	b.Elapsed = time.Since(start)
	return b, nil
}

// Finish re-creates the keys, indexes and foreign keys dropped by
// PrepareBulkLoad; the keys and foreign keys are checked over the whole
// table as they are created. On error the transaction is aborted (roll back
// to a savepoint taken before PrepareBulkLoad).
func (b *BulkLoad) Finish(ctx context.Context) error {
	start := time.Now()
	for _, q := range b.restore {
		if _, err := b.tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("bulk load of %s: %w", b.table, err)
		}
	}
	b.Elapsed += time.Since(start)
	return nil
}
