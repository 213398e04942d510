package coverage

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/gapmap/gapmap/geo"
)

// The engine agrees with PostGIS (ST_DWithin on geography + ST_Azimuth,
// ST_Distance) on random points and sectors: ≥ 99.99% identical 4G
// operator sets, nearest-site distances within 1 m, and any disagreement
// within 1 m of a range boundary. A second set of points placed right at
// range and beam edges checks the last rule where it is hardest.
func TestAgreementWithPostGIS(t *testing.T) {
	url := pgtest.NewURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	rng := rand.New(rand.NewSource(2024))
	ds := &data.Dataset{}
	ops := []string{data.OpViettel, data.OpVinaphone, data.OpMobifone, data.OpVietnamobile}
	for k := 0; k < 300; k++ {
		s := data.Sector{
			ID: fmt.Sprintf("S%03d", k), SiteID: fmt.Sprintf("S%03d", k), Operator: ops[rng.Intn(len(ops))], Technology: "4G",
			BandMHz: 1800, Lat: 21.0 + rng.Float64()*0.6, Lon: 105.9 + rng.Float64()*1.1, BeamwidthDeg: 360,
			RangeM: 500 + rng.Float64()*7500, Status: data.StatusActive,
		}
		if rng.Intn(3) > 0 {
			az := rng.Float64() * 360
			s.AzimuthDeg, s.BeamwidthDeg = &az, []float64{33, 60, 65, 90, 120}[rng.Intn(5)]
		}
		ds.Sectors = append(ds.Sectors, s)
	}
	const nRandom = 5000
	for k := 0; k < nRandom; k++ {
		ds.Households = append(ds.Households, data.Household{ID: fmt.Sprintf("R%05d", k), Lat: 20.95 + rng.Float64()*0.7, Lon: 105.85 + rng.Float64()*1.2, AreaCode: "X"})
	}
	// Boundary points: at range ± 5 cm and at beam edge ± 1e-7°.
	for k := 0; k < 1000; k++ {
		s := ds.Sectors[rng.Intn(len(ds.Sectors))]
		az := rng.Float64() * 360
		d := s.RangeM + (rng.Float64()-0.5)*0.1
		if s.AzimuthDeg != nil && k%2 == 0 {
			az = *s.AzimuthDeg + s.BeamwidthDeg/2*float64(1-2*rng.Intn(2)) + (rng.Float64()-0.5)*2e-7
			d = s.RangeM * rng.Float64()
		}
		lat, lon := geo.Direct(s.Lat, s.Lon, math.Mod(az+360, 360), d)
		ds.Households = append(ds.Households, data.Household{ID: fmt.Sprintf("B%05d", k), Lat: lat, Lon: lon, AreaCode: "X"})
	}
	r := mustAnalyze(t, ds, DefaultSettings())
	var pts []postgis.BaselinePoint
	var idx []int
	for i := 0; i < r.NumEntities(); i++ {
		x := r.Entity(i)
		pts = append(pts, postgis.BaselinePoint{Lat: x.Lat, Lon: x.Lon})
		idx = append(idx, i)
	}
	var secs []postgis.BaselineSector
	for _, s := range r.EffectiveSectors() {
		secs = append(secs, postgis.BaselineSector{Operator: s.Operator, Lat: s.Lat, Lon: s.Lon, RangeM: s.RangeM, AzimuthDeg: s.AzimuthDeg, BeamwidthDeg: s.BeamwidthDeg, FourG: true})
	}
	got, tc, tn, err := postgis.CoverageBaseline(ctx, st.Pool(), secs, pts)
	if err != nil {
		t.Fatal(err)
	}
	// nearBoundary: within 1 m of a range edge or of a beam edge (at the
	// point's distance) of a sector of the operator.
	nearBoundary := func(x Entity, op string) bool {
		for _, s := range r.EffectiveSectors() {
			if s.Operator != op {
				continue
			}
			d, az := geo.Inverse(s.Lat, s.Lon, x.Lat, x.Lon)
			if math.Abs(d-s.RangeM) <= 1 {
				return true
			}
			if s.AzimuthDeg == s.AzimuthDeg && d <= s.RangeM+1 {
				off := math.Abs(geo.AngleDiff(az, s.AzimuthDeg) - s.BeamwidthDeg/2)
				if off*math.Pi/180*d <= 1 {
					return true
				}
			}
		}
		return false
	}
	agreeRandom, nRand, disagree := 0, 0, 0
	maxDiff := 0.0
	for k, i := range idx {
		x := r.Entity(i)
		ours, theirs := strings.Join(x.Operators4G, ";"), strings.Join(got[k].Operators, ";")
		random := strings.HasPrefix(x.ID, "R")
		if random {
			nRand++
		}
		if ours == theirs {
			if random {
				agreeRandom++
			}
		} else {
			disagree++
			set := map[string]bool{}
			for _, o := range append(append([]string{}, x.Operators4G...), got[k].Operators...) {
				set[o] = !set[o] // true: in exactly one of them
			}
			for o, diff := range set {
				if diff && !nearBoundary(x, o) {
					t.Errorf("%s: ours {%s}, PostGIS {%s}, and the point is not within 1 m of a boundary of %s", x.ID, ours, theirs, o)
				}
			}
		}
		if d := math.Abs(x.Nearest4GM - got[k].Nearest4GM); d > maxDiff {
			maxDiff = d
		}
	}
	share := float64(agreeRandom) / float64(nRand)
	t.Logf("random points: %.4f%% identical operator sets; %d disagreements in all (boundary points included); max |Δ nearest| %.3g m; PostGIS %.2fs + %.2fs", 100*share, disagree, maxDiff, tc.Seconds(), tn.Seconds())
	if share < 0.9999 {
		t.Errorf("agreement %.4f%% < 99.99%%", 100*share)
	}
	if maxDiff > 1 {
		t.Errorf("nearest-site distances differ by up to %.3f m", maxDiff)
	}
}

// A run stored in the database reads back, and the allocation engine's
// query finds each home's connectivity.
func TestStoreCoverageRun(t *testing.T) {
	url := pgtest.NewURL(t)
	ctx := context.Background()
	st, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := mustAnalyze(t, synth(3, 1500, 60), DefaultSettings())
	i := 0
	ents := func() (postgis.CoverageEntityRow, bool, error) {
		if i >= r.NumEntities() {
			return postgis.CoverageEntityRow{}, false, nil
		}
		x := r.Entity(i)
		i++
		return postgis.CoverageEntityRow{EntityType: x.Kind, EntityID: x.ID, AreaCode: x.AreaCode, Cell: x.Cell, Lat: x.Lat, Lon: x.Lon,
			Connectivity: x.Class, Operators4G: x.Operators4G, Nearest4GM: x.Nearest4GM, Nearest4GByOperator: x.Nearest4GByOperator,
			NearestFiberM: x.NearestFiberM, GapID: x.Gap}, true, nil
	}
	var cells []postgis.CoverageCellRow
	_ = r.EachCell(func(c *CellStats) error {
		cells = append(cells, postgis.CoverageCellRow{Cell: c.Cell, Res: c.Res, AreaCode: c.AreaCode, Households: c.Households, Share4G: c.Share4G, ServedOperators: r.OperatorNames(c.Served), Gap: c.Gap, GapID: c.GapID, Cells: c.Cells})
		return nil
	})
	var gaps []postgis.GapAreaRow
	for _, g := range r.Gaps {
		gaps = append(gaps, postgis.GapAreaRow{GapID: g.ID, Rank: g.Rank, Cells: len(g.Cells), Option: g.Score.Option, CostVND: g.Score.CostVND, Score: g.Score.Score,
			WeightedBeneficiaries: g.Score.WeightedBeneficiaries, Nearest4GM: g.Nearest4GM, NearestFiberM: g.NearestFiberM, Components: []byte(`{}`),
			CentroidLat: g.CentroidLat, CentroidLon: g.CentroidLon, Outline: g.Outline})
	}
	id, err := postgis.StoreCoverageRun(ctx, st.Pool(), postgis.CoverageRun{Parameters: []byte(`{}`), Operators: r.Operators, Entities: r.NumEntities()},
		ents, postgis.SliceSource(cells), gaps, []postgis.PlanStepRow{{Rank: 1, Cell: r.Cells[0].Cell, SectorID: "plan-001", RangeM: 5000, CostVND: 2e9, Lat: 21.3, Lon: 106.3}})
	if err != nil {
		t.Fatal(err)
	}
	var n, nCells, nGaps int
	var ops []string
	if err := st.Pool().QueryRow(ctx, `SELECT count(*), (SELECT count(*) FROM coverage_cells WHERE run_id = $1), (SELECT count(*) FROM gap_areas WHERE run_id = $1),
		(SELECT operators_4g FROM coverage_entities WHERE run_id = $1 AND entity_type = 'household' AND cardinality(operators_4g) > 1 LIMIT 1)
		FROM coverage_entities WHERE run_id = $1`, id).Scan(&n, &nCells, &nGaps, &ops); err != nil {
		t.Fatal(err)
	}
	total := 0
	_ = r.EachCell(func(*CellStats) error { total++; return nil })
	if n != r.NumEntities() || nCells != total || nGaps != len(r.Gaps) || len(ops) < 2 {
		t.Errorf("stored %d entities, %d cells, %d gaps, operators %q", n, nCells, nGaps, ops)
	}
	if run, err := postgis.LatestCoverageRun(ctx, st.Pool()); err != nil || run.ID != id {
		t.Errorf("latest run %+v, %v", run.ID, err)
	}
}
