package gen

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
	"github.com/paulmach/orb"
	"golang.org/x/text/unicode/norm"
)

// Environments of the coverage model.
const (
	envUrban    = "urban"
	envSuburban = "suburban"
	envRural    = "rural"
	envMountain = "mountain"
)

// Area levels written for raw input files.
const (
	levelProvince = "province"
	levelDistrict = "district"
	levelCommune  = "commune"
)

// loadAreaFile reads any area GeoJSON (Polygon/MultiPolygon features). A
// file in gapmap's normalised format (properties code, name, level,
// parent_code, …) is taken as it is; a raw file (commune/district/province
// names, census counts, maybe codes, like the GSO-joined or GADM-like files)
// gets stable codes and its parent levels built from the name properties.
func loadAreaFile(path string) ([]data.Area, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read areas: %w", err)
	}
	// Parsed with encoding/json: orb/geojson would pull in a MongoDB driver.
	var fc struct {
		Features []struct {
			Geometry *struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, fmt.Errorf("areas %s: not a GeoJSON FeatureCollection: %w", path, err)
	}
	if len(fc.Features) == 0 {
		return nil, fmt.Errorf("areas %s: no features", path)
	}
	feats := make([]feature, len(fc.Features))
	normalised := false
	for i, f := range fc.Features {
		ft := feature{n: i + 1, props: make(map[string]any, len(f.Properties))}
		for k, v := range f.Properties {
			ft.props[propKey(k)] = v
		}
		if f.Geometry != nil && f.Geometry.Type != "" {
			var mp orb.MultiPolygon
			switch f.Geometry.Type {
			case "Polygon":
				var c [][][]float64
				if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
					return nil, fmt.Errorf("areas %s: feature %d: bad Polygon: %w", path, i+1, err)
				}
				mp = orb.MultiPolygon{toPolygon(c)}
			case "MultiPolygon":
				var c [][][][]float64
				if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
					return nil, fmt.Errorf("areas %s: feature %d: bad MultiPolygon: %w", path, i+1, err)
				}
				for _, p := range c {
					mp = append(mp, toPolygon(p))
				}
			default:
				return nil, fmt.Errorf("areas %s: feature %d: geometry %s: areas must be Polygon or MultiPolygon", path, i+1, f.Geometry.Type)
			}
			ft.geom = cleanGeom(mp)
		}
		if _, ok := ft.props["level"]; ok {
			normalised = true
		}
		if _, ok := ft.props["parentcode"]; ok {
			normalised = true
		}
		feats[i] = ft
	}
	if normalised {
		return normalisedAreas(path, feats)
	}
	return rawAreas(path, feats)
}

func toPolygon(c [][][]float64) orb.Polygon {
	p := make(orb.Polygon, 0, len(c))
	for _, r := range c {
		ring := make(orb.Ring, 0, len(r))
		for _, pt := range r {
			if len(pt) >= 2 {
				ring = append(ring, orb.Point{pt[0], pt[1]})
			}
		}
		p = append(p, ring)
	}
	return p
}

type feature struct {
	n     int // 1-based feature number
	props map[string]any
	geom  orb.MultiPolygon
}

// propKey folds a property name to ASCII letters and digits, so
// "gso_code_2025", "GSO Code 2025", "Mã xã" and "ma_xa" match their
// folded forms.
func propKey(k string) string { return strings.ReplaceAll(slug(k), "-", "") }

// str returns the first non-empty property among keys, as text (numbers
// without a fraction print as integers).
func (f *feature) str(keys ...string) string {
	for _, k := range keys {
		v, ok := f.props[k]
		if !ok || v == nil {
			continue
		}
		var s string
		switch x := v.(type) {
		case string:
			s = strings.TrimSpace(x)
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1e15 {
				s = strconv.FormatInt(int64(x), 10)
			} else {
				s = strconv.FormatFloat(x, 'f', -1, 64)
			}
		case bool:
			s = strconv.FormatBool(x)
		}
		if s != "" {
			return s
		}
	}
	return ""
}

// num returns the first numeric property among keys (0 when none).
func (f *feature) num(keys ...string) float64 {
	for _, k := range keys {
		switch x := f.props[k].(type) {
		case float64:
			if x > 0 && !math.IsInf(x, 0) {
				return x
			}
		case string:
			if v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(x), ",", ""), 64); err == nil && v > 0 {
				return v
			}
		}
	}
	return 0
}

// propNames are the property names understood in raw files (folded with
// propKey).
type propNames struct {
	commune, district, province, code, districtCode, provinceCode, population, households, environment []string
}

func rawPropNames() propNames {
	return propNames{
		commune:      []string{"commune", "communename", "tenxa", "xa", "phuongxa", "ward", "wardname", "name3", "name", "ten"},
		district:     []string{"district", "districtname", "quan", "huyen", "quanhuyen", "tenhuyen", "name2"},
		province:     []string{"province", "provincename", "tinh", "tentinh", "name1"},
		code:         []string{"code", "ma", "maxa", "madvhc", "gsocode2025", "gsocode", "communecode", "wardcode", "level3id"},
		districtCode: []string{"districtcode", "mahuyen", "level2id"},
		provinceCode: []string{"provincecode", "matinh", "level1id"},
		population:   []string{"pop2019", "population", "danso", "pop"},
		households:   []string{"households2019", "households", "soho", "hh"},
		environment:  []string{"environment", "env"},
	}
}

func normalisedAreas(path string, feats []feature) ([]data.Area, error) {
	areas := make([]data.Area, 0, len(feats))
	seen := make(map[string]int, len(feats))
	for _, f := range feats {
		a := data.Area{
			Code:        f.str("code"),
			Name:        f.str("name"),
			Level:       f.str("level"),
			ParentCode:  f.str("parentcode"),
			Population:  int(f.num("population")),
			Households:  int(f.num("households")),
			Environment: validEnv(f.str("environment")),
			Geom:        f.geom,
		}
		if a.Code == "" {
			return nil, fmt.Errorf("areas %s: feature %d has no code", path, f.n)
		}
		if n, dup := seen[a.Code]; dup {
			return nil, fmt.Errorf("areas %s: feature %d repeats code %q of feature %d", path, f.n, a.Code, n)
		}
		seen[a.Code] = f.n
		if a.Name == "" {
			a.Name = a.Code
		}
		if a.Level == "" {
			a.Level = "area"
		}
		areas = append(areas, a)
	}
	return areas, nil
}

func validEnv(s string) string {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case envUrban, envSuburban, envRural, envMountain:
		return s
	}
	return ""
}

// rawAreas derives codes and parent levels for a raw file: a code property
// when present and unique, else a slug of the names (short form without the
// type word "Xã", "Huyện"…, the full form, the parent-prefixed form and a
// number, whichever is first free, in feature order).
func rawAreas(path string, feats []feature) ([]data.Area, error) {
	k := rawPropNames()
	used := map[string]bool{}
	claim := func(cands ...string) string {
		for _, c := range cands {
			if c != "" && !used[c] {
				used[c] = true
				return c
			}
		}
		base := cands[len(cands)-1]
		for k := 2; ; k++ {
			c := base + "-" + strconv.Itoa(k)
			if !used[c] {
				used[c] = true
				return c
			}
		}
	}
	// Commune code properties are used only where they are unique.
	codeCount := map[string]int{}
	for i := range feats {
		if c := feats[i].str(k.code...); c != "" {
			codeCount[c]++
		}
	}
	type parent struct {
		area     data.Area
		children []int // indexes into areas
	}
	var provinces, districts []*parent
	provByKey := map[string]*parent{}
	distByKey := map[string]*parent{}
	var leaves []data.Area
	leafParent := []*parent{}
	// Reserve the commune codes given in the file first so a slug never
	// takes one.
	for c, n := range codeCount {
		if n == 1 {
			used[c] = true
		}
	}
	for i := range feats {
		f := &feats[i]
		if len(f.geom) == 0 {
			continue // a raw file's feature without geometry carries nothing
		}
		provName := f.str(k.province...)
		var prov *parent
		if provName != "" || f.str(k.provinceCode...) != "" {
			key := provName + "\x00" + f.str(k.provinceCode...)
			prov = provByKey[key]
			if prov == nil {
				if provName == "" {
					provName = f.str(k.provinceCode...)
				}
				code := f.str(k.provinceCode...)
				if code != "" && used[code] {
					code = ""
				}
				prov = &parent{area: data.Area{
					Code:  claim(code, shortSlug(provName), slug(provName)),
					Name:  provName,
					Level: levelProvince,
				}}
				provByKey[key] = prov
				provinces = append(provinces, prov)
			}
		}
		distName := f.str(k.district...)
		var dist *parent
		if distName != "" || f.str(k.districtCode...) != "" {
			pk := ""
			if prov != nil {
				pk = prov.area.Code
			}
			key := pk + "\x00" + distName + "\x00" + f.str(k.districtCode...)
			dist = distByKey[key]
			if dist == nil {
				if distName == "" {
					distName = f.str(k.districtCode...)
				}
				code := f.str(k.districtCode...)
				if code != "" && used[code] {
					code = ""
				}
				prefixed := slug(distName)
				if pk != "" {
					prefixed = pk + "." + prefixed
				}
				dist = &parent{area: data.Area{
					Code:       claim(code, shortSlug(distName), slug(distName), prefixed),
					Name:       distName,
					Level:      levelDistrict,
					ParentCode: pk,
				}}
				distByKey[key] = dist
				districts = append(districts, dist)
			}
		}
		up := dist
		if up == nil {
			up = prov
		}
		name := f.str(k.commune...)
		code := f.str(k.code...)
		if name == "" {
			name = code
		}
		if name == "" {
			name = "Khu vực " + strconv.Itoa(f.n)
		}
		if codeCount[code] != 1 {
			code = ""
		}
		if code == "" {
			pc := ""
			if up != nil {
				pc = up.area.Code + "."
			}
			code = claim(pc+shortSlug(name), pc+slug(name))
		}
		leaf := data.Area{
			Code:        code,
			Name:        name,
			Level:       levelCommune,
			Population:  int(math.Round(f.num(k.population...))),
			Households:  int(math.Round(f.num(k.households...))),
			Environment: validEnv(f.str(k.environment...)),
			Geom:        f.geom,
		}
		if up != nil {
			leaf.ParentCode = up.area.Code
		}
		leaves = append(leaves, leaf)
		leafParent = append(leafParent, up)
	}
	if len(leaves) == 0 {
		return nil, fmt.Errorf("areas %s: no feature has a polygon", path)
	}
	out := make([]data.Area, 0, len(provinces)+len(districts)+len(leaves))
	for _, p := range provinces {
		out = append(out, p.area)
	}
	for _, d := range districts {
		out = append(out, d.area)
	}
	return append(out, leaves...), nil
}

// slug is an ASCII code made from a Vietnamese name: "Xã Biển Động" →
// "xa-bien-dong".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			r = 'd'
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	return b.String()
}

// shortSlug is slug without the leading type word ("bien-dong").
func shortSlug(s string) string {
	// The administrative type words, as slug writes them.
	typeWords := []string{"thanh pho ", "thi xa ", "thi tran ", "tinh ", "huyen ", "quan ", "phuong ", "xa ", "tp ", "tx ", "tt "}
	full := strings.ReplaceAll(slug(s), "-", " ") + " "
	for _, w := range typeWords {
		if strings.HasPrefix(full, w) && len(full) > len(w)+1 {
			return slug(full[len(w):])
		}
	}
	return ""
}

// baseName drops the type word of a Vietnamese area name: "Huyện Lục Ngạn"
// → "Lục Ngạn".
func baseName(s string) string {
	for _, p := range []string{"Thành phố ", "Thị xã ", "Thị trấn ", "Tỉnh ", "Huyện ", "Quận ", "Phường ", "Xã ", "TP. ", "TX. ", "TT. "} {
		if len(s) > len(p) && strings.EqualFold(s[:len(p)], p) {
			return strings.TrimSpace(s[len(p):])
		}
	}
	return s
}

// cleanGeom rounds coordinates to 6 decimals, drops repeated points and
// degenerate rings, and closes rings.
func cleanGeom(mp orb.MultiPolygon) orb.MultiPolygon {
	out := make(orb.MultiPolygon, 0, len(mp))
	for _, p := range mp {
		var np orb.Polygon
		for ri, r := range p {
			nr := make(orb.Ring, 0, len(r)+1)
			for _, pt := range r {
				q := orb.Point{round6(pt[0]), round6(pt[1])}
				if len(nr) > 0 && nr[len(nr)-1] == q {
					continue
				}
				nr = append(nr, q)
			}
			if len(nr) > 0 && nr[0] != nr[len(nr)-1] {
				nr = append(nr, nr[0])
			}
			if len(nr) < 4 {
				if ri == 0 {
					break // no outer ring: drop the polygon
				}
				continue
			}
			np = append(np, nr)
		}
		if len(np) > 0 {
			out = append(out, np)
		}
	}
	return out
}

// areaKM2 is the ellipsoidal area of a lon/lat MultiPolygon in km²: the
// shoelace formula in the Lambert cylindrical equal-area projection of the
// WGS84 ellipsoid (x = aλ, y = a·q(φ)/2), which preserves area exactly; only
// the edges differ slightly from geodesics, which is negligible at commune
// scale.
func areaKM2(mp orb.MultiPolygon) float64 {
	total := 0.0
	for _, p := range mp {
		for i, r := range p {
			a := math.Abs(ringEqualArea(r))
			if i == 0 {
				total += a
			} else {
				total -= a
			}
		}
	}
	return math.Max(total, 0) / 1e6
}

const (
	wgs84A  = 6378137.0
	wgs84F  = 1 / 298.257223563
	wgs84E2 = wgs84F * (2 - wgs84F)
)

func authalicQ(latDeg float64) float64 {
	e := math.Sqrt(wgs84E2)
	s := math.Sin(latDeg * math.Pi / 180)
	return (1 - wgs84E2) * (s/(1-wgs84E2*s*s) - 1/(2*e)*math.Log((1-e*s)/(1+e*s)))
}

func ringEqualArea(r orb.Ring) float64 {
	if len(r) < 4 {
		return 0
	}
	x0, y0 := r[0][0]*math.Pi/180*wgs84A, wgs84A*authalicQ(r[0][1])/2
	sum := 0.0
	px, py := 0.0, 0.0
	for i := 1; i < len(r); i++ {
		x := r[i][0]*math.Pi/180*wgs84A - x0
		y := wgs84A*authalicQ(r[i][1])/2 - y0
		sum += px*y - x*py
		px, py = x, y
	}
	return sum / 2
}

// region is the generator's view of the area tree.
type region struct {
	areas    []data.Area // output order: by depth, then code
	communes []*commune  // leaves, in processing (output) order
	groups   []*group    // school and fiber districts
	index    *geo.AreaIndex
	rootName string // the single root's name, "" when several
	capital  *commune
	// derivedGeom marks parents whose polygons were made here from their
	// children's (overlapping parts, not a valid boundary): they are written
	// without a geometry and the importer derives the union.
	derivedGeom map[string]bool
	// dropped maps the intermediate areas (districts) left out of the
	// two-tier output to their root (province); nil: three tiers.
	dropped map[string]string
}

// twoTier makes the output two-tier (see Options.LegacyDistricts): every
// area that is neither a root nor a leaf is dropped and the leaves below
// it are reparented to the root, valid from ReformDate.
func (r *region) twoTier() {
	parent := make(map[string]string, len(r.areas))
	for _, a := range r.areas {
		parent[a.Code] = a.ParentCode
	}
	leaf := make(map[string]bool, len(r.communes))
	for _, c := range r.communes {
		leaf[c.code] = true
	}
	for _, a := range r.areas {
		if a.ParentCode == "" || leaf[a.Code] {
			continue
		}
		root := a.Code
		for i := 0; parent[root] != "" && i < 256; i++ {
			root = parent[root]
		}
		if r.dropped == nil {
			r.dropped = map[string]string{}
		}
		r.dropped[a.Code] = root
	}
}

// outCode is the code written for an area reference: a dropped district's
// root, else code.
func (r *region) outCode(code string) string {
	if root, ok := r.dropped[code]; ok {
		return root
	}
	return code
}

// group is a district: the parent of leaves, or a root leaf on its own.
type group struct {
	code, name string
	communes   []*commune
	town       *commune // the district town (densest commune)
}

// buildRegion orders the tree, computes areas and environments, and
// apportions the households of every leaf (census × scale with cumulative
// rounding, so the total is exact).
func buildRegion(in []data.Area, seed int64, scale float64) (*region, error) {
	byCode := make(map[string]int, len(in))
	for i := range in {
		if _, dup := byCode[in[i].Code]; dup {
			return nil, fmt.Errorf("areas: code %q appears twice", in[i].Code)
		}
		byCode[in[i].Code] = i
	}
	children := make(map[string][]int, len(in))
	for i := range in {
		if p := in[i].ParentCode; p != "" {
			if _, ok := byCode[p]; !ok {
				return nil, fmt.Errorf("areas: %q names parent %q which is not in the file", in[i].Code, p)
			}
			children[p] = append(children[p], i)
		}
	}
	path := make([]string, len(in))
	depth := make([]int, len(in))
	for i := range in {
		var parts []string
		seen := map[string]bool{}
		for c := in[i].Code; c != "" && !seen[c]; c = in[byCode[c]].ParentCode {
			seen[c] = true
			parts = append(parts, c)
		}
		slices.Reverse(parts)
		path[i] = strings.Join(parts, "\x00")
		depth[i] = len(parts) - 1
	}
	// Parents without a geometry get their children's polygons, deepest
	// first so grandparents see them.
	order := make([]int, len(in))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(depth[b], depth[a]); c != 0 {
			return c
		}
		return cmp.Compare(in[a].Code, in[b].Code)
	})
	areas := slices.Clone(in)
	r0derived := make(map[string]bool)
	for _, i := range order {
		if len(areas[i].Geom) > 0 || len(children[areas[i].Code]) == 0 {
			continue
		}
		r0derived[areas[i].Code] = true
		kids := slices.Clone(children[areas[i].Code])
		slices.SortFunc(kids, func(a, b int) int { return cmp.Compare(areas[a].Code, areas[b].Code) })
		for _, k := range kids {
			areas[i].Geom = append(areas[i].Geom, areas[k].Geom...)
		}
	}

	r := &region{}
	var leafIdx []int
	for i := range areas {
		if len(children[areas[i].Code]) == 0 {
			if len(areas[i].Geom) == 0 {
				return nil, fmt.Errorf("areas: %q (%s) has no polygon and no children", areas[i].Code, areas[i].Name)
			}
			leafIdx = append(leafIdx, i)
		}
	}
	slices.SortFunc(leafIdx, func(a, b int) int { return cmp.Compare(path[a], path[b]) })

	groupByCode := map[string]*group{}
	for _, i := range leafIdx {
		a := &areas[i]
		c := &commune{
			code:   a.Code,
			name:   a.Name,
			geom:   a.Geom,
			km2:    areaKM2(a.Geom),
			census: a.Households > 0,
			cenHH:  float64(a.Households),
			cenPop: float64(a.Population),
			env:    a.Environment,
		}
		gcode, gname := a.Code, a.Name
		if a.ParentCode != "" {
			gcode, gname = a.ParentCode, areas[byCode[a.ParentCode]].Name
		}
		g := groupByCode[gcode]
		if g == nil {
			g = &group{code: gcode, name: gname}
			groupByCode[gcode] = g
			r.groups = append(r.groups, g)
		}
		c.group = g
		g.communes = append(g.communes, c)
		c.i = len(r.communes)
		r.communes = append(r.communes, c)
	}
	for _, c := range r.communes {
		c.settle(seed)
	}
	// Households and population × scale with cumulative rounding.
	var cumHH, cumPop float64
	var prevHH, prevPop int64
	for _, c := range r.communes {
		cumHH += c.cenHH
		cumPop += c.cenPop
		nh, np := int64(math.Round(cumHH*scale)), int64(math.Round(cumPop*scale))
		c.hh, c.pop = int(nh-prevHH), int(np-prevPop)
		prevHH, prevPop = nh, np
	}
	for _, g := range r.groups {
		g.town = densest(g.communes)
	}
	r.capital = densest(r.communes)

	// Counts and environments back into the areas, parents as sums.
	leafOf := make(map[string]*commune, len(r.communes))
	for _, c := range r.communes {
		leafOf[c.code] = c
	}
	for _, i := range order { // deepest first
		a := &areas[i]
		if c := leafOf[a.Code]; c != nil {
			a.Households, a.Population, a.Environment = c.hh, c.pop, c.env
			if c.env == envMountain && len(a.PriorityTags) == 0 {
				// A mountainous commune is a priority area (miền núi) of
				// the allocation (issue 11).
				a.PriorityTags = []string{data.AreaTagMountain}
			}
			continue
		}
		a.Households, a.Population = 0, 0
		for _, k := range children[a.Code] {
			a.Households += areas[k].Households
			a.Population += areas[k].Population
		}
	}
	slices.SortStableFunc(areas, func(a, b data.Area) int {
		if c := cmp.Compare(depth[byCode[a.Code]], depth[byCode[b.Code]]); c != 0 {
			return c
		}
		return cmp.Compare(a.Code, b.Code)
	})
	r.areas = areas
	r.derivedGeom = r0derived
	var roots []string
	for i := range areas {
		if areas[i].ParentCode == "" && len(children[areas[i].Code]) > 0 {
			roots = append(roots, areas[i].Name)
		}
	}
	if len(roots) == 1 {
		r.rootName = roots[0]
	}
	day, err := commonDay(r.areas)
	if err != nil {
		return nil, err
	}
	r.index = geo.NewAreaIndex(r.areas, day)
	return r, nil
}

// commonDay returns a day on which every area is valid (the latest
// valid_from, else today): the generator works on one vintage of areas.
func commonDay(areas []data.Area) (time.Time, error) {
	day := data.VietnamDay(time.Now())
	var from, to *time.Time
	for i := range areas {
		if f := areas[i].ValidFrom; f != nil && (from == nil || f.After(*from)) {
			from = f
		}
		if t := areas[i].ValidTo; t != nil && (to == nil || t.Before(*to)) {
			to = t
		}
	}
	switch {
	case from != nil && to != nil && !to.After(*from):
		return day, fmt.Errorf("areas: no day on which every area is valid (one is valid from %s, another only until %s): give areas of one vintage",
			from.Format(time.DateOnly), to.Format(time.DateOnly))
	case from != nil:
		return data.Day(*from), nil
	case to != nil:
		return data.Day(to.AddDate(0, 0, -1)), nil
	}
	return day, nil
}

// densest is the commune with the highest census density (ties: code).
func densest(cs []*commune) *commune {
	var best *commune
	for _, c := range cs {
		if best == nil || c.density() > best.density() || (c.density() == best.density() && c.code < best.code) {
			best = c
		}
	}
	return best
}

// Typical households per km² by environment, for areas without census
// counts.
func defaultDensity(env string) float64 {
	switch env {
	case envUrban:
		return 3500
	case envSuburban:
		return 550
	case envRural:
		return 170
	default:
		return 30
	}
}

// envOfDensity classifies households per km².
func envOfDensity(d float64) string {
	switch {
	case d > 1000:
		return envUrban
	case d >= 300:
		return envSuburban
	case d >= 60:
		return envRural
	default:
		return envMountain
	}
}

// settle fixes the environment, the census-like counts when the file has
// none, and the poverty rates of the commune.
func (c *commune) settle(seed int64) {
	r := newRand(seed, "commune", c.code, 0)
	if !c.census {
		env := c.env
		if env == "" {
			env = envOfName(c.name, c.km2)
		}
		c.cenHH = math.Max(1, math.Round(defaultDensity(env)*c.km2*uniform(r, 0.75, 1.3)))
		if c.env == "" {
			c.env = env
		}
	}
	if c.env == "" {
		c.env = envOfDensity(c.density())
	}
	p := paramsOf(c.env)
	if c.cenPop <= 0 {
		c.cenPop = math.Round(c.cenHH * p.popPerHH * uniform(r, 0.95, 1.05))
	}
	c.poor = uniform(r, p.poor[0], p.poor[1])
	c.near = uniform(r, p.near[0], p.near[1])
}

func (c *commune) density() float64 {
	if c.km2 <= 0 {
		return math.Inf(1)
	}
	return c.cenHH / c.km2
}

// envOfName guesses an environment from the type word and the size of an
// area without census counts: wards are urban, townships suburban, large
// communes mountainous.
func envOfName(name string, km2 float64) string {
	s := slug(name)
	switch {
	case strings.HasPrefix(s, "phuong-") || strings.HasPrefix(s, "p-"):
		return envUrban
	case strings.HasPrefix(s, "thi-tran-") || strings.HasPrefix(s, "tt-"):
		return envSuburban
	case km2 > 50:
		return envMountain
	default:
		return envRural
	}
}

// outputAreas are the areas as written to areas.geojson: parents whose
// polygons were assembled from their children carry no geometry (the
// importer derives a valid union).
func (r *region) outputAreas() []data.Area {
	out := make([]data.Area, 0, len(r.areas))
	for _, a := range r.areas {
		if _, ok := r.dropped[a.Code]; ok {
			continue
		}
		if r.derivedGeom[a.Code] {
			a.Geom = nil
		}
		if root, ok := r.dropped[a.ParentCode]; ok {
			a.ParentCode = root
			if a.ValidFrom == nil {
				from := ReformDate()
				a.ValidFrom = &from
			}
		}
		out = append(out, a)
	}
	return out
}
