package format

import (
	"strconv"
	"time"

	"github.com/gapmap/gapmap/data"
)

// The header and record functions give the columns in the order the
// readers document them; floats are written as the shortest decimal that
// reads back exactly.

// SchoolHeader is the header of schools.csv.
func SchoolHeader() []string { return columnNames(schoolColumns()) }

// SchoolRecord is one row of schools.csv.
func SchoolRecord(s data.School) []string {
	return []string{s.ID, s.Name, s.Level, fmtFloat(s.Lat), fmtFloat(s.Lon), s.AreaCode, strconv.Itoa(s.Students), s.Internet}
}

// HouseholdHeader is the header of households.csv.
func HouseholdHeader() []string { return columnNames(householdColumns()) }

// HouseholdRecord is one row of households.csv.
func HouseholdRecord(h data.Household) []string {
	return []string{h.ID, fmtFloat(h.Lat), fmtFloat(h.Lon), h.AreaCode, h.Precision, h.Poverty, strconv.Itoa(h.Members)}
}

// StudentHeader is the header of students.csv (without the optional,
// internal name and date of birth: StudentHeaderWithNames).
func StudentHeader() []string { return columnNames(studentColumns())[:stFullName] }

// StudentRecord is one row of students.csv (StudentHeader).
func StudentRecord(s data.Student) []string {
	return []string{s.ID, s.HouseholdID, s.SchoolID, strconv.Itoa(s.Grade), strconv.Itoa(s.Priority), strconv.FormatBool(s.HasDevice), strconv.FormatBool(s.CovidOrphan)}
}

// StudentHeaderWithNames is StudentHeader with full_name and birth_date.
func StudentHeaderWithNames() []string { return columnNames(studentColumns()) }

// StudentRecordWithNames is one row of StudentHeaderWithNames.
func StudentRecordWithNames(s data.Student) []string {
	return append(StudentRecord(s), s.FullName, s.BirthDate)
}

// SiteHeader is the header of sites.csv (one row per sector).
func SiteHeader() []string { return columnNames(siteColumns()) }

// SiteRecord is one row of sites.csv. An omni sector has an empty
// azimuth; a zero range (use the model) and a zero beamwidth are written
// empty.
func SiteRecord(s data.Sector) []string {
	az, bw, rg := "", "", ""
	if s.AzimuthDeg != nil {
		az = fmtFloat(*s.AzimuthDeg)
	}
	if s.BeamwidthDeg != 0 {
		bw = fmtFloat(s.BeamwidthDeg)
	}
	if s.RangeM != 0 {
		rg = fmtFloat(s.RangeM)
	}
	return []string{s.SiteID, s.ID, s.Operator, s.Technology, strconv.Itoa(s.BandMHz), fmtFloat(s.Lat), fmtFloat(s.Lon),
		fmtFloat(s.AntennaHeightM), az, bw, rg, s.Status}
}

// FiberNodeHeader is the header of fiber_nodes.csv.
func FiberNodeHeader() []string { return columnNames(fiberNodeColumns()) }

// FiberNodeRecord is one row of fiber_nodes.csv.
func FiberNodeRecord(n data.FiberNode) []string {
	return []string{n.ID, n.Operator, n.Kind, fmtFloat(n.Lat), fmtFloat(n.Lon)}
}

// DeviceHeader is the header of devices.csv.
func DeviceHeader() []string { return columnNames(deviceColumns()) }

// DeviceRecord is one row of devices.csv.
func DeviceRecord(d data.Device) []string {
	b := func(c data.Cond) string {
		if !c.Known() {
			return ""
		}
		return strconv.FormatBool(c.Yes())
	}
	return []string{d.ID, d.Donor, d.Type, d.OS, d.OSVersion, fmtFloat(d.CPUGHz), fmtFloat(d.RAMGB), fmtFloat(d.StorageGB),
		fmtFloat(d.FreeStorageGB), b(d.HasCharger), b(d.AVOK), b(d.ScreenOK), b(d.KeyboardOK), b(d.HasMonitor), b(d.WiFi),
		d.Serial, d.IMEI, d.AreaCode, d.CPUModel, b(d.Headphones), b(d.BatteryOK), d.SchoolID, fmtDay(d.ReceivedOn)}
}

// SimPackageHeader is the header of sim_packages.csv.
func SimPackageHeader() []string { return columnNames(simPackageColumns()) }

// SimPackageRecord is one row of sim_packages.csv.
func SimPackageRecord(p data.SimPackage) []string {
	return []string{p.ID, p.Operator, fmtFloat(p.GBPerDay), strconv.Itoa(p.Months), strconv.Itoa(p.Quantity), p.AreaCode, p.SchoolID, p.Donor, fmtDay(p.ReceivedOn)}
}

// fmtDay writes an optional date as YYYY-MM-DD ("" when nil).
func fmtDay(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}
