package format

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/paulmach/orb"
)

// GeoJSON is read with encoding/json into orb geometries, one feature at a
// time, so large boundary files are not held in memory twice. (orb/geojson
// is not used: it pulls in the MongoDB driver.)

// rawFeature is one GeoJSON feature before validation.
type rawFeature struct {
	Type       string          `json:"type"`
	ID         any             `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

type rawGeometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// featureCtx is the feature being validated, with its properties indexed
// by normalised key.
type featureCtx struct {
	file  string
	n     int
	bad   bool
	errs  *data.ValidationError
	props map[string]propVal // normKey → value
	id    any
}

type propVal struct {
	key string // as written
	val any
}

func (f *featureCtx) fail(column, value, reason string) {
	f.bad = true
	f.errs.Add(data.FieldError{File: f.file, Row: f.n, Column: column, Value: value, Reason: reason})
}

// prop returns the first of keys present with a non-empty value, the key as
// written and whether it was found. A value that is not text or a number is
// reported.
func (f *featureCtx) prop(keys ...string) (string, string, bool) {
	for _, k := range keys {
		p, ok := f.props[normKey(k)]
		if !ok {
			continue
		}
		s, ok := scalarText(p.val)
		if !ok {
			f.fail(p.key, "", p.key+" must be text or a number")
			return "", p.key, false
		}
		if s != "" {
			return s, p.key, true
		}
	}
	return "", "", false
}

// scalarText turns a JSON property into text: numbers as written (a whole
// number stored as 26734.0 gives "26734").
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return strings.TrimSpace(v), true
	case json.Number:
		s := v.String()
		if strings.ContainsAny(s, ".eE") {
			if f, err := v.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1e15 {
				return strconv.FormatInt(int64(f), 10), true
			}
		}
		return s, true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// readFeatures streams the features of a GeoJSON FeatureCollection (or a
// single Feature) to fn.
func readFeatures(ctx context.Context, ref fileRef, errs *data.ValidationError, fn func(f *featureCtx, raw *rawFeature) error) error {
	path := ref.path
	file := ref.name()
	fileErr := func(n int, reason string) error {
		errs.Add(data.FieldError{File: file, Row: n, Reason: reason})
		return errs
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".geojson", ".json":
	case ".csv", ".xlsx", ".xls":
		return fileErr(0, "this is a table but GeoJSON is expected here: export the layer as GeoJSON (.geojson), e.g. from QGIS")
	case ".shp", ".kml", ".gpkg":
		return fileErr(0, "convert this "+ext+" file to GeoJSON in WGS 84 (EPSG:4326), e.g. with QGIS or ogr2ogr -f GeoJSON -t_srs EPSG:4326")
	default:
		return fileErr(0, fmt.Sprintf("unknown file type %q: use .geojson", ext))
	}
	fh, closeF, err := ref.open()
	if err != nil {
		return fileErr(0, err.Error())
	}
	defer closeF()
	br := bufio.NewReaderSize(fh, 1<<16)
	if b, _ := br.Peek(3); string(b) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
	}
	dec := json.NewDecoder(br)
	dec.UseNumber()
	n := 0
	syntaxErr := func(err error) error {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fileErr(max(n, 1), fmt.Sprintf("the file is not valid JSON near byte %d (%v): check it with a GeoJSON validator or export it again", dec.InputOffset(), err))
	}
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fileErr(1, "the file is empty: expected a GeoJSON FeatureCollection")
		}
		return syntaxErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fileErr(1, "expected a GeoJSON FeatureCollection (a JSON object)")
	}
	var top rawFeature // members of a single Feature at the top level
	topType, haveFeatures := "", false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxErr(err)
		}
		key, _ := tok.(string)
		switch key {
		case "features":
			haveFeatures = true
			tok, err := dec.Token()
			if err != nil {
				return syntaxErr(err)
			}
			if tok == nil {
				continue
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return fileErr(1, `"features" must be a list of features`)
			}
			for dec.More() {
				n++
				if n&63 == 0 {
					if err := ctx.Err(); err != nil {
						return fmt.Errorf("reading %s: %w", file, err)
					}
				}
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return syntaxErr(err)
				}
				if err := decodeFeature(file, n, raw, errs, fn); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return syntaxErr(err)
			}
		case "type":
			var v any
			if err := dec.Decode(&v); err != nil {
				return syntaxErr(err)
			}
			topType, _ = v.(string)
		case "geometry":
			if err := dec.Decode(&top.Geometry); err != nil {
				return syntaxErr(err)
			}
		case "properties":
			var v any
			if err := dec.Decode(&v); err != nil {
				return syntaxErr(err)
			}
			top.Properties, _ = v.(map[string]any)
		case "id":
			if err := dec.Decode(&top.ID); err != nil {
				return syntaxErr(err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return syntaxErr(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return syntaxErr(err)
	}
	switch {
	case topType == "Feature" && !haveFeatures:
		f := &featureCtx{file: file, n: 1, errs: errs, props: indexProps(top.Properties), id: top.ID}
		if err := fn(f, &top); err != nil {
			return err
		}
	case topType != "FeatureCollection" && !haveFeatures:
		return fileErr(1, fmt.Sprintf("expected a GeoJSON FeatureCollection, found type %q", topType))
	}
	return nil
}

func decodeFeature(file string, n int, raw json.RawMessage, errs *data.ValidationError, fn func(*featureCtx, *rawFeature) error) error {
	var rf rawFeature
	f := &featureCtx{file: file, n: n, errs: errs}
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&rf); err != nil {
		f.fail("", "", "not a GeoJSON Feature object: "+err.Error())
		return nil
	}
	if rf.Type != "Feature" {
		f.fail("type", rf.Type, `type must be "Feature"`)
		return nil
	}
	f.props, f.id = indexProps(rf.Properties), rf.ID
	return fn(f, &rf)
}

func indexProps(p map[string]any) map[string]propVal {
	m := make(map[string]propVal, len(p))
	for k, v := range p {
		nk := normKey(k)
		if old, ok := m[nk]; ok && old.val != nil && old.val != "" {
			continue
		}
		m[nk] = propVal{key: k, val: v}
	}
	return m
}

// geometry decodes the feature's geometry; nil when null or absent.
func (f *featureCtx) geometry(raw json.RawMessage) (orb.Geometry, bool) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return nil, true
	}
	var g rawGeometry
	if err := json.Unmarshal(raw, &g); err != nil {
		f.fail("geometry", "", "geometry is not a GeoJSON geometry object: "+err.Error())
		return nil, false
	}
	var v orb.Geometry
	var err error
	switch g.Type {
	case "Polygon":
		var p orb.Polygon
		err = json.Unmarshal(g.Coordinates, &p)
		v = p
	case "MultiPolygon":
		var p orb.MultiPolygon
		err = json.Unmarshal(g.Coordinates, &p)
		v = p
	case "LineString":
		var l orb.LineString
		err = json.Unmarshal(g.Coordinates, &l)
		v = l
	case "MultiLineString":
		var l orb.MultiLineString
		err = json.Unmarshal(g.Coordinates, &l)
		v = l
	case "Point", "MultiPoint", "GeometryCollection":
		return orb.Point{}, true // the caller rejects the type
	default:
		f.fail("geometry", g.Type, fmt.Sprintf("unknown geometry type %q", g.Type))
		return nil, false
	}
	if err != nil {
		f.fail("geometry", g.Type, "the coordinates of this "+g.Type+" cannot be read: "+err.Error())
		return nil, false
	}
	return v, true
}

// checkExtent reports the first point outside Vietnam.
func (f *featureCtx) checkExtent(pts []orb.Point) bool {
	for _, p := range pts {
		if p[0] < minLon || p[0] > maxLon || p[1] < minLat || p[1] > maxLat {
			hint := ""
			switch {
			case math.Abs(p[0]) > 1000 || math.Abs(p[1]) > 1000:
				hint = "; these look like projected metres (VN-2000?): reproject the layer to WGS 84 (EPSG:4326)"
			case p[1] >= minLon && p[1] <= maxLon && p[0] >= minLat && p[0] <= maxLat:
				hint = "; longitude and latitude look swapped (GeoJSON is [longitude, latitude])"
			}
			f.fail("geometry", fmt.Sprintf("[%s, %s]", fmtFloat(p[0]), fmtFloat(p[1])),
				"a point is outside Vietnam (longitude 102.0–118.0, latitude 6.0–23.5)"+hint)
			return false
		}
	}
	return true
}

// ReadAreas streams the areas of a GeoJSON FeatureCollection. Polygon and
// MultiPolygon geometries are stored as MultiPolygon (open rings are
// closed); a null geometry is allowed (the importer decides). Properties:
//
//	code         code, ma, ma_dvhc, gso_code, area_code, ma_xa / ma_huyen / ma_tinh,
//	             level3_id / level2_id / level1_id, gid_3 / gid_2 / gid_1 (required)
//	name         name, ten, ten_dvhc, then commune / district / province, name_3 … (required)
//	level        level, cap; default from the code's depth or from which of
//	             commune / district / province is present, else "area"
//	parent_code  parent_code, ma_cha, parent, parent_id; default the next
//	             coarser of ma_huyen / ma_tinh, level2_id / level1_id, gid_2 / gid_1
//	valid_from, valid_to (YYYY-MM-DD), population (pop2019, dan_so),
//	households (households2019, so_ho), environment (urban|suburban|rural|mountain)
func ReadAreas(ctx context.Context, path string, errs *data.ValidationError, fn func(feature int, a data.Area) error) error {
	return run(errs, func(errs *data.ValidationError) error {
		env := environmentEnum()
		seen := newDupSet()
		return readFeatures(ctx, fileRef{path: path}, errs, func(f *featureCtx, raw *rawFeature) error {
			a := parseArea(f, env, seen, raw)
			if f.bad {
				return nil
			}
			if err := fn(f.n, a); err != nil {
				return fmt.Errorf("%s feature %d: %w", f.file, f.n, err)
			}
			return nil
		})
	})
}

// depthKeys are properties that hold the code of an area at a known depth
// (3 commune, 2 district, 1 province), deepest first.
type depthKey struct {
	key   string
	depth int
}

func areaDepthKeys() []depthKey {
	return []depthKey{
		{"ma_xa", 3}, {"mã xã", 3}, {"level3_id", 3}, {"gid_3", 3},
		{"ma_huyen", 2}, {"mã huyện", 2}, {"level2_id", 2}, {"gid_2", 2},
		{"ma_tinh", 1}, {"mã tỉnh", 1}, {"level1_id", 1}, {"gid_1", 1},
	}
}

func depthLevel(d int) string {
	switch d {
	case 3:
		return "commune"
	case 2:
		return "district"
	case 1:
		return "province"
	}
	return "area"
}

func parseArea(f *featureCtx, env *enum, seen *dupSet, raw *rawFeature) data.Area {
	var a data.Area
	code, codeKey, ok := f.prop("code", "ma", "mã", "ma_dvhc", "mã đvhc", "mã đơn vị hành chính", "gso_code", "area_code")
	depth := 0
	if !ok {
		for _, d := range areaDepthKeys() {
			if code, codeKey, ok = f.prop(d.key); ok {
				depth = d.depth
				break
			}
		}
	}
	if !ok {
		if codeKey == "" {
			f.fail("code", "", `the feature has no code: add a "code" property (or ma_dvhc, gso_code, level3_id…) with the area's GSO code`)
		}
	} else if !validText(code) {
		f.fail(codeKey, code, "the code has invalid characters")
	} else {
		a.Code = code
	}
	if depth == 0 {
		for _, d := range areaDepthKeys() {
			if v, _, ok := f.prop(d.key); ok && v == code {
				depth = d.depth
				break
			}
		}
	}

	nameKeys := []string{"name", "ten", "tên", "ten_dvhc", "tên đvhc", "tên đơn vị hành chính"}
	byDepth := map[int][]string{3: {"commune", "ten_xa", "tên xã", "name_3"}, 2: {"district", "ten_huyen", "tên huyện", "name_2"}, 1: {"province", "ten_tinh", "tên tỉnh", "name_1"}}
	if depth > 0 {
		nameKeys = append(nameKeys, byDepth[depth]...)
	}
	nameKeys = append(append(append(nameKeys, byDepth[3]...), byDepth[2]...), byDepth[1]...)
	if name, key, ok := f.prop(nameKeys...); ok {
		if !validText(name) {
			f.fail(key, name, "the name has invalid characters")
		}
		a.Name = name
	} else if key == "" {
		f.fail("name", "", `the feature has no name: add a "name" (or "ten") property`)
	}

	if lv, _, ok := f.prop("level", "cap", "cấp", "cấp hành chính", "loai", "loại"); ok {
		a.Level = areaLevel(lv)
	} else {
		switch {
		case depth > 0:
			a.Level = depthLevel(depth)
		case f.has("commune"):
			a.Level = "commune"
		case f.has("district"):
			a.Level = "district"
		case f.has("province"):
			a.Level = "province"
		default:
			a.Level = "area"
		}
	}

	if p, key, ok := f.prop("parent_code", "ma_cha", "mã cha", "parent", "parent_id", "ma_dvhc_cha"); ok {
		if p == a.Code {
			f.fail(key, p, "parent_code is the area's own code")
		}
		a.ParentCode = p
	} else {
		for _, d := range areaDepthKeys() {
			if depth > 0 && d.depth >= depth {
				continue
			}
			if v, _, ok := f.prop(d.key); ok && v != a.Code {
				a.ParentCode = v
				break
			}
		}
	}

	a.ValidFrom = f.date("valid_from", "hieu_luc_tu", "hiệu lực từ")
	a.ValidTo = f.date("valid_to", "hieu_luc_den", "hiệu lực đến")
	if a.ValidFrom != nil && a.ValidTo != nil && !a.ValidTo.After(*a.ValidFrom) {
		f.fail("valid_to", a.ValidTo.Format(time.DateOnly), "valid_to must be after valid_from ("+a.ValidFrom.Format(time.DateOnly)+")")
	}
	// A code may come several times as dated versions (valid_from,
	// valid_to; the importer refuses overlapping ones); twice with the same
	// valid_from is a duplicate.
	if a.Code != "" {
		key := a.Code
		if a.ValidFrom != nil {
			key += "\x00" + a.ValidFrom.Format(time.DateOnly)
		}
		if first, dup := seen.add(key, f.n); dup {
			f.fail(codeKey, a.Code, fmt.Sprintf("duplicate code: first seen at feature %d (a code may appear again only as another dated version, with its own valid_from)", first))
		}
	}
	a.Population = f.count("population", "pop2019", "dan_so", "dân số", "danso")
	a.Households = f.count("households", "households2019", "so_ho", "số hộ")
	if e, key, ok := f.prop("environment", "moi_truong", "môi trường", "env", "khu vực"); ok {
		v, ok := env.lookup(e)
		if !ok {
			f.fail(key, e, env.reason(e))
		}
		a.Environment = v
	}

	a.PriorityTags = f.priorityTags()

	g, ok := f.geometry(raw.Geometry)
	if ok {
		switch g := g.(type) {
		case nil:
		case orb.Polygon:
			if p, ok := f.polygon(g); ok && len(p) > 0 {
				a.Geom = orb.MultiPolygon{p}
			}
		case orb.MultiPolygon:
			mp := make(orb.MultiPolygon, 0, len(g))
			for _, p := range g {
				p, ok := f.polygon(p)
				if !ok {
					break
				}
				if len(p) > 0 {
					mp = append(mp, p)
				}
			}
			if len(mp) > 0 {
				a.Geom = mp
			}
		default:
			f.fail("geometry", g.GeoJSONType(), "an area needs a Polygon or MultiPolygon geometry, not "+g.GeoJSONType())
		}
	}
	return a
}

// priorityTagKeys are the properties that hold an area's priority tags.
func priorityTagKeys() []string {
	return []string{"priority_tags", "uu_tien", "ưu tiên", "vùng ưu tiên", "khu vực ưu tiên", "loại vùng", "dien_uu_tien", "diện ưu tiên"}
}

// priorityTags reads the area's priority tags (data.AreaTag*): a text of
// tags separated by commas or semicolons, or an array of texts; Vietnamese
// names accepted ("miền núi", "bãi ngang, ven biển" is one tag: coastal,
// "phong tỏa"). Sorted in the fixed order, each once.
func (f *featureCtx) priorityTags() []string {
	var key string
	var val any
	for _, k := range priorityTagKeys() {
		if p, ok := f.props[normKey(k)]; ok {
			key, val = p.key, p.val
			break
		}
	}
	if key == "" || val == nil {
		return nil
	}
	var items []string
	switch v := val.(type) {
	case string:
		items = splitTags(v)
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				f.fail(key, "", key+" must be text or an array of texts")
				return nil
			}
			items = append(items, splitTags(s)...)
		}
	default:
		f.fail(key, "", key+" must be text (mountain, coastal, lockdown separated by commas) or an array of texts")
		return nil
	}
	tags := priorityTagEnum()
	var seen [3]bool
	for _, it := range items {
		v, ok := tags.lookup(it)
		if !ok {
			f.fail(key, it, tags.reason(it))
			continue
		}
		seen[slices.Index(data.AreaTags(), v)] = true
	}
	var out []string
	for i, t := range data.AreaTags() {
		if seen[i] {
			out = append(out, t)
		}
	}
	return out
}

// splitTags splits a tag list on commas and semicolons; "bãi ngang, ven
// biển" (the programme's name of coastal communes) stays one tag.
func splitTags(s string) []string {
	var out []string
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' })
	for i := 0; i < len(parts); i++ {
		p := strings.TrimSpace(parts[i])
		if i+1 < len(parts) && foldKey(normKey(p)) == "bai ngang" && foldKey(normKey(strings.TrimSpace(parts[i+1]))) == "ven bien" {
			p += ", " + strings.TrimSpace(parts[i+1])
			i++
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (f *featureCtx) has(key string) bool {
	_, ok := f.props[normKey(key)]
	return ok
}

// areaLevel maps Vietnamese level names to the English labels; other
// labels are kept, lower-cased.
func areaLevel(s string) string {
	if strayPunct(s) {
		return strings.ToLower(s) // "-xã" is not a commune
	}
	switch foldKey(normKey(s)) {
	case "xa", "phuong", "thi tran", "dac khu", "commune", "ward":
		return "commune"
	case "huyen", "quan", "thi xa", "district":
		return "district"
	case "tinh", "thanh pho truc thuoc trung uong", "province":
		return "province"
	}
	return strings.ToLower(s)
}

// polygon closes open rings and checks the extent; an empty polygon is
// returned as nil.
func (f *featureCtx) polygon(p orb.Polygon) (orb.Polygon, bool) {
	for i, ring := range p {
		if len(ring) > 0 && ring[0] != ring[len(ring)-1] {
			ring = append(ring, ring[0])
			p[i] = ring
		}
		if len(ring) < 4 {
			f.fail("geometry", "", fmt.Sprintf("ring %d of a polygon has %d points: a ring needs at least 3 different points", i+1, max(len(ring)-1, 0)))
			return nil, false
		}
		if !f.checkExtent(ring) {
			return nil, false
		}
	}
	return p, true
}

func (f *featureCtx) date(keys ...string) *time.Time {
	s, key, ok := f.prop(keys...)
	if !ok {
		return nil
	}
	d := s
	if len(d) > 10 && (d[10] == 'T' || d[10] == ' ') {
		d = d[:10]
	}
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		f.fail(key, s, key+" must be a date written YYYY-MM-DD, such as 2025-07-01")
		return nil
	}
	return &t
}

func (f *featureCtx) count(keys ...string) int {
	s, key, ok := f.prop(keys...)
	if !ok {
		return 0
	}
	n, ok := parseInt(s)
	if !ok || n < 0 || n > math.MaxInt32 {
		f.fail(key, s, key+" must be a whole number, 0 or more, written without separators")
		return 0
	}
	return n
}

// ReadFiberRoutes streams fiber routes from GeoJSON: LineString features,
// or MultiLineString features that give one route per part with id
// "<id>#<k>" (k from 1). Properties: route_id (or id, or the feature id)
// and operator (viettel, vinaphone, mobifone, vietnamobile, gmobile, fpt,
// vnpt, cmc, other).
func ReadFiberRoutes(ctx context.Context, path string, errs *data.ValidationError, fn func(feature int, r data.FiberRoute) error) error {
	return run(errs, func(errs *data.ValidationError) error {
		operator := fiberOperatorEnum()
		seen := newDupSet()
		return readFeatures(ctx, fileRef{path: path}, errs, func(f *featureCtx, raw *rawFeature) error {
			id, idKey, ok := f.prop("route_id", "id", "ma_tuyen", "mã tuyến", "code", "ma")
			if !ok && idKey == "" {
				if s, ok2 := scalarText(f.id); ok2 && s != "" {
					id, idKey, ok = s, "id", true
				} else {
					f.fail("route_id", "", `the feature has no route_id: add a "route_id" property`)
				}
			}
			if ok && !validText(id) {
				f.fail(idKey, id, "the route_id has invalid characters")
			}
			var op string
			if s, key, ok := f.prop("operator", "nha_mang", "nhà mạng", "owner", "don_vi", "đơn vị", "doanh nghiệp"); ok {
				v, ok := operator.lookup(s)
				if !ok {
					f.fail(key, s, operator.reason(s))
				}
				op = v
			} else if key == "" {
				f.fail("operator", "", `the feature has no operator: add an "operator" property`)
			}
			var lines []orb.LineString
			multi := false
			g, gok := f.geometry(raw.Geometry)
			if gok {
				switch g := g.(type) {
				case nil:
					f.fail("geometry", "", "the feature has no geometry: a fiber route needs a LineString")
				case orb.LineString:
					lines = []orb.LineString{g}
				case orb.MultiLineString:
					lines, multi = g, true
					if len(lines) == 0 {
						f.fail("geometry", "", "the MultiLineString has no lines")
					}
				default:
					f.fail("geometry", g.GeoJSONType(), "a fiber route needs a LineString or MultiLineString geometry, not "+g.GeoJSONType())
				}
			}
			for k, l := range lines {
				if len(l) < 2 {
					f.fail("geometry", "", fmt.Sprintf("line %d has %d point(s): a route needs at least 2", k+1, len(l)))
					break
				}
				if !f.checkExtent(l) {
					break
				}
			}
			routes := make([]data.FiberRoute, len(lines))
			for k, l := range lines {
				rid := id
				if multi {
					rid = id + "#" + strconv.Itoa(k+1)
				}
				routes[k] = data.FiberRoute{ID: rid, Operator: op, Line: l}
				if id != "" {
					if first, dup := seen.add(rid, f.n); dup {
						f.fail(idKey, rid, fmt.Sprintf("duplicate route_id %s: first seen at feature %d", rid, first))
					}
				}
			}
			if f.bad {
				return nil
			}
			for _, r := range routes {
				if err := fn(f.n, r); err != nil {
					return fmt.Errorf("%s feature %d: %w", f.file, f.n, err)
				}
			}
			return nil
		})
	})
}

// GeoJSON output.

type featureOut struct {
	Type       string   `json:"type"`
	Properties any      `json:"properties"`
	Geometry   *geomOut `json:"geometry"`
}

type geomOut struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

type areaProps struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	Level       string `json:"level"`
	ParentCode  string `json:"parent_code,omitempty"`
	ValidFrom   string `json:"valid_from,omitempty"`
	ValidTo     string `json:"valid_to,omitempty"`
	Population  int    `json:"population"`
	Households  int    `json:"households"`
	Environment string `json:"environment,omitempty"`
	// PriorityTags: comma-separated (mountain, coastal, lockdown).
	PriorityTags string `json:"priority_tags,omitempty"`
}

type routeProps struct {
	RouteID  string `json:"route_id"`
	Operator string `json:"operator"`
}

// writeFeatures writes a FeatureCollection, one feature a line.
func writeFeatures(w io.Writer, n int, feature func(i int) featureOut) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if _, err := bw.WriteString(`{"type":"FeatureCollection","features":[` + "\n"); err != nil {
		return err
	}
	for i := range n {
		if i > 0 {
			if err := bw.WriteByte(','); err != nil {
				return err
			}
		}
		if err := enc.Encode(feature(i)); err != nil {
			return err
		}
	}
	if _, err := bw.WriteString("]}\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteAreasGeoJSON writes areas as a GeoJSON FeatureCollection of
// MultiPolygon features (null geometry for an area without one), with the
// properties ReadAreas reads. Dates are written as YYYY-MM-DD.
func WriteAreasGeoJSON(w io.Writer, areas []data.Area) error {
	return writeFeatures(w, len(areas), func(i int) featureOut {
		a := areas[i]
		p := areaProps{Code: a.Code, Name: a.Name, Level: a.Level, ParentCode: a.ParentCode,
			Population: a.Population, Households: a.Households, Environment: a.Environment,
			PriorityTags: strings.Join(a.PriorityTags, ",")}
		if a.ValidFrom != nil {
			p.ValidFrom = a.ValidFrom.Format(time.DateOnly)
		}
		if a.ValidTo != nil {
			p.ValidTo = a.ValidTo.Format(time.DateOnly)
		}
		f := featureOut{Type: "Feature", Properties: p}
		if len(a.Geom) > 0 {
			f.Geometry = &geomOut{Type: "MultiPolygon", Coordinates: a.Geom}
		}
		return f
	})
}

// WriteFiberRoutesGeoJSON writes fiber routes as LineString features with
// route_id and operator properties.
func WriteFiberRoutesGeoJSON(w io.Writer, routes []data.FiberRoute) error {
	return writeFeatures(w, len(routes), func(i int) featureOut {
		r := routes[i]
		f := featureOut{Type: "Feature", Properties: routeProps{RouteID: r.ID, Operator: r.Operator}}
		if r.Line != nil {
			f.Geometry = &geomOut{Type: "LineString", Coordinates: r.Line}
		}
		return f
	})
}
