package format

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data"
)

// ReadSites streams the sectors of a sites.csv/.xlsx file (see
// ReadSchools), or of an OpenCelliD CSV export (with or without its
// header), detected from the first row.
//
// sites.csv: sector_id defaults to "<site_id>/<n>", n counting that site's
// rows in file order; antenna_height_m defaults to 30; an empty azimuth
// means omni (360 is read as 0); beamwidth_deg defaults to 65 for a
// directional sector and 360 for omni; an empty or 0 range_m means "use the
// coverage model"; status defaults to active.
//
// OpenCelliD: only MCC 452 (Vietnam); MNC 01 mobifone, 02 vinaphone, 04
// viettel, 05 vietnamobile, 07 gmobile; radio GSM→2G (900 MHz), UMTS→3G
// (2100), LTE→4G (1800), NR→5G (3500); the site and sector id is
// "ocid-<mcc>-<net>-<area>-<cell>"; omni; range is kept (clamped to 100 km)
// as range_m; status active.
func ReadSites(ctx context.Context, path string, errs *data.ValidationError, fn func(row int, s data.Sector) error) error {
	return run(errs, func(errs *data.ValidationError) error {
		t, err := openTable(ctx, fileRef{path: path}, errs)
		if err != nil {
			return err
		}
		defer t.close()
		first, row, err := t.next()
		if err != nil && err != io.EOF {
			return t.readErr(row, err)
		}
		if err == nil {
			t.push(first, row)
			if ocidHeader(first) {
				r, err := t.findHeader(ocidColumns())
				if err != nil {
					return err
				}
				return eachRow(ctx, t, r, ocidParser(), fn)
			}
			if ocidRow(first) {
				cols := ocidColumns()
				m := &headerMatch{header: columnNames(cols), idx: make([]int, len(cols))}
				for i := range m.idx {
					m.idx[i] = i
				}
				return eachRow(ctx, t, newRowCtx(t, cols, m), ocidParser(), fn)
			}
		}
		r, err := t.findHeader(siteColumns())
		if err != nil {
			return err
		}
		return eachRow(ctx, t, r, siteParser(), fn)
	})
}

func siteParser() func(r *rowCtx) data.Sector {
	operator, tech, status := mobileOperatorEnum("operator"), technologyEnum(), statusEnum()
	perSite := make(map[string]int32)
	return func(r *rowCtx) data.Sector {
		var s data.Sector
		site, ok := r.text(siSite, true)
		if ok {
			s.SiteID = strings.Clone(site)
		}
		n := perSite[s.SiteID] + 1
		if s.SiteID != "" {
			perSite[s.SiteID] = n
		}
		if sec, ok := r.text(siSector, false); ok && sec != "" {
			s.ID = strings.Clone(sec)
			r.unique(siSector, sec, sec)
		} else if ok && s.SiteID != "" {
			s.ID = s.SiteID + "/" + strconv.Itoa(int(n))
			r.unique(siSector, s.ID, s.ID)
		}
		s.Operator = r.choice(siOperator, operator, "", true)
		s.Technology = r.choice(siTech, tech, "", true)
		if v, ok := r.float(siBand, 0, true, unitMHz); ok {
			if v != float64(int(v)) || v < 1 || v > 100000 {
				r.outOfRange(siBand, "a whole number of MHz from 1 to 100000")
			}
			s.BandMHz = int(v)
		}
		s.Lat, s.Lon = r.latLon(siLat, siLon)
		if v, ok := r.float(siHeight, 30, false, unitMetre); ok {
			if v < 0 || v > 1000 {
				r.outOfRange(siHeight, "from 0 to 1000 metres")
			}
			s.AntennaHeightM = v
		}
		if r.val(siAzimuth) != "" {
			if v, ok := r.float(siAzimuth, 0, false, noUnit); ok {
				if v == 360 {
					v = 0
				}
				if v < 0 || v >= 360 {
					r.outOfRange(siAzimuth, "at least 0 and below 360 degrees (leave it empty for an omni antenna)")
				}
				s.AzimuthDeg = &v
			}
		}
		def := 360.0
		if s.AzimuthDeg != nil {
			def = 65
		}
		if v, ok := r.float(siBeam, def, false, noUnit); ok {
			if v <= 0 || v > 360 {
				r.outOfRange(siBeam, "more than 0 and at most 360 degrees")
			}
			s.BeamwidthDeg = v
		}
		if v, ok := r.float(siRange, 0, false, unitMetre); ok {
			if v < 0 || v > 100000 {
				r.outOfRange(siRange, "more than 0 and at most 100000 metres (leave it empty to use the coverage model)")
			}
			s.RangeM = v
		}
		s.Status = r.choice(siStatus, status, data.StatusActive, false)
		return s
	}
}

// ocidHeader reports whether rec is OpenCelliD's header row.
func ocidHeader(rec []string) bool {
	if len(rec) < 3 {
		return false
	}
	return normKey(rec[0]) == "radio" && normKey(rec[1]) == "mcc" && (normKey(rec[2]) == "net" || normKey(rec[2]) == "mnc")
}

// ocidRow reports whether rec is an OpenCelliD data row (the export
// without header): 14 fields, the first a radio type.
func ocidRow(rec []string) bool {
	if len(rec) != ocN {
		return false
	}
	switch strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff"))) {
	case "GSM", "UMTS", "LTE", "NR", "CDMA":
		return true
	}
	return false
}

func ocidParser() func(r *rowCtx) data.Sector {
	return func(r *rowCtx) data.Sector {
		var s data.Sector
		radio := strings.ToUpper(r.val(ocRadio))
		switch radio {
		case "GSM":
			s.Technology, s.BandMHz = data.Tech2G, 900
		case "UMTS":
			s.Technology, s.BandMHz = data.Tech3G, 2100
		case "LTE":
			s.Technology, s.BandMHz = data.Tech4G, 1800
		case "NR":
			s.Technology, s.BandMHz = data.Tech5G, 3500
		case "":
			r.missing(ocRadio)
		default:
			r.fail(ocRadio, r.val(ocRadio), "radio "+strconv.Quote(r.val(ocRadio))+" is not used: only GSM, UMTS, LTE and NR are read")
		}
		mcc, okMCC := r.integer(ocMCC, 0, true)
		if okMCC && mcc != 452 {
			r.fail(ocMCC, r.val(ocMCC), "MCC "+r.val(ocMCC)+" is not Vietnam (452): keep only Vietnam's cells (OpenCelliD's file 452.csv.gz)")
			okMCC = false
		}
		net, okNet := r.integer(ocNet, 0, true)
		if okNet && okMCC {
			switch net {
			case 1:
				s.Operator = data.OpMobifone
			case 2:
				s.Operator = data.OpVinaphone
			case 4:
				s.Operator = data.OpViettel
			case 5:
				s.Operator = data.OpVietnamobile
			case 7:
				s.Operator = data.OpGmobile
			default:
				r.fail(ocNet, r.val(ocNet), "MNC "+r.val(ocNet)+" is not a Vietnamese mobile network in use: expected 01 mobifone, 02 vinaphone, 04 viettel, 05 vietnamobile or 07 gmobile")
				okNet = false
			}
		}
		area, okArea := r.integer(ocArea, 0, true)
		if okArea && area < 0 {
			r.outOfRange(ocArea, "0 or more")
			okArea = false
		}
		cell, okCell := r.integer(ocCell, 0, true)
		if okCell && cell < 0 {
			r.outOfRange(ocCell, "0 or more")
			okCell = false
		}
		if okMCC && okNet && okArea && okCell {
			s.ID = "ocid-" + strconv.Itoa(mcc) + "-" + strconv.Itoa(net) + "-" + strconv.Itoa(area) + "-" + strconv.Itoa(cell)
			s.SiteID = s.ID
			r.unique(ocCell, r.val(ocCell), s.ID)
		}
		s.Lat, s.Lon = r.latLon(ocLat, ocLon)
		if v, ok := r.float(ocRange, 0, false, noUnit); ok {
			if v < 0 {
				r.outOfRange(ocRange, "0 or more metres")
			}
			s.RangeM = min(max(v, 0), 100000)
		}
		s.AntennaHeightM = 30
		s.BeamwidthDeg = 360
		s.Status = data.StatusActive
		return s
	}
}
