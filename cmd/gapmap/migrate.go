package main

import (
	"context"
	"fmt"
)

// cmdMigrate creates or upgrades the PostGIS schema (embedded migrations).
func cmdMigrate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "migrate", "migrate\n\nCreates or upgrades the schema in DATABASE_URL; safe to run twice or concurrently.")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	st, err := openDB(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	cur, latest, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "migrate: schema at version %d (latest %d)\n", cur, latest)
	return nil
}
