package coverage

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
)

// outputs renders every output file of a run.
func outputs(t testing.TB, r *Result) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var b bytes.Buffer
	w, err := format.NewCSV(&b, r.EntityHeader())
	if err != nil {
		t.Fatal(err)
	}
	var rec []string
	for i := 0; i < r.NumEntities(); i++ {
		rec = r.EntityRecord(i, rec)
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out["entities.csv"] = append([]byte(nil), b.Bytes()...)
	b.Reset()
	w, err = format.NewCSV(&b, r.CellHeader())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.EachCell(func(c *CellStats) error { rec = r.CellRecord(c, rec); return w.Write(rec) }); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out["cells.csv"] = append([]byte(nil), b.Bytes()...)
	b.Reset()
	if err := r.WriteGapsGeoJSON(&b); err != nil {
		t.Fatal(err)
	}
	out["gaps.geojson"] = append([]byte(nil), b.Bytes()...)
	b.Reset()
	if err := r.WriteSummaryJSON(&b); err != nil {
		t.Fatal(err)
	}
	out["summary.json"] = append([]byte(nil), b.Bytes()...)
	return out
}

func sameOutputs(t *testing.T, what string, a, b map[string][]byte) {
	t.Helper()
	for name, x := range a {
		y := b[name]
		if !bytes.Equal(x, y) {
			// Show the first differing line.
			la, lb := bytes.Split(x, []byte("\n")), bytes.Split(y, []byte("\n"))
			for i := 0; i < len(la) && i < len(lb); i++ {
				if !bytes.Equal(la[i], lb[i]) {
					t.Fatalf("%s: %s differs at line %d:\n%s\n%s", what, name, i+1, la[i], lb[i])
				}
			}
			t.Fatalf("%s: %s differs in length (%d vs %d lines)", what, name, len(la), len(lb))
		}
	}
}

func mustAnalyze(t testing.TB, ds *data.Dataset, s Settings) *Result {
	t.Helper()
	r, err := Analyze(context.Background(), Input{Dataset: ds, Date: testDay}, s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ptr(x float64) *float64 { return &x }

// Bắc Giang city.
const bgLat, bgLon = 21.2731, 106.1946

// oneSector returns a dataset with one sector and homes at the given
// points, one tier-1 student each.
func oneSector(sec data.Sector, pts [][2]float64) *data.Dataset {
	ds := &data.Dataset{Sectors: []data.Sector{sec}}
	for i, p := range pts {
		id := "H" + string(rune('A'+i/26)) + string(rune('A'+i%26))
		ds.Households = append(ds.Households, data.Household{ID: id, Lat: p[0], Lon: p[1], AreaCode: "X"})
		ds.Students = append(ds.Students, data.Student{ID: "S" + id, HouseholdID: id, Priority: 1})
	}
	return ds
}

func entityByID(t *testing.T, r *Result, kind, id string) Entity {
	t.Helper()
	i, ok := r.Lookup(kind, id)
	if !ok {
		t.Fatalf("%s %s not found", kind, id)
	}
	return r.Entity(i)
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// testDay is the analysis date of the tests (the test areas are undated).
var testDay = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
