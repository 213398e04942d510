package gen

import "github.com/gapmap/gapmap/data"

// envParams are the assumptions per environment. They aim at Vietnam around
// 2021: multidimensional poverty rates from 2–4% in towns to 15–30% in the
// mountains (near-poor alike), 0.9 school-age children per household on
// average, device ownership rising with income and urbanity, one site per
// few hundred to a thousand households.
type envParams struct {
	popPerHH      float64
	villageMean   float64    // households per village (thôn, xóm, tổ dân phố)
	sigma         [2]float64 // scatter of homes around a village centre, metres (clamped)
	poor, near    [2]float64 // rate ranges per commune
	kids          [4]float64 // P(0..3 school-age children)
	device        [3]float64 // P(has device) for none, near-poor, poor households
	hhPerSite     float64    // households per site, all operators
	siteOffsetM   float64    // sites stand up to this far from the village centre
	has4G         float64    // share of sites with 4G
	sector3       float64    // share of 4G layers with three sectors (else omni)
	has3G, has2G  float64
	planned       float64 // share of sites planned, not yet on air
	opShares      [4]float64
	fiberMinHH    int     // smallest village with a fiber cabinet
	fiberChance   float64 // chance of a cabinet per operator at such a village
	villageFactor float64 // poverty of small villages relative to large ones
}

// mobileOperators are the four operators with their usual order.
func mobileOperators() [4]string {
	return [4]string{data.OpViettel, data.OpVinaphone, data.OpMobifone, data.OpVietnamobile}
}

func paramsOf(env string) *envParams {
	switch env {
	case envUrban:
		return &envParams{
			popPerHH: 3.5, villageMean: 280, sigma: [2]float64{100, 350},
			poor: [2]float64{0.02, 0.04}, near: [2]float64{0.02, 0.045},
			kids:      [4]float64{0.45, 0.35, 0.17, 0.03},
			device:    [3]float64{0.72, 0.5, 0.4},
			hhPerSite: 520, siteOffsetM: 250, has4G: 1, sector3: 1, has3G: 0.65, has2G: 0.7,
			planned: 0.02, opShares: [4]float64{40, 25, 22, 13},
			fiberMinHH: 1, fiberChance: 0.55, villageFactor: 1.2,
		}
	case envSuburban:
		return &envParams{
			popPerHH: 3.7, villageMean: 200, sigma: [2]float64{100, 450},
			poor: [2]float64{0.03, 0.06}, near: [2]float64{0.03, 0.06},
			kids:      [4]float64{0.42, 0.35, 0.19, 0.04},
			device:    [3]float64{0.6, 0.4, 0.3},
			hhPerSite: 700, siteOffsetM: 400, has4G: 0.97, sector3: 0.9, has3G: 0.5, has2G: 0.8,
			planned: 0.02, opShares: [4]float64{45, 25, 20, 10},
			fiberMinHH: 80, fiberChance: 0.45, villageFactor: 1.5,
		}
	case envRural:
		return &envParams{
			popPerHH: 3.8, villageMean: 150, sigma: [2]float64{100, 500},
			poor: [2]float64{0.04, 0.08}, near: [2]float64{0.04, 0.08},
			kids:      [4]float64{0.38, 0.36, 0.21, 0.05},
			device:    [3]float64{0.5, 0.3, 0.22},
			hhPerSite: 950, siteOffsetM: 600, has4G: 0.88, sector3: 0.65, has3G: 0.35, has2G: 0.85,
			planned: 0.03, opShares: [4]float64{50, 25, 18, 7},
			fiberMinHH: 150, fiberChance: 0.3, villageFactor: 1.8,
		}
	default:
		return &envParams{
			popPerHH: 4.1, villageMean: 75, sigma: [2]float64{100, 600},
			poor: [2]float64{0.15, 0.3}, near: [2]float64{0.1, 0.2},
			kids:      [4]float64{0.33, 0.35, 0.24, 0.08},
			device:    [3]float64{0.35, 0.2, 0.15},
			hhPerSite: 700, siteOffsetM: 800, has4G: 0.55, sector3: 0.4, has3G: 0.45, has2G: 0.95,
			planned: 0.08, opShares: [4]float64{60, 25, 12, 3},
			fiberMinHH: 130, fiberChance: 0.12, villageFactor: 2,
		}
	}
}

func (p *envParams) meanKids() float64 {
	return p.kids[1] + 2*p.kids[2] + 3*p.kids[3]
}

// gradeWeights are the relative enrolments of grades 1..16: primary 1–5,
// lower secondary 6–9, upper secondary 10–12 (fewer continue), 13–16
// vocational schools and colleges.
func gradeWeights() [16]float64 {
	return [16]float64{1, 1, 1, 1, 1, 0.96, 0.95, 0.94, 0.92, 0.72, 0.7, 0.68, 0.12, 0.1, 0.08, 0.06}
}

// gradeShare is the share of pupils in grades lo..hi.
func gradeShare(lo, hi int) float64 {
	t, s := 0.0, 0.0
	for g, w := range gradeWeights() {
		t += w
		if g+1 >= lo && g+1 <= hi {
			s += w
		}
	}
	return s / t
}

// School sizing: pupils per school by level.
const (
	pupilsPerPrimary = 300
	pupilsPerLower   = 550
	pupilsPerUpper   = 1400
	upperSpacingM    = 4000
	gdtxUpperShare   = 0.1 // upper-secondary pupils in continuing education
	chunkHouseholds  = 8192
)
