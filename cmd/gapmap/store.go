package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The migration policy: serve, migrate and import bring the schema up to
// date (openStore with migrate); every other command refuses to run on an
// older (or newer) schema and says what to do.

// DefaultStatementTimeout bounds every database statement of a CLI command
// (serve has its own, --statement-timeout, 60 s). It is long because one
// statement of an import (a COPY of a national file, an index rebuilt after
// a bulk load) or of a coverage store may run for minutes; it is there so
// that a command stuck behind a lock or on a runaway query ends with an
// error instead of waiting forever. GAPMAP_STATEMENT_TIMEOUT (e.g. 2h, 0 for
// none) or statement_timeout in DATABASE_URL (milliseconds) override it.
const DefaultStatementTimeout = 30 * time.Minute

// openDB opens DATABASE_URL with the CLI's timeouts (the connect timeout of
// the URL or postgis.DefaultConnectTimeout; statementTimeout) after saying
// on stderr which database it uses: "database: 127.0.0.1:5432/gapmap".
// Every command that touches the database opens it here.
func openDB(ctx context.Context, e *env, opts ...postgis.Option) (*postgis.Store, error) {
	url := databaseURL(e)
	announceDB(e, url)
	base, err := dbOptions(e)
	if err != nil {
		return nil, err
	}
	// The options of the caller come after, so serve's flag wins.
	return postgis.Open(ctx, url, append(base, opts...)...)
}

// dbOptions are the CLI's connection settings: the statement timeout (see
// DefaultStatementTimeout). The connect timeout is postgis's default
// (postgis.DefaultConnectTimeout) unless DATABASE_URL sets connect_timeout.
func dbOptions(e *env) ([]postgis.Option, error) {
	d, err := statementTimeout(e)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(e.getenv("GAPMAP_STATEMENT_TIMEOUT")) == "" {
		return []postgis.Option{postgis.WithDefaultStatementTimeout(d)}, nil
	}
	// Set: it wins over the URL (0 removes any limit).
	return []postgis.Option{func(c *pgxpool.Config) {
		delete(c.ConnConfig.RuntimeParams, "statement_timeout")
		postgis.WithStatementTimeout(d)(c)
	}}, nil
}

// announceDB prints the line naming the database (never the password).
func announceDB(e *env, url string) {
	fmt.Fprintf(e.stderr, "database: %s\n", postgis.Describe(url))
}

// statementTimeout is GAPMAP_STATEMENT_TIMEOUT, else DefaultStatementTimeout.
func statementTimeout(e *env) (time.Duration, error) {
	v := strings.TrimSpace(e.getenv("GAPMAP_STATEMENT_TIMEOUT"))
	if v == "" {
		return DefaultStatementTimeout, nil
	}
	if v == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, usageError{fmt.Sprintf("GAPMAP_STATEMENT_TIMEOUT=%q: write a duration such as 30m or 2h (0: no limit)", v)}
	}
	return d, nil
}

// openStore opens DATABASE_URL (openDB) and either migrates it or checks
// that its schema is current.
func openStore(ctx context.Context, e *env, migrate bool, opts ...postgis.Option) (*postgis.Store, error) {
	st, err := openDB(ctx, e, opts...)
	if err != nil {
		return nil, err
	}
	if migrate {
		err = st.Migrate(ctx)
	} else {
		err = st.CheckSchema(ctx)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// advice is what the user should do about err, "" when nothing specific.
// Errors below cmd are neutral; the advice lives here.
func advice(err error) string {
	var se *data.SchemaError
	var nc *postgis.NoCoverageError
	var ac *postgis.ConflictError
	var nf *data.NotFoundError
	switch {
	case errors.As(err, &se) && se.Current > se.Latest:
		return "this gapmap is older than the database: use the newer gapmap binary"
	case errors.As(err, &se):
		return "run `gapmap migrate` (gapmap serve and gapmap import migrate too)"
	case errors.Is(err, postgis.ErrUnreachable):
		return "is PostgreSQL running there? run `make setup` or scripts/setup.sh, or set DATABASE_URL (postgres://user:password@host:port/dbname?sslmode=disable)"
	case errors.Is(err, postgis.ErrAuth):
		return "check the user and password in DATABASE_URL"
	case errors.Is(err, postgis.ErrNoDatabase):
		return "create it (`make setup` or scripts/setup.sh creates gapmap), or set DATABASE_URL to the right database"
	case errors.As(err, &nc):
		return "run `gapmap analyze` first, then allocate again"
	case errors.As(err, &ac):
		return "run `gapmap allocate --commit` again: it sees the other run's allocations and serves only what is left"
	case errors.As(err, &nf) && nf.Kind == "coverage run":
		return "run `gapmap analyze` first"
	}
	return ""
}

// withAdvice appends the advice for err, if any.
func withAdvice(err error) error {
	if a := advice(err); a != "" {
		return fmt.Errorf("%w\n  → %s", err, a)
	}
	return err
}
