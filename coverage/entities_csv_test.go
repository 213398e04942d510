package coverage

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
)

func TestReadHouseholdConnectivity(t *testing.T) {
	ctx := context.Background()
	m, err := ReadHouseholdConnectivity(ctx, "e.csv", strings.NewReader("\ufeffentity_id,entity_type,connectivity,operators_4g\nH1,household,4G,Viettel; MobiFone\nS1,school,none,\nH2,household,none,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m["H1"].Class != data.Class4G || !slices.Equal(m["H1"].Operators4G, []string{"Viettel", "MobiFone"}) ||
		m["H2"].Class != data.ClassNone || len(m["H2"].Operators4G) != 0 {
		t.Errorf("parsed %v", m)
	}
	for bad, want := range map[string]string{
		"entity_type,entity_id,connectivity\nhousehold,H1,4g\n":                                   "operators_4g",
		"entity_type,entity_id,connectivity,operators_4g\nhousehold,H1,5g,\n":                     "connectivity is unknown",
		"entity_type,entity_id,connectivity,operators_4g\nhousehold,H1,4g,\nhousehold,H1,none,\n": "appears twice (first at row 2)",
		"entity_type,entity_id,connectivity,operators_4g\nschool,S1,4g,\n":                        "no household rows",
		"entity_type,entity_id,connectivity,operators_4g\nhousehold,,4g,\n":                       "entity_id is empty",
	} {
		_, err := ReadHouseholdConnectivity(ctx, "e.csv", strings.NewReader(bad))
		var ve *data.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), want) || ve.Errors[0].File != "e.csv" {
			t.Errorf("%q: error %v, want a ValidationError saying %q", bad, err, want)
		}
	}
}

// The reader reads back what the writer writes, for every household.
func TestEntitiesCSVRoundTrip(t *testing.T) {
	ctx := context.Background()
	r := smallRunForCSV(t)
	var b bytes.Buffer
	if err := r.WriteEntitiesCSV(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\ufeff")) {
		t.Error("entities.csv has no BOM")
	}
	m, err := ReadHouseholdConnectivity(ctx, "entities.csv", &b)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := 0; i < r.NumEntities(); i++ {
		x := r.Entity(i)
		if x.Kind != KindHousehold {
			continue
		}
		n++
		got, ok := m[x.ID]
		if !ok || got.Class != x.Class || !slices.Equal(got.Operators4G, x.Operators4G) {
			t.Fatalf("household %s: read %+v, wrote class %s operators %v", x.ID, got, x.Class, x.Operators4G)
		}
	}
	if n == 0 || n != len(m) {
		t.Fatalf("%d households written, %d read", n, len(m))
	}
}

func smallRunForCSV(t *testing.T) *Result {
	t.Helper()
	return mustAnalyze(t, synth(7, 300, 6), DefaultSettings())
}

// TestWriteEntitiesCSVBytes: the parallel writer writes, byte for byte,
// what format.CSV writes with EntityRecord, over several blocks of rows and
// with ids that need escaping or quoting.
func TestWriteEntitiesCSVBytes(t *testing.T) {
	ds := synth(7, 14000, 40)
	odd := []string{"=cmd|' /C calc'!A0", "a,b", `say "hi"`, " lead", "line\nbreak", "-5", "+x", "'=1", `\.`, "Hộ ệ"}
	for k, id := range odd {
		ds.Households[k*997].ID = id
	}
	r := mustAnalyze(t, ds, DefaultSettings())
	if r.NumEntities() < 3*4096 {
		t.Fatalf("only %d entities: the test needs several blocks", r.NumEntities())
	}
	want := outputs(t, r)["entities.csv"]
	var got bytes.Buffer
	if err := r.WriteEntitiesCSV(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		g, w := got.Bytes(), want
		i := 0
		for i < len(g) && i < len(w) && g[i] == w[i] {
			i++
		}
		t.Fatalf("differs at byte %d of %d/%d: got %q, want %q", i, len(g), len(w), g[max(0, i-60):min(len(g), i+60)], w[max(0, i-60):min(len(w), i+60)])
	}
	for _, id := range odd[:3] {
		if !bytes.Contains(want, []byte(strings.ReplaceAll(id, `"`, `""`))) {
			t.Errorf("id %q is not in the file", id)
		}
	}
}
