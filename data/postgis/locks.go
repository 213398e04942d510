package postgis

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// importLockSpace is the first key of the transaction-level advisory locks
// that serialise imports (pg_advisory_xact_lock(importLockSpace, table
// oid)); the second key is the oid of the table.
const importLockSpace int32 = 0x67617001

// ImportLocks are the import locks an import takes (see LockImport).
type ImportLocks struct {
	// Exclusive: the tables the import writes, and the tables that refer
	// to them by a foreign key (a bulk load drops and re-creates those
	// keys; a replace deletes rows they may refer to); for an import that
	// may bulk-load, the tables they refer to as well.
	Exclusive []string
	// Shared: the tables they refer to, for an import that does not
	// bulk-load (only read by the foreign key checks).
	Shared []string
}

// ImportLockTables returns the locks of an import writing tables, from the
// foreign keys between the data tables (see Tables). Two imports of the
// same table, or of a table and one referring to it, run one after the
// other. Imports of tables that only share a parent (households and SIM
// packages both refer to areas) run at once, unless one of them may
// bulk-load: dropping a foreign key takes an ACCESS EXCLUSIVE lock on the
// table it refers to, so two bulk loads of siblings would deadlock on the
// parent.
func ImportLockTables(ctx context.Context, q Querier, tables []string, bulk bool) (ImportLocks, error) {
	// The foreign keys to areas go to area_codes (one row per code of the
	// dated areas, kept by triggers; migration 00013): a key to area_codes
	// counts as a key to areas.
	rows, err := q.Query(ctx, `
		WITH k AS (SELECT conrelid::regclass::text AS child,
				CASE WHEN confrelid::regclass::text = 'area_codes' THEN 'areas' ELSE confrelid::regclass::text END AS parent
			FROM pg_constraint WHERE contype = 'f')
		SELECT child, parent FROM k WHERE child = ANY($1::text[]) OR parent = ANY($1::text[])`, tables)
	if err != nil {
		return ImportLocks{}, fmt.Errorf("read the foreign keys of %v: %w%s", tables, err, hintMigrate(err))
	}
	var children, parents []string
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			rows.Close()
			return ImportLocks{}, fmt.Errorf("read the foreign keys of %v: %w", tables, err)
		}
		if slices.Contains(tables, parent) {
			children = append(children, child)
		}
		if slices.Contains(tables, child) {
			parents = append(parents, parent)
		}
	}
	if err := rows.Err(); err != nil {
		return ImportLocks{}, fmt.Errorf("read the foreign keys of %v: %w", tables, err)
	}
	var l ImportLocks
	for _, t := range Tables() {
		switch {
		case slices.Contains(tables, t) || slices.Contains(children, t):
			l.Exclusive = append(l.Exclusive, t)
		case slices.Contains(parents, t) && bulk:
			l.Exclusive = append(l.Exclusive, t)
		case slices.Contains(parents, t):
			l.Shared = append(l.Shared, t)
		}
	}
	return l, nil
}

// LockImport takes, inside tx, the import locks of l: transaction-level
// advisory locks, exclusive or shared, released when tx commits or rolls
// back, taken in the order of Tables whatever the order given (so two
// imports never wait for each other in a cycle). It is taken before the
// import reads or deletes anything. When one of them is held by another
// transaction, onWait (if set) is called once with the tables still to
// lock, and LockImport waits for them; ctx cancels the wait. A wait ended
// by the server (lock_timeout, statement_timeout, deadlock) is a
// *RetryableError.
func LockImport(ctx context.Context, tx pgx.Tx, l ImportLocks, onWait func(waitingFor []string)) error {
	var ordered []string
	for _, t := range Tables() {
		if slices.Contains(l.Exclusive, t) || slices.Contains(l.Shared, t) {
			ordered = append(ordered, t)
		}
	}
	for _, t := range slices.Concat(l.Exclusive, l.Shared) {
		if !slices.Contains(ordered, t) {
			return fmt.Errorf("lock %s for an import: not a data table", t)
		}
	}
	waited := false
	for i, t := range ordered {
		try, wait := "pg_try_advisory_xact_lock", "pg_advisory_xact_lock"
		if !slices.Contains(l.Exclusive, t) {
			try, wait = "pg_try_advisory_xact_lock_shared", "pg_advisory_xact_lock_shared"
		}
		var got bool
		if err := tx.QueryRow(ctx, `SELECT `+try+`($1, $2::regclass::oid::int)`, importLockSpace, t).Scan(&got); err != nil {
			return lockError(t, err)
		}
		if got {
			continue
		}
		if !waited && onWait != nil {
			onWait(ordered[i:])
		}
		waited = true
		if _, err := tx.Exec(ctx, `SELECT `+wait+`($1, $2::regclass::oid::int)`, importLockSpace, t); err != nil {
			return lockError(t, err)
		}
	}
	return nil
}

func lockError(table string, err error) error {
	if IsRetryable(err) {
		return &RetryableError{Op: "wait for the import lock of " + table, Cause: err}
	}
	return fmt.Errorf("lock %s for an import: %w%s", table, err, hintMigrate(err))
}

// LockAllocationsShared takes a SHARE lock on the allocation records
// (allocations and handovers) until tx ends: allocation commits, handovers,
// returns and cancellations wait, reads do not. An import that deletes
// students, devices or SIM packages takes it before deleting anything, so
// no allocation can start pointing at a row it is about to remove.
func LockAllocationsShared(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `LOCK TABLE allocations, handovers IN SHARE MODE`); err != nil {
		if IsRetryable(err) {
			return &RetryableError{Op: "lock the allocation records", Cause: err}
		}
		return fmt.Errorf("lock the allocation records: %w%s", err, missingTableHint(err))
	}
	return nil
}

func missingTableHint(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" {
		return " (the allocation tables are missing: the schema is out of date)"
	}
	return ""
}

// RetryableError is a conflict with a concurrent transaction that the
// server resolved by cancelling this one (serialization failure, deadlock
// detected, lock not available or a lock or statement timeout while
// waiting). Nothing of the transaction was written; running it again
// normally succeeds.
type RetryableError struct {
	Op    string // what was being done, e.g. "import households"
	Cause error
}

func (e *RetryableError) Error() string {
	return fmt.Sprintf("%s: %s with another transaction working on the same tables; nothing was written, and it can be retried",
		e.Op, retryReason(e.Cause))
}

// Unwrap gives the server's error and a *data.ConflictError carrying the
// message, so that callers that render conflicts (the API's 409) need no
// knowledge of this type.
func (e *RetryableError) Unwrap() []error {
	return []error{&data.ConflictError{Reason: e.Error()}, e.Cause}
}

// Retryable is true: errors.As callers may test for it through an
// interface{ Retryable() bool }.
func (e *RetryableError) Retryable() bool { return true }

func retryReason(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001":
			return "serialization failure"
		case "40P01":
			return "deadlock"
		case "55P03":
			return "lock not available (lock_timeout)"
		case "57014":
			return "waited too long (statement_timeout)"
		}
	}
	return "conflict"
}

// IsRetryable reports whether err is a server error that a new attempt of
// the same transaction may not meet: serialization failure (40001),
// deadlock detected (40P01), lock not available (55P03), or a statement
// cancelled by statement_timeout (57014, not a cancellation asked by the
// client: ctx is checked by the caller).
func IsRetryable(err error) bool {
	var re *RetryableError
	if errors.As(err, &re) {
		return true
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01", "55P03":
		return true
	case "57014":
		return pe.Message != "canceling statement due to user request"
	}
	return false
}
