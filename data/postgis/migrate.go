package postgis

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS // read-only: the schema shipped in the binary

// migrateLockID is the advisory lock that serialises Migrate calls across
// processes (crc32 of "gapmap migrate").
const migrateLockID int64 = 0x6d696772

// Migrations returns the embedded migration files (root: *.sql).
func Migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// MigrationsChecksum is a SHA-256 over the names and contents of the
// embedded migrations: it changes whenever the schema does.
func MigrationsChecksum() string {
	fsys := Migrations()
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Migrate brings the schema up to date with the embedded migrations. It is
// idempotent, and safe when several processes call it at once: they queue on
// a PostgreSQL advisory lock. The database user must be allowed to create
// the postgis extension on the first run.
func (s *Store) Migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: get a connection: %w", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockID); err != nil {
		conn.Release()
		return fmt.Errorf("migrate: wait for the migration lock: %w", err)
	}
	defer func() {
		// Unlock with a fresh context: ctx may be cancelled by now. If the
		// unlock fails the connection is closed, which also releases the lock.
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockID); err != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
		conn.Release()
		// Connections opened before PostGIS existed lack the geometry
		// codec: start afresh.
		s.pool.Reset()
	}()

	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations())
	if err != nil {
		return fmt.Errorf("migrate: load the migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w (the database was left at the last migration that succeeded)", err)
	}
	return nil
}

// SchemaVersion returns the version of the last migration applied (0 when
// none) and of the newest embedded one.
func (s *Store) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations())
	if err != nil {
		return 0, 0, fmt.Errorf("load the migrations: %w", err)
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read the schema version: %w", err)
	}
	srcs := p.ListSources()
	if len(srcs) > 0 {
		latest = srcs[len(srcs)-1].Version
	}
	return current, latest, nil
}

// CheckSchema returns a *data.SchemaError (errors.Is data.ErrSchemaOutdated)
// when the schema is not the one of this build's migrations; nil when it
// is. Commands that do not migrate call it first.
func (s *Store) CheckSchema(ctx context.Context) error {
	cur, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if cur != latest {
		return &data.SchemaError{Current: cur, Latest: latest}
	}
	return nil
}
