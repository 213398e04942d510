package postgis_test

import (
	"context"
	"slices"
	"testing"

	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// Storing a run writes every entity: coverage_entities keeps only the
// indexes its queries use (by run and id, by run and cell), not a GiST
// index on the points, which doubled the server's time per stored entity.
// The cells and gap areas keep theirs for map and bounding-box queries.
func TestCoverageIndexes(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	indexes := func(table string) []string {
		t.Helper()
		rows, err := st.Pool().Query(ctx, `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 ORDER BY indexname`, table)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for table, want := range map[string][]string{
		"coverage_entities": {"coverage_entities_cell_idx", "coverage_entities_pkey"},
		"coverage_cells":    {"coverage_cells_geom_idx", "coverage_cells_pkey"},
	} {
		if got := indexes(table); !slices.Equal(got, want) {
			t.Errorf("%s: indexes %q, want %q", table, got, want)
		}
	}
}
