package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// The migration policy: serve, migrate and import bring the schema up to
// date (openStore with migrate); every other command refuses to run on an
// older (or newer) schema and says what to do.

// openStore opens DATABASE_URL and either migrates it or checks that its
// schema is current.
func openStore(ctx context.Context, e *env, migrate bool, opts ...postgis.Option) (*postgis.Store, error) {
	st, err := postgis.Open(ctx, databaseURL(e), opts...)
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
		return "is PostgreSQL running? run `make setup` or scripts/setup.sh, or set DATABASE_URL"
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
