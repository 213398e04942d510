package pgtest_test

import (
	"context"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/jackc/pgx/v5"
)

func dbName(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(p.Path, "/")
}

func exists(t *testing.T, name string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, adminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func adminURL(t *testing.T) string {
	t.Helper()
	p, err := url.Parse(postgis.URL("", nil))
	if err != nil {
		t.Fatal(err)
	}
	p.Path = "/postgres"
	return p.String()
}

func TestIsolatedAndDropped(t *testing.T) {
	ctx := context.Background()
	var names []string
	t.Run("two databases", func(t *testing.T) {
		a, b := pgtest.NewURL(t), pgtest.NewURL(t)
		names = []string{dbName(t, a), dbName(t, b)}
		if names[0] == names[1] {
			t.Fatalf("same database %s", names[0])
		}
		sa, err := postgis.Open(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		defer sa.Close()
		if _, err := sa.Pool().Exec(ctx, `INSERT INTO areas (code, name, level) VALUES ('X', 'X', 'province')`); err != nil {
			t.Fatal(err)
		}
		sb, err := postgis.Open(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		defer sb.Close()
		n, err := sb.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n["areas"] != 0 {
			t.Errorf("a write in one test database is visible in another")
		}
	})
	for _, n := range names {
		if exists(t, n) {
			t.Errorf("%s was not dropped at the end of its test", n)
		}
	}
}

func TestParallelClones(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				s := pgtest.New(t)
				if _, err := s.Counts(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}()
	}
	wg.Wait()
}

func TestTemplateRebuiltWhenStale(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, adminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	pgtest.New(t) // the template exists
	if _, err := conn.Exec(ctx, "COMMENT ON DATABASE "+pgtest.TemplateName()+" IS 'gapmap migrations stale'"); err != nil {
		t.Fatal(err)
	}
	s := pgtest.New(t)
	if _, err := s.Counts(ctx); err != nil {
		t.Fatal(err)
	}
	var comment string
	if err := conn.QueryRow(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, pgtest.TemplateName()).Scan(&comment); err != nil {
		t.Fatal(err)
	}
	if want := "gapmap migrations " + postgis.MigrationsChecksum(); comment != want {
		t.Errorf("template comment %q, want %q", comment, want)
	}
}

// fatalTB records the message of Fatalf and ends its goroutine, as
// testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper()           {}
func (f *fatalTB) Cleanup(fn func()) {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestUnreachableServerFails(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://postgres:gapmap@127.0.0.1:1/gapmap?sslmode=disable&connect_timeout=2")
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		pgtest.NewURL(f)
	}()
	<-done
	if !strings.Contains(f.msg, "cannot reach PostgreSQL") || !strings.Contains(f.msg, "run `make test`") {
		t.Errorf("message %q does not tell the user to run make test", f.msg)
	}
}
