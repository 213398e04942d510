package gen

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
)

// school is a planned school; Students is counted while pupils are written.
type school struct {
	data.School
	group *group
}

// planSchools places schools by level: primary and lower secondary in every
// commune (more in large ones), upper secondary per district at the largest
// villages kept apart, a continuing-education centre (GDNN-GDTX) in every
// district town, vocational schools in the largest district towns and
// colleges in the provincial capital. Schools stand near village centres.
func planSchools(rg *region, seed int64, scale float64, samplers []*sampler) []*school {
	var out []*school
	add := func(g *group, c *commune, v *village, level, name string, sp *sampler, rr uint64, minM, maxM float64) int {
		r := newRand(seed, "school", c.code+"/"+level, rr)
		lat, lon := sp.offset(r, v.lat, v.lon, minM, maxM, true)
		out = append(out, &school{School: data.School{
			ID:       fmt.Sprintf("S%06d", len(out)+1),
			Name:     name,
			Level:    level,
			Lat:      lat,
			Lon:      lon,
			AreaCode: c.code,
		}, group: g})
		return len(out) - 1
	}
	provBase := baseName(rg.rootName)
	if provBase == "" && rg.capital != nil {
		provBase = baseName(rg.capital.group.name)
	}
	type cand struct {
		c *commune
		v int
	}
	// Groups by households, for vocational schools.
	bySize := slices.Clone(rg.groups)
	hhOf := func(g *group) int {
		t := 0
		for _, c := range g.communes {
			t += c.hh
		}
		return t
	}
	slices.SortStableFunc(bySize, func(a, b *group) int { return cmp.Compare(hhOf(b), hhOf(a)) })
	nVocGroups := max(1, int(math.Ceil(0.3*float64(len(rg.groups)))))
	vocTotal := max(1, int(math.Round(0.3*float64(len(rg.groups))*scale)))
	vocPer := map[string]int{}
	for k := 0; k < vocTotal; k++ {
		vocPer[bySize[k%nVocGroups].code]++
	}
	for _, g := range rg.groups {
		upperPupils := 0.0
		for _, c := range g.communes {
			if len(c.villages) == 0 {
				continue
			}
			sp := samplers[c.i]
			pupils := float64(c.hh) * c.params().meanKids()
			base := baseName(c.name)
			nPrim := max(1, int(math.Round(pupils*gradeShare(1, 5)/pupilsPerPrimary)))
			nLower := max(1, int(math.Round(pupils*gradeShare(6, 9)/pupilsPerLower)))
			upperPupils += pupils * gradeShare(10, 12)
			for k := 0; k < nPrim; k++ {
				v := &c.villages[k%len(c.villages)]
				extra := float64(k/len(c.villages)) * 300
				c.primary = append(c.primary, add(g, c, v, data.LevelPrimary, numbered("Trường Tiểu học "+base, k, nPrim), sp, uint64(k), 50+extra, 200+extra))
			}
			for k := 0; k < nLower; k++ {
				v := &c.villages[k%len(c.villages)]
				extra := float64(k/len(c.villages)) * 300
				c.lower = append(c.lower, add(g, c, v, data.LevelLower, numbered("Trường THCS "+base, k, nLower), sp, uint64(k), 100+extra, 300+extra))
			}
		}
		if upperPupils == 0 {
			continue
		}
		// Upper secondary: the largest villages of the district, at least
		// upperSpacingM apart when possible.
		var cands []cand
		for _, c := range g.communes {
			for vi := range c.villages {
				cands = append(cands, cand{c, vi})
			}
		}
		slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(b.c.villages[b.v].hh, a.c.villages[a.v].hh) })
		nUpper := max(1, int(math.Round(upperPupils*(1-gdtxUpperShare)/pupilsPerUpper)))
		var chosen []cand
		taken := map[cand]bool{}
		for _, minD := range []float64{upperSpacingM, upperSpacingM / 2, 0} {
			for _, cd := range cands {
				if len(chosen) >= nUpper {
					break
				}
				if taken[cd] {
					continue
				}
				v := &cd.c.villages[cd.v]
				ok := true
				for _, o := range chosen {
					w := &o.c.villages[o.v]
					if planarM(v.lat, v.lon, w.lat, w.lon) < minD {
						ok = false
						break
					}
				}
				if ok {
					chosen = append(chosen, cd)
					taken[cd] = true
				}
			}
		}
		for k := 0; len(chosen) < nUpper; k++ { // more schools than villages
			chosen = append(chosen, cands[k%len(cands)])
		}
		perCommune := map[string]int{}
		for _, cd := range chosen {
			perCommune[cd.c.code]++
		}
		seenCommune := map[string]int{}
		for k, cd := range chosen {
			name := "Trường THPT " + baseName(cd.c.name)
			if perCommune[cd.c.code] > 1 {
				seenCommune[cd.c.code]++
				name = fmt.Sprintf("%s số %d", name, seenCommune[cd.c.code])
			}
			add(g, cd.c, &cd.c.villages[cd.v], data.LevelUpper, name, samplers[cd.c.i], uint64(k), 150, 400)
		}
		// Continuing education and vocational schools in the district town.
		town := g.town
		if len(town.villages) == 0 {
			for _, c := range g.communes {
				if len(c.villages) > 0 {
					town = c
					break
				}
			}
		}
		dname := lowerTypeWord(g.name)
		nGDTX := max(1, int(math.Round(scale)))
		for k := 0; k < nGDTX; k++ {
			v := &town.villages[k%len(town.villages)]
			add(g, town, v, data.LevelGDNNGDTX, numbered("Trung tâm GDNN-GDTX "+dname, k, nGDTX), samplers[town.i], uint64(k), 200, 600)
		}
		nVoc := vocPer[g.code]
		for k := 0; k < nVoc; k++ {
			v := &town.villages[(k+1)%len(town.villages)]
			add(g, town, v, data.LevelVocational, numbered("Trường Trung cấp nghề "+baseName(g.name), k, nVoc), samplers[town.i], uint64(k), 300, 900)
		}
		if rg.capital != nil && rg.capital.group == g && len(rg.capital.villages) > 0 {
			capital := rg.capital
			kinds := []string{"Trường Cao đẳng Kỹ thuật Công nghiệp ", "Trường Cao đẳng Sư phạm ", "Trường Cao đẳng Y tế ", "Trường Cao đẳng Nông Lâm "}
			nCol := max(1, int(math.Round(2*scale)))
			for k := 0; k < nCol; k++ {
				name := kinds[k%len(kinds)] + provBase
				if k >= len(kinds) {
					name = fmt.Sprintf("%s cơ sở %d", name, k/len(kinds)+1)
				}
				v := &capital.villages[k%len(capital.villages)]
				add(g, capital, v, data.LevelCollege, name, samplers[capital.i], uint64(k), 400, 1200)
			}
		}
	}
	return out
}

// numbered appends "số k" when there are several schools of one name.
func numbered(name string, k, n int) string {
	if n <= 1 {
		return name
	}
	return fmt.Sprintf("%s số %d", name, k+1)
}

// lowerTypeWord writes a district name as inside a sentence: "Huyện Lục
// Ngạn" → "huyện Lục Ngạn".
func lowerTypeWord(s string) string {
	for _, p := range []string{"Thành phố ", "Thị xã ", "Huyện ", "Quận ", "Tỉnh "} {
		if strings.HasPrefix(s, p) {
			return strings.ToLower(p[:1]) + s[1:]
		}
	}
	return s
}

// planarM is the distance in metres in a local flat projection: fine for
// choosing the nearest of a few schools kilometres apart.
func planarM(lat1, lon1, lat2, lon2 float64) float64 {
	mLat, mLon := geo.LocalScale((lat1 + lat2) / 2)
	dx, dy := (lon2-lon1)*mLon, (lat2-lat1)*mLat
	return math.Hypot(dx, dy)
}

// assignSchools sets, for every village of c, the nearest school of each
// stage: primary and lower secondary in the commune, upper secondary and
// GDNN-GDTX in the district, vocational or college in the district or else
// the province.
func assignSchools(c *commune, schools []*school, byGroup map[*group]*groupSchools, post []int) {
	gs := byGroup[c.group]
	nearest := func(v *village, cands []int) int32 {
		best, bd := int32(-1), math.Inf(1)
		mLat, mLon := geo.LocalScale(v.lat)
		for _, i := range cands {
			s := schools[i]
			dx, dy := (s.Lon-v.lon)*mLon, (s.Lat-v.lat)*mLat
			if d := dx*dx + dy*dy; d < bd {
				best, bd = int32(i), d
			}
		}
		return best
	}
	for vi := range c.villages {
		v := &c.villages[vi]
		v.school[slotPrimary] = nearest(v, c.primary)
		v.school[slotLower] = nearest(v, c.lower)
		v.school[slotUpper] = nearest(v, gs.upper)
		if v.school[slotUpper] < 0 {
			v.school[slotUpper] = v.school[slotLower]
		}
		v.school[slotGDTX] = nearest(v, gs.gdtx)
		v.school[slotPost] = nearest(v, gs.post)
		if v.school[slotPost] < 0 {
			v.school[slotPost] = nearest(v, post)
		}
		if v.school[slotPost] < 0 {
			v.school[slotPost] = v.school[slotGDTX]
		}
		if v.school[slotPost] < 0 {
			v.school[slotPost] = v.school[slotUpper]
		}
	}
}

// groupSchools lists a district's schools by stage.
type groupSchools struct {
	upper, gdtx, post []int
}

func indexSchools(schools []*school) (map[*group]*groupSchools, []int) {
	by := map[*group]*groupSchools{}
	var post []int
	for i, s := range schools {
		gs := by[s.group]
		if gs == nil {
			gs = &groupSchools{}
			by[s.group] = gs
		}
		switch s.Level {
		case data.LevelUpper:
			gs.upper = append(gs.upper, i)
		case data.LevelGDNNGDTX:
			gs.gdtx = append(gs.gdtx, i)
		case data.LevelVocational, data.LevelCollege, data.LevelUniversity:
			gs.post = append(gs.post, i)
			post = append(post, i)
		}
	}
	return by, post
}
