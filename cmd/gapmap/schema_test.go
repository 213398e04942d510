package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// TestMigrationPolicy: a command that does not migrate stops on an older
// schema with advice; import migrates it.
func TestMigrationPolicy(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewURL(t)
	st, err := postgis.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := stdlib.OpenDBFromPool(st.Pool())
	p, err := goose.NewProvider(goose.DialectPostgres, db, postgis.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Down(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	vars := map[string]string{"DATABASE_URL": u}

	e, _, _ := allocTestEnv(vars)
	err = run(ctx, []string{"analyze"}, e)
	if !errors.Is(err, data.ErrSchemaOutdated) {
		t.Fatalf("analyze on an older schema: %v, want a schema error", err)
	}
	if msg := withAdvice(err).Error(); !strings.Contains(msg, "this build needs version") || !strings.Contains(msg, "run `gapmap migrate`") {
		t.Errorf("message %q", msg)
	}
	if err := st.CheckSchema(ctx); !errors.Is(err, data.ErrSchemaOutdated) {
		t.Fatalf("analyze changed the schema: %v", err)
	}
	// import migrates (here a dry run of an empty measurements file).
	path := filepath.Join(t.TempDir(), "measurements.csv")
	if err := os.WriteFile(path, []byte("operator,technology,lat,lon,rsrp_dbm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, _, _ = allocTestEnv(vars)
	if err := run(ctx, []string{"import", "measurements", path, "--dry-run"}, e); err != nil {
		t.Fatalf("import: %v", err)
	}
	if err := st.CheckSchema(ctx); err != nil {
		t.Errorf("after import: %v", err)
	}
}
