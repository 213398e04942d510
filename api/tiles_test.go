package api_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/gapmap/gapmap/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// The fixture sits around (21.30 N, 106.20 E), in Bắc Giang.
const fxLat, fxLon = 21.30, 106.20

// tileFixture is a small database with one or two coverage runs.
type tileFixture struct {
	st     *postgis.Store
	tokens map[string]string // by user name
}

func wkt(r orb.Ring) string {
	var b strings.Builder
	b.WriteString("POLYGON((")
	for i, p := range r {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%.9f %.9f", p[0], p[1])
	}
	b.WriteString("))")
	return b.String()
}

// fxCell is one cell of the fixture's runs.
type fxCell struct {
	cell       geo.Cell
	households int
	students   [4]int
	unconn     [4]int
	schools    int
}

// addRun stores a coverage run whose res-9 cells are a 6×6 grid of points
// 0.01° apart, with households = (i*mult) % 9 (so some are below k = 5),
// and their parents at res 8…5 with summed counts.
func (f *tileFixture) addRun(t *testing.T, mult int) int64 {
	t.Helper()
	ctx := t.Context()
	pool := f.st.Pool()
	var run int64
	if err := pool.QueryRow(ctx, `INSERT INTO coverage_runs (parameters, operators) VALUES ('{}', '{viettel,mobifone}') RETURNING id`).Scan(&run); err != nil {
		t.Fatal(err)
	}
	cells := map[geo.Cell]*fxCell{}
	for i := range 36 {
		lat, lon := fxLat-0.03+0.01*float64(i/6), fxLon-0.03+0.01*float64(i%6)
		c, err := geo.CellOf(lat, lon, 9)
		if err != nil {
			t.Fatal(err)
		}
		hh := (i*mult + 1) % 9
		fc := &fxCell{cell: c, households: hh, students: [4]int{hh, hh / 2, hh / 3, i % 2}}
		fc.unconn = [4]int{0, fc.students[1] / 2, 0, fc.students[3]}
		if i == 7 {
			fc.schools = 1
		}
		cells[c] = fc
		for res := 8; res >= 5; res-- {
			p, err := c.Parent(res)
			if err != nil {
				t.Fatal(err)
			}
			pc := cells[p]
			if pc == nil {
				pc = &fxCell{cell: p}
				cells[p] = pc
			}
			pc.households += fc.households
			pc.schools += fc.schools
			for k := range 4 {
				pc.students[k] += fc.students[k]
				pc.unconn[k] += fc.unconn[k]
			}
		}
	}
	for _, c := range cells {
		ring, err := c.cell.Boundary()
		if err != nil {
			t.Fatal(err)
		}
		_, err = pool.Exec(ctx, `INSERT INTO coverage_cells (run_id, h3, res, households, schools,
			students_t0, students_t1, students_t2, students_t3, unconnected_households,
			unconnected_students_t1, unconnected_students_t2, unconnected_students_t3, share_4g_any, share_fiber, gap, gap_id, geom, share_4g)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, ST_GeomFromText($18, 4326), $19)`,
			run, int64(c.cell), c.cell.Res(), c.households, c.schools, c.students[0], c.students[1], c.students[2], c.students[3],
			c.unconn[1]+c.unconn[3], c.unconn[1], c.unconn[2], c.unconn[3], 0.5, 0.25, c.unconn[3] > 0, "", wkt(ring),
			[]float64{0.5, 0.125})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Schools: S1 covered by 4G in run 1, without anything from run 2 on.
	conn := "4g"
	if run > 1 {
		conn = "none"
	}
	for _, s := range []struct {
		id       string
		lat, lon float64
		c        string
	}{{"S1", fxLat, fxLon, conn}, {"S2", fxLat + 0.02, fxLon + 0.02, "fiber"}, {"S3", fxLat - 0.1, fxLon - 0.1, "none"}} {
		_, err := pool.Exec(ctx, `INSERT INTO coverage_entities (run_id, entity_type, entity_id, area_code, h3, connectivity, operators_4g, geom)
			VALUES ($1, 'school', $2, '24', 0, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326))`,
			run, s.id, s.c, []string{"viettel"}, s.lon, s.lat)
		if err != nil {
			t.Fatal(err)
		}
	}
	// Two gap areas: a big one and one of 2 households (withheld).
	for _, g := range []struct {
		id, outline string
		rank, hh    int
	}{
		{"G1", "MULTIPOLYGON(((106.17 21.27,106.19 21.27,106.19 21.29,106.17 21.29,106.17 21.27)))", 1, 40},
		{"G2", "MULTIPOLYGON(((106.21 21.31,106.22 21.31,106.22 21.32,106.21 21.32,106.21 21.31)))", 2, 2},
	} {
		_, err := pool.Exec(ctx, `INSERT INTO gap_areas (run_id, gap_id, rank, cells, households, students_t1, weighted_beneficiaries,
			option, cost_vnd, score, components, centroid, geom)
			VALUES ($1, $2, $3, 3, $4::int, $4::int, $4::int, 'site', 1e9, 1, '{}', ST_Centroid(ST_GeomFromText($5, 4326)), ST_GeomFromText($5, 4326))`,
			run, g.id, g.rank, g.hh, g.outline)
		if err != nil {
			t.Fatal(err)
		}
	}
	return run
}

func newTileFixture(t *testing.T) *tileFixture {
	t.Helper()
	st := pgtest.New(t)
	ctx := t.Context()
	pool := st.Pool()
	stmts := []string{
		`INSERT INTO areas (code, name, level, geom) VALUES ('24', 'Bắc Giang', 'province',
			ST_Multi(ST_MakeEnvelope(105.9, 21.0, 106.5, 21.6, 4326)))`,
		`INSERT INTO schools (school_id, name, level, area_code, students, internet, h3, geom) VALUES
			('S1', 'Trường Tiểu học A', 'primary', '24', 300, 'none', 0, ST_SetSRID(ST_MakePoint(106.20, 21.30), 4326)),
			('S2', 'Trường THCS B', 'lower', '24', 400, 'fiber', 0, ST_SetSRID(ST_MakePoint(106.22, 21.32), 4326)),
			('S3', 'Trường THPT C', 'upper', '24', 500, '4g', 0, ST_SetSRID(ST_MakePoint(106.10, 21.20), 4326))`,
		`INSERT INTO sites (sector_id, site_id, operator, technology, band_mhz, azimuth_deg, beamwidth_deg, range_m, h3, geom) VALUES
			('V1', 'VS1', 'viettel', '4G', 1800, 90, 65, 3000, 0, ST_SetSRID(ST_MakePoint(106.20, 21.30), 4326)),
			('M1', 'MS1', 'mobifone', '4G', 1800, NULL, 360, NULL, 0, ST_SetSRID(ST_MakePoint(106.21, 21.30), 4326))`,
		`INSERT INTO fiber_nodes (node_id, operator, kind, h3, geom) VALUES
			('N1', 'viettel', 'olt', 0, ST_SetSRID(ST_MakePoint(106.19, 21.29), 4326)),
			('N2', 'vnpt', 'olt', 0, ST_SetSRID(ST_MakePoint(106.205, 21.305), 4326))`,
		`INSERT INTO fiber_routes (route_id, operator, geom) VALUES
			('R1', 'viettel', ST_GeomFromText('LINESTRING(106.18 21.29, 106.21 21.31)', 4326))`,
	}
	for _, s := range stmts {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	f := &tileFixture{st: st, tokens: map[string]string{}}
	for _, u := range []data.User{
		{Name: "planner", Role: data.RolePlanner},
		{Name: "viewer", Role: data.RoleViewer},
		{Name: "viettel-eng", Role: data.RoleOperator, Operator: "viettel"},
		{Name: "vnpt-eng", Role: data.RoleOperator, Operator: "vnpt"},
	} {
		nu, err := st.CreateUser(ctx, u, "")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := st.NewToken(ctx, nu.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[u.Name] = tok
	}
	return f
}

type tileResp struct {
	status int
	header http.Header
	body   []byte
}

func fetch(t *testing.T, srv *httptest.Server, path, token string, hdr ...string) tileResp {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return tileResp{res.StatusCode, res.Header, b}
}

// decode reads an MVT body (gzipped or not) into its layers by name.
func decode(t *testing.T, b []byte) map[string]*mvt.Layer {
	t.Helper()
	ls, err := mvt.UnmarshalGzipped(b)
	if err != nil {
		ls, err = mvt.Unmarshal(b)
	}
	if err != nil {
		t.Fatalf("decode tile: %v", err)
	}
	out := map[string]*mvt.Layer{}
	for _, l := range ls {
		if l.Version != 2 {
			t.Errorf("layer %s is MVT version %d, want 2", l.Name, l.Version)
		}
		out[l.Name] = l
	}
	return out
}

func newTileServer(t *testing.T, st *postgis.Store) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(api.Validating(t, api.NewServer(t.Context(), api.Deps{Store: st})))
	t.Cleanup(srv.Close)
	return srv
}

func tilePath(layer string, z int, run int64) string {
	tl := maptile.At(orb.Point{fxLon, fxLat}, maptile.Zoom(z))
	p := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, tl.Z, tl.X, tl.Y)
	if run > 0 {
		p += fmt.Sprintf("?run=%d", run)
	}
	return p
}

func TestTilesNeedAUser(t *testing.T) {
	f := newTileFixture(t)
	run := f.addRun(t, 1)
	srv := newTileServer(t, f.st)
	for _, p := range []string{tilePath("cells", 12, run), tilePath("areas", 8, 0), "/tiles/cells.json"} {
		if r := fetch(t, srv, p, ""); r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), `"unauthorized"`) {
			t.Errorf("GET %s anonymous = %d %s, want 401", p, r.status, r.body)
		}
		if r := fetch(t, srv, p, "gapmap_forged"); r.status != http.StatusUnauthorized {
			t.Errorf("GET %s with a forged token = %d, want 401", p, r.status)
		}
		if r := fetch(t, srv, p, f.tokens["viewer"]); r.status != http.StatusOK {
			t.Errorf("GET %s as viewer = %d %s, want 200", p, r.status, r.body)
		}
	}
}

// The hex tiles' counts equal the database's: per zoom, the features are
// the cells of the zoom's resolution that intersect the tile (with its
// buffer), and the tier counts shown sum to the SQL sum over the cells
// with at least k households; smaller cells show no counts. The tile is
// the same as the plain ST_AsMVT one.
func TestHexTilesMatchTheDatabase(t *testing.T) {
	f := newTileFixture(t)
	run := f.addRun(t, 1)
	srv := newTileServer(t, f.st)
	ctx := t.Context()
	const k = 5
	for _, z := range []int{5, 6, 7, 8, 9, 10, 11, 12, 13, 14} {
		res := api.HexResForZoom(z)
		want := map[int]int{5: 5, 6: 5, 7: 6, 8: 7, 9: 7, 10: 8, 11: 8, 12: 9, 13: 9, 14: 9}[z]
		if res != want {
			t.Fatalf("zoom %d shows res %d, want %d", z, res, want)
		}
		tl := maptile.At(orb.Point{fxLon, fxLat}, maptile.Zoom(z))
		r := fetch(t, srv, tilePath("cells", z, run), f.tokens["viewer"])
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
			t.Fatalf("z%d: %d %s", z, r.status, r.header.Get("Content-Type"))
		}
		layer := decode(t, r.body)["cells"]
		if layer == nil {
			t.Fatalf("z%d: no cells layer", z)
		}
		var ids []string
		var sums [4]float64
		var hh float64
		suppressed := 0
		for _, ft := range layer.Features {
			p := ft.Properties
			ids = append(ids, p["h3"].(string))
			if p["res"].(float64) != float64(res) {
				t.Errorf("z%d: cell %v has res %v", z, p["h3"], p["res"])
			}
			if poly, ok := ft.Geometry.(orb.Polygon); !ok || len(poly) != 1 {
				t.Errorf("z%d: cell %v is a %T", z, p["h3"], ft.Geometry)
			} else if poly[0].Orientation() != orb.CCW {
				// MVT 2: exterior rings have a positive area in tile coordinates.
				t.Errorf("z%d: cell %v exterior ring has a negative area", z, p["h3"])
			}
			if p["suppressed"].(bool) {
				suppressed++
				for _, key := range []string{"households", "students_t0", "students_t1", "students_t2", "students_t3", "share_4g_any", "unconnected_households"} {
					if _, ok := p[key]; ok {
						t.Errorf("z%d: suppressed cell %v shows %s", z, p["h3"], key)
					}
				}
				continue
			}
			if p["households"].(float64) < k {
				t.Errorf("z%d: cell %v shows %v households (< k)", z, p["h3"], p["households"])
			}
			hh += p["households"].(float64)
			for tier := range 4 {
				sums[tier] += p[fmt.Sprintf("students_t%d", tier)].(float64)
			}
		}
		if z >= 12 && (suppressed == 0 || suppressed == len(layer.Features)) {
			t.Errorf("z%d: %d of %d cells suppressed: the fixture should have both kinds", z, suppressed, len(layer.Features))
		}
		sort.Strings(ids)
		var dbIDs []string
		var dbSums [4]float64
		var dbHH float64
		rows, err := f.st.Pool().Query(ctx, `SELECT lower(to_hex(h3)), households, students_t0, students_t1, students_t2, students_t3
			FROM coverage_cells WHERE run_id = $1 AND res = $2
			AND ST_Intersects(geom, ST_Transform(ST_TileEnvelope($3, $4, $5, margin => 64.0/4096), 4326)) ORDER BY 1`,
			run, res, z, int(tl.X), int(tl.Y))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			var h, s0, s1, s2, s3 int
			if err := rows.Scan(&id, &h, &s0, &s1, &s2, &s3); err != nil {
				t.Fatal(err)
			}
			dbIDs = append(dbIDs, id)
			if h >= k {
				dbHH += float64(h)
				dbSums[0], dbSums[1], dbSums[2], dbSums[3] = dbSums[0]+float64(s0), dbSums[1]+float64(s1), dbSums[2]+float64(s2), dbSums[3]+float64(s3)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(dbIDs) == 0 {
			t.Fatalf("z%d: the fixture has no cell in the tile", z)
		}
		if !slices.Equal(ids, dbIDs) {
			t.Errorf("z%d: tile cells %v, database cells %v", z, ids, dbIDs)
		}
		if sums != dbSums || hh != dbHH {
			t.Errorf("z%d: tile sums households %v by tier %v, database %v %v", z, hh, sums, dbHH, dbSums)
		}
		// The plain ST_AsMVT tile holds the same cells with the same values.
		base, err := f.st.HexTileSQL(ctx, run, res, z, int(tl.X), int(tl.Y), k)
		if err != nil {
			t.Fatal(err)
		}
		bl := decode(t, base)["cells"]
		byID := map[string]map[string]any{}
		for _, ft := range bl.Features {
			if poly, ok := ft.Geometry.(orb.Polygon); !ok || poly[0].Orientation() != orb.CCW {
				t.Errorf("z%d: baseline cell %v is not a polygon with a positive exterior ring", z, ft.Properties["h3"])
			}
			byID[ft.Properties["h3"].(string)] = ft.Properties
		}
		if len(byID) != len(layer.Features) {
			t.Errorf("z%d: baseline has %d cells, tile %d", z, len(byID), len(layer.Features))
		}
		for _, ft := range layer.Features {
			bp := byID[ft.Properties["h3"].(string)]
			perOp := 0 // share_4g_{operator}: not in the SQL baseline (TestHexTilesMatchTheAPI checks them)
			for key, v := range ft.Properties {
				if strings.HasPrefix(key, "share_4g_") && key != "share_4g_any" {
					perOp++
					continue
				}
				if fmt.Sprint(bp[key]) != fmt.Sprint(v) {
					t.Errorf("z%d: cell %v %s = %v, baseline %v", z, ft.Properties["h3"], key, v, bp[key])
				}
			}
			if len(bp)+perOp != len(ft.Properties) {
				t.Errorf("z%d: cell %v: baseline properties %v, tile %v", z, ft.Properties["h3"], bp, ft.Properties)
			}
		}
	}
}

// Schools in a tile are the schools in its envelope, with their
// connectivity in the run.
func TestSchoolsTile(t *testing.T) {
	f := newTileFixture(t)
	run := f.addRun(t, 1)
	srv := newTileServer(t, f.st)
	for _, z := range []int{8, 12, 14} {
		tl := maptile.At(orb.Point{fxLon, fxLat}, maptile.Zoom(z))
		var want []string
		rows, err := f.st.Pool().Query(t.Context(), `SELECT school_id FROM schools
			WHERE ST_Intersects(geom, ST_Transform(ST_TileEnvelope($1, $2, $3), 4326)) ORDER BY 1`, z, int(tl.X), int(tl.Y))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			want = append(want, id)
		}
		r := fetch(t, srv, tilePath("schools", z, run), f.tokens["viettel-eng"])
		if r.status != http.StatusOK {
			t.Fatalf("z%d: %d %s", z, r.status, r.body)
		}
		var got []string
		for _, ft := range decode(t, r.body)["schools"].Features {
			got = append(got, ft.Properties["school_id"].(string))
			if ft.Properties["school_id"] == "S1" && ft.Properties["connectivity"] != "4g" {
				t.Errorf("S1 connectivity %v, want 4g", ft.Properties["connectivity"])
			}
			if _, ok := ft.Geometry.(orb.Point); !ok {
				t.Errorf("school is a %T", ft.Geometry)
			}
		}
		sort.Strings(got)
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("z%d: schools %v, envelope holds %v", z, got, want)
		}
	}
}

func TestTileCachingHeaders(t *testing.T) {
	f := newTileFixture(t)
	run := f.addRun(t, 1)
	srv := newTileServer(t, f.st)
	tok := f.tokens["planner"]
	p := tilePath("cells", 12, run)

	plain := fetch(t, srv, p, tok)
	gz := fetch(t, srv, p, tok, "Accept-Encoding", "gzip, deflate, br")
	if plain.status != 200 || gz.status != 200 {
		t.Fatalf("statuses %d %d", plain.status, gz.status)
	}
	if plain.header.Get("Content-Encoding") != "" || gz.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("Content-Encoding plain %q gzip %q", plain.header.Get("Content-Encoding"), gz.header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.body))
	if err != nil {
		t.Fatal(err)
	}
	unz, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unz, plain.body) {
		t.Errorf("the gzipped tile is not the plain one (%v)", err)
	}
	e1, e2 := plain.header.Get("ETag"), gz.header.Get("ETag")
	if e1 == "" || e2 == "" || e1 == e2 || strings.HasPrefix(e1, "W/") || !strings.HasPrefix(e1, `"`) {
		t.Errorf("ETags %q %q: want strong, one per encoding", e1, e2)
	}
	if cc := plain.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "private") {
		t.Errorf("Cache-Control of a run's tile %q", cc)
	}
	if v := plain.header.Get("Vary"); !strings.Contains(v, "Accept-Encoding") {
		t.Errorf("Vary %q", v)
	}
	if r := fetch(t, srv, p, tok, "If-None-Match", e1); r.status != http.StatusNotModified || len(r.body) != 0 {
		t.Errorf("If-None-Match = %d (%d bytes), want 304", r.status, len(r.body))
	}
	if r := fetch(t, srv, p, tok, "If-None-Match", `"other", `+e2, "Accept-Encoding", "gzip"); r.status != http.StatusNotModified {
		t.Errorf("If-None-Match list = %d, want 304", r.status)
	}
	if r := fetch(t, srv, p, tok, "If-None-Match", `"other"`); r.status != http.StatusOK || !bytes.Equal(r.body, plain.body) {
		t.Errorf("If-None-Match other = %d, want 200", r.status)
	}
	// The same tile from the latest run, without run=: not immutable.
	latest := fetch(t, srv, tilePath("cells", 12, 0), tok)
	if latest.status != 200 || !bytes.Equal(latest.body, plain.body) || !strings.Contains(latest.header.Get("Cache-Control"), "no-cache") {
		t.Errorf("latest-run tile: %d, Cache-Control %q", latest.status, latest.header.Get("Cache-Control"))
	}
	// An empty tile is 204, for every layer.
	for _, layer := range []string{"cells", "gaps", "schools", "sectors", "fiber", "areas"} {
		r := fetch(t, srv, fmt.Sprintf("/tiles/%s/14/0/0.mvt?run=%d", layer, run), tok)
		if r.status != http.StatusNoContent || len(r.body) != 0 {
			t.Errorf("empty %s tile = %d (%d bytes), want 204", layer, r.status, len(r.body))
		}
	}
	for path, want := range map[string]int{
		"/tiles/cells/3/8/0.mvt":         http.StatusBadRequest,
		"/tiles/cells/x/0/0.mvt":         http.StatusBadRequest,
		"/tiles/cells/23/0/0.mvt":        http.StatusBadRequest,
		"/tiles/households/3/0/0.mvt":    http.StatusNotFound,
		"/tiles/cells/3/0/0.mvt?run=999": http.StatusNotFound,
		"/tiles/cells/3/0/0.mvt?run=abc": http.StatusBadRequest,
		"/tiles/households.json":         http.StatusNotFound,
	} {
		if r := fetch(t, srv, path, tok); r.status != want {
			t.Errorf("GET %s = %d %s, want %d", path, r.status, r.body, want)
		}
	}
}

// A tile of run 1 is the same after run 2 is stored, from a warm or a
// fresh server; TileJSON moves to run 2.
func TestTilesOfARunNeverGoStale(t *testing.T) {
	f := newTileFixture(t)
	run1 := f.addRun(t, 1)
	srv := newTileServer(t, f.st)
	tok := f.tokens["viewer"]
	before := map[string]tileResp{}
	for _, layer := range []string{"cells", "schools", "gaps"} {
		before[layer] = fetch(t, srv, tilePath(layer, 12, run1), tok)
		if before[layer].status != 200 {
			t.Fatalf("%s: %d", layer, before[layer].status)
		}
	}
	var tj struct {
		Tiles []string `json:"tiles"`
		Run   int64    `json:"run"`
	}
	readTJ := func(srv *httptest.Server, q string) {
		t.Helper()
		r := fetch(t, srv, "/tiles/cells.json"+q, tok)
		if r.status != 200 {
			t.Fatalf("TileJSON %d %s", r.status, r.body)
		}
		if err := json.Unmarshal(r.body, &tj); err != nil {
			t.Fatal(err)
		}
	}
	readTJ(srv, "")
	if tj.Run != run1 || len(tj.Tiles) != 1 || !strings.HasSuffix(tj.Tiles[0], fmt.Sprintf("/tiles/cells/{z}/{x}/{y}.mvt?run=%d", run1)) {
		t.Fatalf("TileJSON before run 2: %+v", tj)
	}
	run2 := f.addRun(t, 2)
	fresh := newTileServer(t, f.st)
	for _, s := range []*httptest.Server{srv, fresh} {
		for layer, b := range before {
			r := fetch(t, s, tilePath(layer, 12, run1), tok)
			if r.status != 200 || !bytes.Equal(r.body, b.body) || r.header.Get("ETag") != b.header.Get("ETag") {
				t.Errorf("%s tile of run 1 changed after run 2 (status %d)", layer, r.status)
			}
		}
		r := fetch(t, s, tilePath("cells", 12, run2), tok)
		if r.status != 200 || bytes.Equal(r.body, before["cells"].body) {
			t.Errorf("the cells tile of run 2 = %d, the same as run 1's: %v", r.status, bytes.Equal(r.body, before["cells"].body))
		}
		r = fetch(t, s, tilePath("schools", 12, run2), tok)
		for _, ft := range decode(t, r.body)["schools"].Features {
			if ft.Properties["school_id"] == "S1" && ft.Properties["connectivity"] != "none" {
				t.Errorf("S1 in run 2: %v, want none", ft.Properties["connectivity"])
			}
		}
		readTJ(s, "")
		if tj.Run != run2 || !strings.HasSuffix(tj.Tiles[0], fmt.Sprintf("?run=%d", run2)) {
			t.Errorf("TileJSON after run 2: %+v", tj)
		}
		readTJ(s, fmt.Sprintf("?run=%d", run1))
		if tj.Run != run1 || !strings.HasSuffix(tj.Tiles[0], fmt.Sprintf("?run=%d", run1)) {
			t.Errorf("TileJSON of run 1: %+v", tj)
		}
	}
}

func TestTileJSON(t *testing.T) {
	f := newTileFixture(t)
	run := f.addRun(t, 1)
	srv := newTileServer(t, f.st)
	for _, layer := range []string{"cells", "gaps", "schools", "sectors", "fiber", "areas"} {
		r := fetch(t, srv, "/tiles/"+layer+".json", f.tokens["viewer"])
		if r.status != 200 {
			t.Fatalf("%s: %d %s", layer, r.status, r.body)
		}
		var tj struct {
			TileJSON     string    `json:"tilejson"`
			Tiles        []string  `json:"tiles"`
			MinZoom      int       `json:"minzoom"`
			MaxZoom      int       `json:"maxzoom"`
			Bounds       []float64 `json:"bounds"`
			VectorLayers []struct {
				ID     string            `json:"id"`
				Fields map[string]string `json:"fields"`
			} `json:"vector_layers"`
		}
		if err := json.Unmarshal(r.body, &tj); err != nil {
			t.Fatal(err)
		}
		wantURL := srv.URL + "/tiles/" + layer + "/{z}/{x}/{y}.mvt"
		if layer == "cells" || layer == "gaps" || layer == "schools" {
			wantURL += fmt.Sprintf("?run=%d", run)
		}
		if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || tj.Tiles[0] != wantURL || tj.MinZoom != 0 || tj.MaxZoom != 14 {
			t.Errorf("%s TileJSON %+v, want tiles %s", layer, tj, wantURL)
		}
		if !slices.Equal(tj.Bounds, []float64{105.9, 21.0, 106.5, 21.6}) {
			t.Errorf("%s bounds %v", layer, tj.Bounds)
		}
		if len(tj.VectorLayers) == 0 || len(tj.VectorLayers[0].Fields) == 0 {
			t.Errorf("%s vector_layers %+v", layer, tj.VectorLayers)
		}
		// Every field a tile holds is listed.
		tr := fetch(t, srv, tilePath(layer, 12, run), f.tokens["planner"])
		if tr.status != 200 {
			t.Fatalf("%s tile: %d", layer, tr.status)
		}
		for _, vl := range tj.VectorLayers {
			l := decode(t, tr.body)[vl.ID]
			if l == nil {
				t.Errorf("%s: layer %s missing from the tile", layer, vl.ID)
				continue
			}
			for _, ft := range l.Features {
				for key := range ft.Properties {
					if _, ok := vl.Fields[key]; !ok {
						t.Errorf("%s: field %s of layer %s not in TileJSON", layer, key, vl.ID)
					}
				}
			}
		}
	}
}

// Operators see their own sectors and fiber; planners and viewers all.
// Directional sectors are wedges from z10, omni ones circles; masts below.
func TestSectorsAndFiberByRole(t *testing.T) {
	f := newTileFixture(t)
	f.addRun(t, 1)
	srv := newTileServer(t, f.st)
	ids := func(tok, layer, mvtLayer string, z int) (out []string, geoms []orb.Geometry) {
		t.Helper()
		r := fetch(t, srv, tilePath(layer, z, 0), tok)
		if r.status == http.StatusNoContent {
			return nil, nil
		}
		if r.status != 200 {
			t.Fatalf("%s z%d: %d %s", layer, z, r.status, r.body)
		}
		l := decode(t, r.body)[mvtLayer]
		if l == nil {
			return nil, nil
		}
		for _, ft := range l.Features {
			for _, key := range []string{"sector_id", "route_id", "node_id"} {
				if v, ok := ft.Properties[key]; ok {
					out = append(out, v.(string))
				}
			}
			geoms = append(geoms, ft.Geometry)
		}
		sort.Strings(out)
		return out, geoms
	}
	for _, c := range []struct {
		user                 string
		sectors, nodes, rtes []string
	}{
		{"planner", []string{"M1", "V1"}, []string{"N1", "N2"}, []string{"R1"}},
		{"viewer", []string{"M1", "V1"}, []string{"N1", "N2"}, []string{"R1"}},
		{"viettel-eng", []string{"V1"}, []string{"N1"}, []string{"R1"}},
		{"vnpt-eng", nil, []string{"N2"}, nil},
	} {
		tok := f.tokens[c.user]
		for _, z := range []int{9, 12} {
			got, geoms := ids(tok, "sectors", "sectors", z)
			if !slices.Equal(got, c.sectors) {
				t.Errorf("%s z%d sees sectors %v, want %v", c.user, z, got, c.sectors)
			}
			for _, g := range geoms {
				_, isPoint := g.(orb.Point)
				_, isPoly := g.(orb.Polygon)
				if (z < 10 && !isPoint) || (z >= 10 && !isPoly) {
					t.Errorf("%s z%d: sector geometry %T", c.user, z, g)
				}
			}
		}
		if got, _ := ids(tok, "fiber", "fiber_nodes", 12); !slices.Equal(got, c.nodes) {
			t.Errorf("%s sees fiber nodes %v, want %v", c.user, got, c.nodes)
		}
		if got, _ := ids(tok, "fiber", "fiber_routes", 12); !slices.Equal(got, c.rtes) {
			t.Errorf("%s sees fiber routes %v, want %v", c.user, got, c.rtes)
		}
	}
	// The wedge of V1 (azimuth 90°, 65°, 3 km) lies east of its mast: its
	// points in WGS84 are within 3 km east and ±35° of due east.
	r := fetch(t, srv, tilePath("sectors", 12, 0), f.tokens["planner"])
	tl := maptile.At(orb.Point{fxLon, fxLat}, 12)
	ls, err := mvt.Unmarshal(r.body)
	if err != nil {
		t.Fatal(err)
	}
	ls.ProjectToWGS84(tl)
	for _, ft := range ls[0].Features {
		if ft.Properties["sector_id"] != "V1" {
			continue
		}
		for _, p := range ft.Geometry.(orb.Polygon)[0] {
			if p[0] < fxLon-0.001 || p[0] > fxLon+0.03 || p[1] < fxLat-0.02 || p[1] > fxLat+0.02 {
				t.Errorf("V1 wedge point %v outside its beam", p)
			}
		}
		if ft.Properties["range_m"] != float64(3000) || ft.Properties["range_modelled"] != false {
			t.Errorf("V1 properties %v", ft.Properties)
		}
	}
}

// Gap areas with fewer than k households show no counts; areas are served.
func TestGapsAndAreasTiles(t *testing.T) {
	f := newTileFixture(t)
	run := f.addRun(t, 1)
	srv := newTileServer(t, f.st)
	r := fetch(t, srv, tilePath("gaps", 12, run), f.tokens["viewer"])
	if r.status != 200 {
		t.Fatalf("gaps: %d", r.status)
	}
	seen := map[string]bool{}
	for _, ft := range decode(t, r.body)["gaps"].Features {
		id := ft.Properties["gap_id"].(string)
		seen[id] = true
		_, hasCount := ft.Properties["students_t1"]
		switch id {
		case "G1":
			if !hasCount || ft.Properties["students_t1"] != float64(40) || ft.Properties["suppressed"] != false {
				t.Errorf("G1 properties %v", ft.Properties)
			}
		case "G2":
			if hasCount || ft.Properties["households"] != nil || ft.Properties["suppressed"] != true || ft.Properties["rank"] != float64(2) {
				t.Errorf("G2 (2 households) shows counts: %v", ft.Properties)
			}
		}
	}
	if !seen["G1"] || !seen["G2"] {
		t.Errorf("gap areas in the tile: %v", seen)
	}
	r = fetch(t, srv, tilePath("areas", 8, 0), f.tokens["viettel-eng"])
	if r.status != 200 {
		t.Fatalf("areas: %d", r.status)
	}
	l := decode(t, r.body)["areas"]
	if len(l.Features) != 1 || l.Features[0].Properties["code"] != "24" || l.Features[0].Properties["name"] != "Bắc Giang" {
		t.Errorf("areas tile %+v", l.Features)
	}
}

// A tile request trusts a checked token for a few seconds; other requests
// check it every time.
func TestTileTokenCache(t *testing.T) {
	f := newTileFixture(t)
	run := f.addRun(t, 1)
	srv := newTileServer(t, f.st)
	tok := f.tokens["viewer"]
	if r := fetch(t, srv, tilePath("cells", 12, run), tok); r.status != http.StatusOK {
		t.Fatalf("tile: %d", r.status)
	}
	if r := fetch(t, srv, "/api/v1/jobs", tok); r.status != http.StatusOK {
		t.Fatalf("jobs: %d %s", r.status, r.body)
	}
	if err := f.st.SetUserDisabled(t.Context(), "viewer", true); err != nil {
		t.Fatal(err)
	}
	if r := fetch(t, srv, "/api/v1/jobs", tok); r.status != http.StatusUnauthorized {
		t.Errorf("jobs after disable: %d, want 401", r.status)
	}
	if r := fetch(t, srv, tilePath("cells", 12, run), tok); r.status != http.StatusOK {
		t.Errorf("tile within the token's grace: %d, want 200", r.status)
	}
	// A fresh server has no grace.
	if r := fetch(t, newTileServer(t, f.st), tilePath("cells", 12, run), tok); r.status != http.StatusUnauthorized {
		t.Errorf("tile from a fresh server after disable: %d, want 401", r.status)
	}
}

// WarmTiles renders every hex tile of a run from z0 to z14 (at least one
// per zoom), and the tiles it rendered are those served.
func TestWarmTiles(t *testing.T) {
	f := newTileFixture(t)
	run := f.addRun(t, 1)
	s := api.NewServer(t.Context(), api.Deps{Store: f.st})
	n, err := s.WarmTiles(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if n < 15 {
		t.Fatalf("warmed %d tiles, want at least one per zoom", n)
	}
	if again, err := s.WarmTiles(t.Context(), run); err != nil || again != n {
		t.Errorf("second warm-up: %d tiles (%v), want %d", again, err, n)
	}
	srv := httptest.NewServer(api.Validating(t, s))
	defer srv.Close()
	cold := newTileServer(t, f.st)
	for _, z := range []int{0, 6, 10, 14} {
		a := fetch(t, srv, tilePath("cells", z, run), f.tokens["viewer"])
		b := fetch(t, cold, tilePath("cells", z, run), f.tokens["viewer"])
		if a.status != 200 || !bytes.Equal(a.body, b.body) {
			t.Errorf("z%d: warmed tile (%d) differs from a cold server's (%d)", z, a.status, b.status)
		}
	}
	if _, err := s.WarmTiles(t.Context(), 999); err == nil {
		t.Error("warming a run that does not exist succeeded")
	}
}

// The hex tiles show, cell by cell, the counts the JSON API gives for the
// same run and resolution (and withhold the same small cells from a viewer).
func TestHexTilesMatchTheAPI(t *testing.T) {
	f := newTileFixture(t)
	run := f.addRun(t, 1)
	srv := newTileServer(t, f.st)
	type apiCell struct {
		H3          string             `json:"h3"`
		Suppressed  bool               `json:"suppressed"`
		Households  *int               `json:"households"`
		StudentsT1  *int               `json:"students_t1"`
		StudentsT2  *int               `json:"students_t2"`
		StudentsT3  *int               `json:"students_t3"`
		Unconnected *int               `json:"unconnected_households"`
		Schools     int                `json:"schools"`
		Share4G     map[string]float64 `json:"share_4g"`
	}
	compared, shares := 0, 0
	for _, z := range []int{6, 8, 10, 12, 14} {
		res := api.HexResForZoom(z)
		for _, who := range []string{"planner", "viewer"} {
			r := fetch(t, srv, fmt.Sprintf("/api/v1/coverage/runs/%d/cells?res=%d&limit=50000", run, res), f.tokens[who])
			if r.status != http.StatusOK {
				t.Fatalf("cells res %d as %s: %d %s", res, who, r.status, r.body)
			}
			var body struct {
				Cells     []apiCell `json:"cells"`
				Truncated bool      `json:"truncated"`
			}
			if err := json.Unmarshal(r.body, &body); err != nil || body.Truncated {
				t.Fatalf("cells res %d: %v (truncated %v)", res, err, body.Truncated)
			}
			byH3 := map[string]apiCell{}
			for _, c := range body.Cells {
				byH3[c.H3] = c
			}
			tr := fetch(t, srv, tilePath("cells", z, run), f.tokens[who])
			if tr.status != http.StatusOK {
				t.Fatalf("z%d tile as %s: %d", z, who, tr.status)
			}
			layer := decode(t, tr.body)["cells"]
			if layer == nil || len(layer.Features) == 0 {
				t.Fatalf("z%d: no cells in the tile", z)
			}
			for _, ft := range layer.Features {
				p := ft.Properties
				h := p["h3"].(string)
				c, ok := byH3[h]
				if !ok {
					t.Errorf("z%d %s: tile cell %s is not in the API's cells", z, who, h)
					continue
				}
				compared++
				num := func(key string) *int {
					v, ok := p[key]
					if !ok {
						return nil
					}
					n := int(v.(float64))
					return &n
				}
				eq := func(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
				if who == "planner" && c.Households != nil && data.SmallCount(*c.Households, 5) {
					// Planners see every count in the JSON API; tiles withhold
					// small cells from everyone.
					c.Suppressed = true
					c.Households, c.StudentsT1, c.StudentsT2, c.StudentsT3, c.Unconnected = nil, nil, nil, nil, nil
				}
				if p["suppressed"].(bool) != c.Suppressed || int(p["schools"].(float64)) != c.Schools ||
					!eq(num("households"), c.Households) || !eq(num("students_t1"), c.StudentsT1) ||
					!eq(num("students_t2"), c.StudentsT2) || !eq(num("students_t3"), c.StudentsT3) ||
					!eq(num("unconnected_households"), c.Unconnected) {
					t.Errorf("z%d %s: cell %s tile %v, API %+v", z, who, h, p, c)
				}
				// Each operator's 4G share, unless the cell is withheld.
				for op, sh := range c.Share4G {
					v, ok := p["share_4g_"+op]
					if c.Suppressed {
						if ok {
							t.Errorf("z%d %s: withheld cell %s has share_4g_%s", z, who, h, op)
						}
						continue
					}
					if !ok || math.Abs(v.(float64)-sh) > 1e-9 {
						t.Errorf("z%d %s: cell %s share_4g_%s tile %v, API %v", z, who, h, op, v, sh)
					}
					shares++
				}
			}
		}
	}
	if compared < 10 || shares < 10 {
		t.Fatalf("only %d cells and %d 4G shares compared", compared, shares)
	}
}
