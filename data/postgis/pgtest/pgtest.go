// Package pgtest gives each test its own PostGIS database, cloned in
// milliseconds from a migrated template.
//
// The template database (gapmap_test_tpl_ plus the migrations checksum) is built once per machine
// state: with PostGIS and every migration applied, and its comment holding
// the checksum of the migrations (postgis.MigrationsChecksum). When the
// migrations change, the next test rebuilds it. Builders and cloners
// coordinate through an advisory lock on the admin database ("postgres"),
// because `go test ./...` runs packages in parallel processes: cloning takes
// the lock shared, building takes it exclusive.
//
// The server comes from DATABASE_URL (default postgis.DefaultURL); only its
// host, port, user and password are used. A test whose server cannot be
// reached fails, telling the user to run `make test` (which sets the
// database up): it never skips silently.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data/postgis"
	"github.com/jackc/pgx/v5"
)

// TemplateName is the template database every test database is cloned
// from: one per set of migrations, so checkouts with different migrations
// (branches, worktrees) can run their tests at the same time.
func TemplateName() string {
	sum := postgis.MigrationsChecksum()
	if len(sum) > 16 {
		sum = sum[:16]
	}
	return "gapmap_test_tpl_" + sum
}

// Prefix starts the name of every per-test database.
const Prefix = "gapmap_test_"

// lockID is the advisory lock guarding the template (on the admin database).
const lockID int64 = 0x67617074 // "gapt"

// New returns a store on a fresh, migrated, empty database that is dropped
// when the test ends.
func New(t testing.TB) *postgis.Store {
	t.Helper()
	u := NewURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := postgis.Open(ctx, u)
	if err != nil {
		t.Fatalf("pgtest: open the test database: %v", err)
	}
	// Runs before the drop registered by NewURL. Close waits for every
	// connection to come back, which never happens when a test fails with
	// a transaction open: give up after a while; the drop (WITH (FORCE))
	// ends the server side anyway.
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() {
			s.Close()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Logf("pgtest: a connection to the test database was still in use at the end of the test (a transaction left open?); dropping the database anyway")
		}
	})
	return s
}

// NewURL creates a fresh, migrated, empty database and returns its URL; it
// is dropped (WITH (FORCE)) when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	base := postgis.URL("", os.Getenv)
	admin, err := withDatabase(base, "postgres")
	if err != nil {
		t.Fatalf("pgtest: DATABASE_URL: %v", err)
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: cannot reach PostgreSQL at %s: %v\n"+
			"Tests need a running PostgreSQL with PostGIS: run `make test` (it runs scripts/setup.sh first), "+
			"or `make setup` once, or point DATABASE_URL at a server.", redact(admin), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	dropOrphans(ctx, conn)
	name := fmt.Sprintf("%s%d_%s", Prefix, time.Now().Unix(), randomSuffix())
	if err := clone(ctx, conn, base, name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	u, err := withDatabase(base, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

// orphanAge is the age after which a test database is presumed left over by
// a killed test run (names carry their creation time).
const orphanAge = 6 * time.Hour

// dropOrphans drops, best effort, the test databases of killed test runs:
// older than orphanAge and with nobody connected.
func dropOrphans(ctx context.Context, admin *pgx.Conn) {
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'gapmap\_test\_%' AND datname NOT LIKE 'gapmap\_test\_tpl\_%'`)
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, n := range names {
		var sec int64
		var rest string
		if _, err := fmt.Sscanf(strings.TrimPrefix(n, Prefix), "%d_%s", &sec, &rest); err != nil {
			continue
		}
		if time.Since(time.Unix(sec, 0)) < orphanAge {
			continue
		}
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize())
	}
}

// clone creates database name from the template, (re)building the template
// first when it is missing or stale.
func clone(ctx context.Context, admin *pgx.Conn, base, name string) error {
	tmplName := TemplateName()
	want := "gapmap migrations " + postgis.MigrationsChecksum()
	for attempt := 0; attempt < 3; attempt++ {
		if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock_shared($1)", lockID); err != nil {
			return fmt.Errorf("wait for the template lock: %w", err)
		}
		ok, err := templateIsCurrent(ctx, admin, want)
		if err == nil && ok {
			_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tmplName}.Sanitize())
			if err != nil {
				err = fmt.Errorf("create the test database %s from %s: %w", name, tmplName, err)
			}
		}
		if _, uerr := admin.Exec(ctx, "SELECT pg_advisory_unlock_shared($1)", lockID); uerr != nil && err == nil {
			err = fmt.Errorf("release the template lock: %w", uerr)
		}
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if err := build(ctx, admin, base, want); err != nil {
			return err
		}
	}
	return fmt.Errorf("the template database %s keeps changing under this test (another checkout with different migrations running tests at the same time?): retry", tmplName)
}

func templateIsCurrent(ctx context.Context, admin *pgx.Conn, want string) (bool, error) {
	tmplName := TemplateName()
	var comment *string
	err := admin.QueryRow(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, tmplName).Scan(&comment)
	if err == pgx.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for the template database: %w", err)
	}
	return comment != nil && *comment == want, nil
}

// build (re)creates the template under the exclusive lock. The checksum
// comment is written last, so a half-built template is never used.
func build(ctx context.Context, admin *pgx.Conn, base, want string) (err error) {
	tmplName := TemplateName()
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
		return fmt.Errorf("wait for the template lock: %w", err)
	}
	defer func() {
		if _, uerr := admin.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockID); uerr != nil && err == nil {
			err = fmt.Errorf("release the template lock: %w", uerr)
		}
	}()
	if ok, err := templateIsCurrent(ctx, admin, want); err != nil || ok {
		return err // another process built it meanwhile
	}
	tmpl := pgx.Identifier{tmplName}.Sanitize()
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+tmpl+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop the stale template %s: %w", tmplName, err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+tmpl); err != nil {
		return fmt.Errorf("create the template %s: %w", tmplName, err)
	}
	u, err := withDatabase(base, tmplName)
	if err != nil {
		return err
	}
	s, err := postgis.Open(ctx, u)
	if err != nil {
		return fmt.Errorf("open the template: %w", err)
	}
	err = s.Migrate(ctx)
	if err == nil {
		// Plan statistics for the empty tables, and a clean slate.
		_, err = s.Pool().Exec(ctx, "VACUUM ANALYZE")
	}
	s.Close()
	if err != nil {
		return fmt.Errorf("migrate the template %s: %w", tmplName, err)
	}
	if _, err := admin.Exec(ctx, "COMMENT ON DATABASE "+tmpl+" IS "+quoteLiteral(want)); err != nil {
		return fmt.Errorf("mark the template %s: %w", tmplName, err)
	}
	return nil
}

// withDatabase returns rawURL pointing at database db.
func withDatabase(rawURL, db string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("%q is not a postgres:// URL", redact(rawURL))
	}
	u.Path = "/" + db
	return u.String(), nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
