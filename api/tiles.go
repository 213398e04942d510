package api

// Vector tiles (MVT v2) and their TileJSON.
//
//	GET /tiles/{layer}/{z}/{x}/{y}.mvt?run=N   one tile
//	GET /tiles/{layer}.json?run=N              TileJSON (latest run without run=)
//
// Layers: cells (H3 cells of a coverage run, resolution by zoom), gaps,
// schools (with their connectivity in the run), sectors, fiber (layers
// fiber_routes and fiber_nodes) and areas (the base layer).
//
// Tiles of a run never change, so the tiles of cells, gaps and schools are
// addressed by run and cached in memory (an LRU of encoded tiles, keyed by
// run, layer, z, x and y): a new run has new URLs and never meets a stale
// tile. Cells are encoded in Go from the run's cells held in memory (an
// R-tree per resolution, loaded once per run); the other layers come from
// PostGIS (ST_TileEnvelope, ST_AsMVTGeom, ST_AsMVT). Sectors, fiber and
// areas follow the tables (no run): they are built per request and
// revalidated by ETag.

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/tidwall/rtree"
	"golang.org/x/sync/singleflight"
)

// Tile layers as named in URLs.
const (
	tileLayerCells = "cells"
)

// tileLayerDesc describes a layer: whether it belongs to a run, and the
// MVT layers and fields it holds (for TileJSON).
type tileLayerDesc struct {
	run         bool
	description string
	layers      []tileJSONLayer
}

// tileLayerInfo describes the layer named name.
func tileLayerInfo(name string) (tileLayerDesc, bool) {
	d, ok := tileLayerDescs()[name]
	return d, ok
}

func tileLayerDescs() map[string]tileLayerDesc {
	return map[string]tileLayerDesc{
		tileLayerCells: {true, "H3 cells of the coverage run: counts by tier (withheld below the privacy threshold), 4G and fiber shares, gap flag; resolution by zoom: z≤6 res 5, z7 res 6, z8–9 res 7, z10–11 res 8, z≥12 res 9; share_4g_{operator} (one field per operator of the run, e.g. share_4g_viettel) is that operator's 4G share",
			[]tileJSONLayer{{ID: "cells", Fields: map[string]string{
				"h3": "String", "res": "Number", "schools": "Number", "unconnected_schools": "Number", "gap": "Boolean", "gap_id": "String",
				"suppressed": "Boolean", "households": "Number", "students_t0": "Number", "students_t1": "Number", "students_t2": "Number",
				"students_t3": "Number", "unconnected_households": "Number", "unconnected_students_t1": "Number",
				"unconnected_students_t2": "Number", "unconnected_students_t3": "Number", "share_4g_any": "Number", "share_fiber": "Number"}}}},
		string(postgis.LayerGaps): {true, "ranked gap areas (lõm sóng) of the coverage run; counts withheld below the privacy threshold",
			[]tileJSONLayer{{ID: "gaps", Fields: map[string]string{
				"gap_id": "String", "rank": "Number", "area_code": "String", "environment": "String", "cells": "Number", "households": "Number",
				"students_t1": "Number", "students_t2": "Number", "students_t3": "Number", "no_device_t123": "Number",
				"weighted_beneficiaries": "Number", "suppressed": "Boolean", "schools": "Number", "option": "String", "cost_vnd": "Number",
				"score": "Number", "nearest_4g_m": "Number", "nearest_fiber_m": "Number"}}}},
		string(postgis.LayerSchools): {true, "schools with their connectivity in the coverage run",
			[]tileJSONLayer{{ID: "schools", Fields: map[string]string{
				"school_id": "String", "name": "String", "level": "String", "area_code": "String", "students": "Number", "internet": "String",
				"connectivity": "String", "operators_4g": "String", "nearest_4g_m": "Number", "nearest_fiber_m": "Number", "gap_id": "String"}}}},
		string(postgis.LayerSectors): {false, "base-station sectors: wedges (directional) and circles (omni) of their range from z10, mast points below; operators see their own",
			[]tileJSONLayer{{ID: "sectors", Fields: map[string]string{
				"sector_id": "String", "site_id": "String", "operator": "String", "technology": "String", "band_mhz": "Number",
				"azimuth_deg": "Number", "beamwidth_deg": "Number", "range_m": "Number", "range_modelled": "Boolean", "status": "String"}}}},
		string(postgis.LayerFiber): {false, "fiber routes and access nodes; operators see their own",
			[]tileJSONLayer{
				{ID: "fiber_routes", Fields: map[string]string{"route_id": "String", "operator": "String"}},
				{ID: "fiber_nodes", Fields: map[string]string{"node_id": "String", "operator": "String", "kind": "String"}}}},
		string(postgis.LayerAreas): {false, "administrative areas (the base layer)",
			[]tileJSONLayer{{ID: "areas", Fields: map[string]string{"code": "String", "name": "String", "level": "String", "parent_code": "String"}}}},
	}
}

// Zoom limits of the tiles.
const (
	tileMinZoom = 0
	tileMaxZoom = 14 // TileJSON maxzoom: clients overzoom beyond
	tileTopZoom = 22 // the highest zoom served
)

// hexResForZoom is the H3 resolution of the cells layer at zoom z.
func hexResForZoom(z int) int {
	switch {
	case z <= 6:
		return 5
	case z == 7:
		return 6
	case z <= 9:
		return 7
	case z <= 11:
		return 8
	default:
		return 9
	}
}

// HexResForZoom is the H3 resolution the cells layer shows at zoom z.
func HexResForZoom(z int) int { return hexResForZoom(z) }

// tileCacheBytes bounds the memory of the cache of encoded tiles.
const tileCacheBytes = 256 << 20

// tileBuildTimeout bounds the building of a cached tile.
const tileBuildTimeout = 30 * time.Second

// hexRunsKept is how many runs' cells stay in memory.
const hexRunsKept = 2

// encodedTile is a tile ready to serve: its MVT bytes (nil when empty),
// their gzip and their strong ETag.
type encodedTile struct {
	raw, gz         []byte
	etagRaw, etagGz string // quoted, ready for the header
}

func (t *encodedTile) size() int { return len(t.raw) + len(t.gz) + 128 }

func encodeTile(raw []byte) (*encodedTile, error) {
	if len(raw) == 0 {
		return &encodedTile{}, nil
	}
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	tag := hex.EncodeToString(sum[:16])
	return &encodedTile{raw: raw, gz: b.Bytes(), etagRaw: `"` + tag + `"`, etagGz: `"` + tag + `-gz"`}, nil
}

// tileKey identifies a cached tile.
type tileKey struct {
	run     int64
	layer   string
	z, x, y int
}

// tileCache is an LRU of encoded tiles bounded in bytes.
type tileCache struct {
	mu    sync.Mutex
	max   int
	size  int
	ll    *list.List
	items map[tileKey]*list.Element
}

type tileCacheEntry struct {
	key  tileKey
	tile *encodedTile
}

func newTileCache(maxBytes int) *tileCache {
	return &tileCache{max: maxBytes, ll: list.New(), items: map[tileKey]*list.Element{}}
}

func (c *tileCache) get(k tileKey) (*encodedTile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(e)
	return e.Value.(*tileCacheEntry).tile, true
}

func (c *tileCache) bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

func (c *tileCache) put(k tileKey, t *encodedTile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return
	}
	c.items[k] = c.ll.PushFront(&tileCacheEntry{k, t})
	c.size += t.size()
	for c.size > c.max && c.ll.Len() > 1 {
		last := c.ll.Back()
		ent := last.Value.(*tileCacheEntry)
		c.ll.Remove(last)
		delete(c.items, ent.key)
		c.size -= ent.tile.size()
	}
}

// hexRun holds the cells of one run: an R-tree per resolution over their
// bounding boxes.
type hexRun struct {
	run   int64
	ops   []string // the run's operators (the order of HexCell.Share4G)
	cells []postgis.HexCell
	trees [16]*rtree.RTreeG[int32]
}

// tileService builds, caches and serves tiles.
type tileService struct {
	base     context.Context // the server's: background work stops with it
	store    *postgis.Store
	privacyK int
	ranges   map[string]float64
	cache    *tileCache
	group    singleflight.Group

	mu      sync.Mutex
	hexRuns []*hexRun // most recently used first
	runs    map[int64]bool
	// The extent of the areas (TileJSON bounds), remembered for a minute.
	bounds     orb.Bound
	boundsOK   bool
	boundsTime time.Time
}

// boundsTTL is how long the extent of the areas is remembered.
const boundsTTL = time.Minute

// areasBounds returns the extent of the areas (ok false when none).
func (ts *tileService) areasBounds(ctx context.Context) (orb.Bound, bool, error) {
	ts.mu.Lock()
	b, ok, at := ts.bounds, ts.boundsOK, ts.boundsTime
	ts.mu.Unlock()
	if !at.IsZero() && time.Since(at) < boundsTTL {
		return b, ok, nil
	}
	b, ok, err := ts.store.AreasBounds(ctx)
	if err != nil {
		return b, ok, err
	}
	ts.mu.Lock()
	ts.bounds, ts.boundsOK, ts.boundsTime = b, ok, time.Now()
	ts.mu.Unlock()
	return b, ok, nil
}

func newTileService(base context.Context, st *postgis.Store, privacyK int) *tileService {
	ranges := map[string]float64{}
	for _, r := range coverage.DefaultRangeTable() {
		ranges[r.Technology+"/"+strconv.Itoa(r.BandMHz)] = r.RangeM.Rural
	}
	// A band not in the table: the technology's most common band.
	for tech, band := range map[string]int{"2G": 900, "3G": 2100, "4G": 1800, "5G": 3500} {
		ranges[tech] = ranges[tech+"/"+strconv.Itoa(band)]
	}
	return &tileService{base: base, store: st, privacyK: max(privacyK, 1), ranges: ranges,
		cache: newTileCache(tileCacheBytes), runs: map[int64]bool{}}
}

// runExists tells whether a run is stored (a found run is remembered).
func (ts *tileService) runExists(ctx context.Context, run int64) (bool, error) {
	ts.mu.Lock()
	ok := ts.runs[run]
	ts.mu.Unlock()
	if ok {
		return true, nil
	}
	ok, err := ts.store.CoverageRunExists(ctx, run)
	if err != nil || !ok {
		return false, err
	}
	ts.mu.Lock()
	ts.runs[run] = true
	ts.mu.Unlock()
	return true, nil
}

// hexRunOf returns the cells of a run, loading them once.
func (ts *tileService) hexRunOf(ctx context.Context, run int64) (*hexRun, error) {
	ts.mu.Lock()
	for i, h := range ts.hexRuns {
		if h.run == run {
			if i > 0 {
				copy(ts.hexRuns[1:i+1], ts.hexRuns[:i])
				ts.hexRuns[0] = h
			}
			ts.mu.Unlock()
			return h, nil
		}
	}
	ts.mu.Unlock()
	v, err, _ := ts.group.Do("hex:"+strconv.FormatInt(run, 10), func() (any, error) {
		// Detached from the request: other requests wait for the same load.
		h := &hexRun{run: run}
		cr, err := ts.store.CoverageRun(context.WithoutCancel(ctx), run)
		if err != nil {
			return nil, err
		}
		h.ops = cr.Operators
		err = ts.store.HexCells(context.WithoutCancel(ctx), run, func(c postgis.HexCell) error {
			if c.Res < 0 || c.Res >= len(h.trees) {
				return nil
			}
			if h.trees[c.Res] == nil {
				h.trees[c.Res] = &rtree.RTreeG[int32]{}
			}
			b := c.Outline.Bound()
			h.trees[c.Res].Insert([2]float64{b.Min[0], b.Min[1]}, [2]float64{b.Max[0], b.Max[1]}, int32(len(h.cells)))
			// The outline is computed again when a tile needs it (≈ 1 µs):
			// a national run holds millions of cells.
			c.Outline = nil
			h.cells = append(h.cells, c)
			return nil
		})
		if err != nil {
			return nil, err
		}
		ts.mu.Lock()
		ts.hexRuns = append([]*hexRun{h}, ts.hexRuns...)
		if len(ts.hexRuns) > hexRunsKept {
			ts.hexRuns = ts.hexRuns[:hexRunsKept]
		}
		ts.mu.Unlock()
		// Render the run's hex tiles in the background, until the server
		// stops.
		go func() { _, _ = ts.warm(ts.base, h) }()
		return h, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*hexRun), nil
}

// isTileLayer tells whether name is a tile layer.
func isTileLayer(name string) bool {
	switch name {
	case tileLayerCells, string(postgis.LayerGaps), string(postgis.LayerSchools),
		string(postgis.LayerSectors), string(postgis.LayerFiber), string(postgis.LayerAreas):
		return true
	}
	return false
}

// runTileLayer tells whether a layer's tiles belong to a coverage run.
func runTileLayer(name string) bool {
	return name == tileLayerCells || name == string(postgis.LayerGaps) || name == string(postgis.LayerSchools)
}

// hexTile encodes the cells tile z/x/y of a run (nil when empty). A cell
// with fewer than k households shows no counts and no shares, only its
// schools and gap flag, and suppressed=true.
func hexTile(h *hexRun, z, x, y, k int) ([]byte, error) {
	res := hexResForZoom(z)
	tr := h.trees[res]
	if tr == nil {
		return nil, nil
	}
	t := maptile.New(uint32(x), uint32(y), maptile.Zoom(z))
	b := t.Bound(float64(postgis.TileBuffer) / postgis.TileExtent)
	var idx []int32
	tr.Search([2]float64{b.Min[0], b.Min[1]}, [2]float64{b.Max[0], b.Max[1]}, func(_, _ [2]float64, i int32) bool {
		idx = append(idx, i)
		return true
	})
	if len(idx) == 0 {
		return nil, nil
	}
	slices.SortFunc(idx, func(a, b int32) int { return cmp.Compare(h.cells[a].Cell, h.cells[b].Cell) })
	fs := make([]*geojson.Feature, 0, len(idx))
	for _, i := range idx {
		c := &h.cells[i]
		ring, err := c.Cell.Boundary()
		if err != nil {
			return nil, fmt.Errorf("outline of cell %s: %w", c.Cell, err)
		}
		f := geojson.NewFeature(orb.Polygon{ring})
		p := f.Properties
		p["h3"] = c.Cell.String()
		p["res"] = c.Res
		p["schools"] = c.Schools
		p["unconnected_schools"] = c.UnconnectedSchools
		p["gap"] = c.Gap
		p["gap_id"] = c.GapID
		small := data.SmallCount(c.Households, k)
		p["suppressed"] = small
		if !small {
			p["households"] = c.Households
			for tier := range 4 {
				p["students_t"+strconv.Itoa(tier)] = c.Students[tier]
			}
			p["unconnected_households"] = c.UnconnectedHouseholds
			for tier := 1; tier <= 3; tier++ {
				p["unconnected_students_t"+strconv.Itoa(tier)] = c.UnconnectedStudents[tier]
			}
			p["share_4g_any"] = c.Share4GAny
			p["share_fiber"] = c.ShareFiber
			for o, sh := range c.Share4G {
				if o < len(h.ops) {
					p["share_4g_"+h.ops[o]] = sh
				}
			}
		}
		fs = append(fs, f)
	}
	layer := &mvt.Layer{Name: "cells", Version: 2, Extent: postgis.TileExtent, Features: fs}
	layer.ProjectToTile(t)
	layer.Clip(orb.Bound{Min: orb.Point{-postgis.TileBuffer, -postgis.TileBuffer},
		Max: orb.Point{postgis.TileExtent + postgis.TileBuffer, postgis.TileExtent + postgis.TileBuffer}})
	// MVT 2: an exterior ring has a positive area in tile coordinates
	// (clockwise with y down); drop rings that collapsed.
	at := 0
	for _, f := range layer.Features {
		poly, ok := f.Geometry.(orb.Polygon)
		if !ok || len(poly) == 0 || len(dedupRing(poly[0])) < 4 {
			continue
		}
		poly[0] = dedupRing(poly[0])
		if poly[0].Orientation() != orb.CCW {
			poly[0].Reverse()
		}
		f.Geometry = poly
		layer.Features[at] = f
		at++
	}
	layer.Features = layer.Features[:at]
	if at == 0 {
		return nil, nil
	}
	return mvt.Marshal(mvt.Layers{layer})
}

// dedupRing drops consecutive repeated points (quantisation makes them).
func dedupRing(r orb.Ring) orb.Ring {
	out := r[:0:0]
	for i, p := range r {
		if i > 0 && p == r[i-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// operatorScope is the operators whose sectors and fiber a user sees (nil:
// all). An operator user sees its own network only; VNPT and VinaPhone are
// one operator.
func operatorScope(u *data.User) []string {
	if u == nil || u.Role != data.RoleOperator {
		return nil
	}
	op := strings.ToLower(strings.TrimSpace(u.Operator))
	switch op {
	case "vnpt", "vinaphone", "vnpt-vinaphone", "vnptvinaphone":
		return []string{"vinaphone", "vnpt"}
	}
	return []string{op}
}

// tileParams reads layer, z, x, y of a tile URL.
func tileParams(r *http.Request) (layer string, z, x, y int, err error) {
	layer = chi.URLParam(r, "layer")
	if !isTileLayer(layer) {
		return "", 0, 0, 0, errNotFound(fmt.Sprintf("no tile layer %q: use one of cells, gaps, schools, sectors, fiber, areas", layer))
	}
	z, errZ := strconv.Atoi(chi.URLParam(r, "z"))
	x, errX := strconv.Atoi(chi.URLParam(r, "x"))
	y, errY := strconv.Atoi(chi.URLParam(r, "y"))
	if errZ != nil || errX != nil || errY != nil || z < tileMinZoom || z > tileTopZoom ||
		x < 0 || y < 0 || x >= 1<<z || y >= 1<<z {
		return "", 0, 0, 0, errBadRequest(fmt.Sprintf("tile %s/%s/%s does not exist: z is 0–%d and x, y are 0 … 2^z−1",
			chi.URLParam(r, "z"), chi.URLParam(r, "x"), chi.URLParam(r, "y"), tileTopZoom), errors.Join(errZ, errX, errY))
	}
	return layer, z, x, y, nil
}

// tileRun reads ?run=N, or takes the latest run; pinned tells whether the
// URL named the run (its tiles are then immutable).
func (s *Server) tileRun(r *http.Request) (run int64, pinned bool, err error) {
	if v := r.URL.Query().Get("run"); v != "" {
		run, err := strconv.ParseInt(v, 10, 64)
		if err != nil || run <= 0 {
			return 0, false, errBadRequest("run must be a coverage run id (a positive integer)", err)
		}
		ok, err := s.tiles.runExists(r.Context(), run)
		if err != nil {
			return 0, false, err
		}
		if !ok {
			return 0, false, errNotFound(fmt.Sprintf("coverage run %d does not exist", run))
		}
		return run, true, nil
	}
	run, err = s.deps.Store.LatestCoverageRunID(r.Context())
	if errors.Is(err, data.ErrNotFound) {
		return 0, false, errNotFound("there is no coverage run yet: start one first")
	}
	return run, false, err
}

// tile serves GET /tiles/{layer}/{z}/{x}/{y}.mvt.
func (s *Server) tile(w http.ResponseWriter, r *http.Request) error {
	layer, z, x, y, err := tileParams(r)
	if err != nil {
		return err
	}
	var t *encodedTile
	cacheControl := "private, no-cache"
	if runTileLayer(layer) {
		run, pinned, err := s.tileRun(r)
		if err != nil {
			return err
		}
		if pinned {
			cacheControl = "private, max-age=86400, immutable"
		}
		if t, err = s.tiles.cached(r.Context(), tileKey{run: run, layer: layer, z: z, x: x, y: y}); err != nil {
			return err
		}
	} else {
		raw, err := s.tiles.build(r.Context(), layer, 0, z, x, y, operatorScope(principal(r.Context())))
		if err != nil {
			return err
		}
		if t, err = encodeTile(raw); err != nil {
			return err
		}
	}
	serveTile(w, r, t, cacheControl)
	return nil
}

// cached returns a tile of a run from the cache, building it on a miss
// (once for every request of the same tile meanwhile).
func (ts *tileService) cached(ctx context.Context, key tileKey) (*encodedTile, error) {
	if t, ok := ts.cache.get(key); ok {
		return t, nil
	}
	v, err, _ := ts.group.Do(fmt.Sprintf("%d/%s/%d/%d/%d", key.run, key.layer, key.z, key.x, key.y), func() (any, error) {
		// Shared by every request of the same tile meanwhile: not
		// cancelled with the first one, but bounded in time.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tileBuildTimeout)
		defer cancel()
		raw, err := ts.build(ctx, key.layer, key.run, key.z, key.x, key.y, nil)
		if err != nil {
			return nil, err
		}
		t, err := encodeTile(raw)
		if err != nil {
			return nil, err
		}
		ts.cache.put(key, t)
		return t, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*encodedTile), nil
}

// warmBudget bounds the tiles one warm-up renders; it also stops when the
// cache is half full.
const warmBudget = 50_000

// warm renders the hex tiles of a run into the cache, lowest zoom first,
// from z0 to the TileJSON maxzoom: every tile that holds a cell of the
// zoom's resolution. It returns the number of tiles it built or found.
func (ts *tileService) warm(ctx context.Context, h *hexRun) (int, error) {
	n := 0
	for z := tileMinZoom; z <= tileMaxZoom; z++ {
		tr := h.trees[hexResForZoom(z)]
		if tr == nil {
			continue
		}
		seen := map[maptile.Tile]bool{}
		var tiles []maptile.Tile
		tr.Scan(func(lo, hi [2]float64, _ int32) bool {
			a := maptile.At(orb.Point{lo[0], hi[1]}, maptile.Zoom(z)) // north-west
			b := maptile.At(orb.Point{hi[0], lo[1]}, maptile.Zoom(z)) // south-east
			for x := a.X; x <= b.X; x++ {
				for y := a.Y; y <= b.Y; y++ {
					t := maptile.New(x, y, maptile.Zoom(z))
					if !seen[t] {
						seen[t] = true
						tiles = append(tiles, t)
					}
				}
			}
			return true
		})
		slices.SortFunc(tiles, func(a, b maptile.Tile) int { return cmp.Or(cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y)) })
		for _, t := range tiles {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			if n >= warmBudget || ts.cache.bytes() > ts.cache.max/2 {
				return n, nil
			}
			if _, err := ts.cached(ctx, tileKey{run: h.run, layer: tileLayerCells, z: z, x: int(t.X), y: int(t.Y)}); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// WarmTiles renders the hex tiles of a coverage run (0: the latest) from
// z0 to z14 into the tile cache, so that the first users of the run's map
// do not wait for them; it returns the number of tiles. The service also
// does this by itself, in the background, the first time a run's cells
// are loaded.
func (s *Server) WarmTiles(ctx context.Context, run int64) (int, error) {
	if run == 0 {
		id, err := s.deps.Store.LatestCoverageRunID(ctx)
		if err != nil {
			return 0, err
		}
		run = id
	}
	h, err := s.tiles.hexRunOf(ctx, run)
	if err != nil {
		return 0, err
	}
	return s.tiles.warm(ctx, h)
}

// build makes one tile (nil when empty).
func (ts *tileService) build(ctx context.Context, layer string, run int64, z, x, y int, operators []string) ([]byte, error) {
	if layer == tileLayerCells {
		h, err := ts.hexRunOf(ctx, run)
		if err != nil {
			return nil, err
		}
		return hexTile(h, z, x, y, ts.privacyK)
	}
	return ts.store.LayerTile(ctx, postgis.TileQuery{Layer: postgis.TileLayer(layer), Run: run, Z: z, X: x, Y: y,
		PrivacyK: ts.privacyK, Operators: operators, DefaultRangeM: ts.ranges})
}

// serveTile writes a tile: 204 when empty; gzip when the client takes it;
// a strong ETag per encoding and 304 when the client has it.
func serveTile(w http.ResponseWriter, r *http.Request, t *encodedTile, cacheControl string) {
	h := w.Header()
	h.Set("Cache-Control", cacheControl)
	h.Set("Vary", "Accept-Encoding")
	if len(t.raw) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, etag := t.raw, t.etagRaw
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	if gz {
		body, etag = t.gz, t.etagGz
	}
	h.Set("ETag", etag)
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip tells whether an Accept-Encoding header takes gzip.
func acceptsGzip(ae string) bool {
	for part := range strings.SplitSeq(ae, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			return false
		}
		return true
	}
	return false
}

// etagMatch applies If-None-Match (weak comparison, as RFC 9110 says).
func etagMatch(inm, etag string) bool {
	if inm == "" {
		return false
	}
	for part := range strings.SplitSeq(inm, ",") {
		p := strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if p == "*" || p == etag {
			return true
		}
	}
	return false
}

// tileJSONLayer is one vector layer of a TileJSON.
type tileJSONLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	Fields      map[string]string `json:"fields"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
}

// tileJSON serves GET /tiles/{layer}.json (TileJSON 3.0.0).
func (s *Server) tileJSON(w http.ResponseWriter, r *http.Request) error {
	name := chi.URLParam(r, "layer")
	info, ok := tileLayerInfo(name)
	if !ok {
		return errNotFound(fmt.Sprintf("no tile layer %q: use one of cells, gaps, schools, sectors, fiber, areas", name))
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	url := scheme + "://" + r.Host + "/tiles/" + name + "/{z}/{x}/{y}.mvt"
	out := map[string]any{
		"tilejson": "3.0.0", "name": "gapmap " + name, "description": info.description,
		"scheme": "xyz", "minzoom": tileMinZoom, "maxzoom": tileMaxZoom,
		"attribution": "gapmap",
	}
	if info.run {
		run, _, err := s.tileRun(r)
		if err != nil {
			return err
		}
		url += "?run=" + strconv.FormatInt(run, 10)
		if name == tileLayerCells { // one 4G share per operator of the run
			cr, err := s.deps.Store.CoverageRun(r.Context(), run)
			if err != nil {
				return err
			}
			for _, op := range cr.Operators {
				info.layers[0].Fields["share_4g_"+op] = "Number"
			}
			out["operators"] = nonNilStrings(cr.Operators)
		}
		out["run"] = run
		out["version"] = "run-" + strconv.FormatInt(run, 10)
	}
	out["tiles"] = []string{url}
	layers := slices.Clone(info.layers)
	for i := range layers {
		layers[i].Description, layers[i].MinZoom, layers[i].MaxZoom = info.description, tileMinZoom, tileMaxZoom
	}
	out["vector_layers"] = layers
	if b, ok, err := s.tiles.areasBounds(r.Context()); err != nil {
		return err
	} else if ok {
		out["bounds"] = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
		c := b.Center()
		out["center"] = []float64{c[0], c[1], 9}
	}
	w.Header().Set("Cache-Control", "private, no-cache")
	writeJSON(w, http.StatusOK, out)
	return nil
}
