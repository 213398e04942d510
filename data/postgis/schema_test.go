package postgis_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

func TestCheckSchema(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	if err := s.CheckSchema(ctx); err != nil {
		t.Fatalf("current schema: %v", err)
	}
	_, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Forget the last migration: the schema is one version behind.
	if _, err := s.Pool().Exec(ctx, `DELETE FROM goose_db_version WHERE version_id = $1`, latest); err != nil {
		t.Fatal(err)
	}
	err = s.CheckSchema(ctx)
	var se *data.SchemaError
	if !errors.Is(err, data.ErrSchemaOutdated) || !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *data.SchemaError", err)
	}
	if se.Latest != latest || se.Current >= latest || se.Current == 0 {
		t.Errorf("schema error %+v, latest %d", se, latest)
	}
}

func TestOpenUnreachableIsTyped(t *testing.T) {
	_, err := postgis.Open(context.Background(), "postgres://nobody:x@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if !errors.Is(err, postgis.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
}

func TestMissingCoverageRunIsNotFound(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	var nf *data.NotFoundError
	if _, err := postgis.LatestCoverageRun(ctx, s.Pool()); !errors.Is(err, data.ErrNotFound) || !errors.As(err, &nf) || nf.Kind != "coverage run" {
		t.Errorf("latest run of an empty database: %v", err)
	}
	if _, err := postgis.CoverageRunByID(ctx, s.Pool(), 42); !errors.As(err, &nf) || nf.ID != "42" {
		t.Errorf("run 42: %v", err)
	}
	if _, err := s.AreaSummaryOf(ctx, "NOPE", 0); !errors.As(err, &nf) || nf.Kind != "area" || nf.ID != "NOPE" {
		t.Errorf("summary of an unknown area: %v", err)
	}
	if err := s.DeleteNetworkRow(ctx, "sites", "S1", nil); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("delete a missing site: %v", err)
	}
}
