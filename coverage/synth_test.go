package coverage

import (
	"fmt"
	"math/rand"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
	"github.com/paulmach/orb"
)

// synth builds a random province-like dataset around (lat0, lon0): areas
// as a grid of square communes, clustered homes, schools, sectors of
// several operators (omni and 3-sector sites), fiber nodes and routes.
func synth(seed int64, homes, sites int) *data.Dataset {
	r := rand.New(rand.NewSource(seed))
	lat0, lon0 := 21.2, 106.2
	ds := &data.Dataset{}
	ds.Areas = append(ds.Areas, data.Area{Code: "P", Name: "Province", Level: "province"})
	const n = 4
	const step = 0.1
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			la, lo := lat0+float64(i)*step, lon0+float64(j)*step
			ring := orb.Ring{{lo, la}, {lo + step, la}, {lo + step, la + step}, {lo, la + step}, {lo, la}}
			env := ""
			if i == 0 && j == 0 {
				env = EnvUrban
			}
			ds.Areas = append(ds.Areas, data.Area{
				Code: fmt.Sprintf("C%d%d", i, j), Name: fmt.Sprintf("Commune %d,%d", i, j), Level: "commune",
				ParentCode: "P", Environment: env, Geom: orb.MultiPolygon{{ring}},
			})
		}
	}
	ops := []string{data.OpViettel, data.OpVinaphone, data.OpMobifone}
	type v struct{ lat, lon float64 }
	var villages []v
	for k := 0; k < homes/40+1; k++ {
		villages = append(villages, v{lat0 + r.Float64()*n*step, lon0 + r.Float64()*n*step})
	}
	area := func(lat, lon float64) string {
		i := int((lat - lat0) / step)
		j := int((lon - lon0) / step)
		if lat < lat0 || lon < lon0 || i >= n || j >= n {
			return ""
		}
		return fmt.Sprintf("C%d%d", i, j)
	}
	for k := 0; k < homes; k++ {
		c := villages[r.Intn(len(villages))]
		lat, lon := geo.Direct(c.lat, c.lon, r.Float64()*360, r.ExpFloat64()*400)
		if k%17 == 0 && k > 0 { // same position as the previous home
			lat, lon = ds.Households[k-1].Lat, ds.Households[k-1].Lon
		}
		pov := data.PovertyNone
		if r.Float64() < 0.15 {
			pov = data.PovertyPoor
		} else if r.Float64() < 0.1 {
			pov = data.PovertyNearPoor
		}
		code := area(lat, lon)
		if k%50 == 3 {
			code = "" // the engine finds it
		}
		id := fmt.Sprintf("H%06d", k)
		ds.Households = append(ds.Households, data.Household{ID: id, Lat: lat, Lon: lon, AreaCode: code, Precision: data.PrecisionGPS, Poverty: pov, Members: 4})
		for s := 0; s < r.Intn(3); s++ {
			tier := 0
			switch pov {
			case data.PovertyPoor:
				tier = 1
			case data.PovertyNearPoor:
				tier = 2
			default:
				if r.Float64() < 0.1 {
					tier = 3
				}
			}
			ds.Students = append(ds.Students, data.Student{ID: fmt.Sprintf("S%06d_%d", k, s), HouseholdID: id, SchoolID: "SC001", Grade: 5, Priority: tier, HasDevice: r.Float64() < 0.5})
		}
	}
	for k := 0; k < homes/400+2; k++ {
		c := villages[r.Intn(len(villages))]
		internet := data.InternetNone
		if k%5 == 0 {
			internet = data.InternetFiber
		}
		ds.Schools = append(ds.Schools, data.School{ID: fmt.Sprintf("SC%03d", k+1), Name: "School", Level: data.LevelPrimary, Lat: c.lat, Lon: c.lon, AreaCode: area(c.lat, c.lon), Students: 100 + r.Intn(900), Internet: internet})
	}
	for k := 0; k < sites; k++ {
		lat := lat0 + r.Float64()*n*step
		lon := lon0 + r.Float64()*n*step
		if k%3 == 0 { // near villages so that coverage is mixed
			c := villages[r.Intn(len(villages))]
			lat, lon = geo.Direct(c.lat, c.lon, r.Float64()*360, 500+r.Float64()*3000)
		}
		op := ops[r.Intn(len(ops))]
		tech := []string{"4G", "4G", "4G", "3G", "2G"}[r.Intn(5)]
		band := 1800
		switch tech {
		case "3G":
			band = 2100
		case "2G":
			band = 900
		}
		if tech == "4G" && r.Intn(4) == 0 {
			band = 900
		}
		siteID := fmt.Sprintf("%s-%04d", op, k)
		status := data.StatusActive
		if k%23 == 0 {
			status = data.StatusPlanned
		}
		rangeM := 0.0
		if k%7 == 0 {
			rangeM = 1000 + r.Float64()*6000
		}
		if r.Intn(2) == 0 {
			ds.Sectors = append(ds.Sectors, data.Sector{ID: siteID + "/1", SiteID: siteID, Operator: op, Technology: tech, BandMHz: band, Lat: lat, Lon: lon, AntennaHeightM: 30, BeamwidthDeg: 360, RangeM: rangeM, Status: status})
			continue
		}
		base := r.Float64() * 120
		for s := 0; s < 3; s++ {
			az := base + float64(s)*120
			bw := []float64{60, 65, 90, 120}[r.Intn(4)]
			ds.Sectors = append(ds.Sectors, data.Sector{ID: fmt.Sprintf("%s/%d", siteID, s+1), SiteID: siteID, Operator: op, Technology: tech, BandMHz: band, Lat: lat, Lon: lon, AntennaHeightM: 30, AzimuthDeg: &az, BeamwidthDeg: bw, RangeM: rangeM, Status: status})
		}
	}
	for k := 0; k < sites/10+1; k++ {
		ds.FiberNodes = append(ds.FiberNodes, data.FiberNode{ID: fmt.Sprintf("N%03d", k), Operator: data.OpFPT, Kind: "pop", Lat: lat0 + r.Float64()*n*step, Lon: lon0 + r.Float64()*n*step})
	}
	for k := 0; k < 3; k++ {
		var line orb.LineString
		la, lo := lat0+r.Float64()*n*step, lon0+r.Float64()*n*step
		for p := 0; p < 6; p++ {
			line = append(line, orb.Point{lo, la})
			la, lo = geo.Direct(la, lo, r.Float64()*360, 500+r.Float64()*4000)
		}
		ds.FiberRoutes = append(ds.FiberRoutes, data.FiberRoute{ID: fmt.Sprintf("R%d", k), Operator: data.OpViettel, Line: line})
	}
	return ds
}
