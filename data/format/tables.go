package format

import (
	"context"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data"
)

// ReadSchools streams schools.csv/.xlsx. See the package documentation for
// the contract shared by all readers: fn gets every valid record with its
// spreadsheet row number; every problem is added to errs (which may be nil:
// the problems are then returned as a *data.ValidationError); the returned
// error is non-nil only when the file cannot be read (then it is errs), fn
// fails or ctx is done.
func ReadSchools(ctx context.Context, path string, errs *data.ValidationError, fn func(row int, s data.School) error) error {
	level, internet := levelEnum(), internetEnum()
	return readTable(ctx, fileRef{path: path}, errs, schoolColumns(), func(r *rowCtx) data.School {
		var s data.School
		s.ID = r.id(scID)
		s.Name = r.req(scName)
		s.Level = r.choice(scLevel, level, "", true)
		s.Lat, s.Lon = r.latLon(scLat, scLon)
		s.AreaCode = r.code(scArea, false)
		if n, ok := r.integer(scStudents, 0, false); ok {
			if n < 0 {
				r.outOfRange(scStudents, "0 or more")
			}
			s.Students = n
		}
		s.Internet = r.choice(scInternet, internet, data.InternetNone, false)
		return s
	}, fn)
}

// ReadHouseholds streams households.csv/.xlsx (see ReadSchools).
func ReadHouseholds(ctx context.Context, path string, errs *data.ValidationError, fn func(row int, h data.Household) error) error {
	return readTable(ctx, fileRef{path: path}, errs, householdColumns(), householdParser(), fn)
}

// householdParser parses a row of households.csv.
func householdParser() func(r *rowCtx) data.Household {
	precision, poverty := precisionEnum(), povertyEnum()
	return func(r *rowCtx) data.Household {
		var h data.Household
		h.ID = r.id(hhID)
		h.Lat, h.Lon = r.latLon(hhLat, hhLon)
		h.AreaCode = r.code(hhArea, false)
		h.Precision = r.choice(hhPrecision, precision, data.PrecisionGPS, false)
		h.Poverty = r.choice(hhPoverty, poverty, data.PovertyNone, false)
		if n, ok := r.integer(hhMembers, 1, false); ok {
			if n < 1 || n > 100 {
				r.outOfRange(hhMembers, "from 1 to 100")
			}
			h.Members = n
		}
		return h
	}
}

// ReadStudents streams students.csv/.xlsx (see ReadSchools). The grade may
// be written as a class name ("6A1", "Lớp 10"): its leading number is the
// grade.
func ReadStudents(ctx context.Context, path string, errs *data.ValidationError, fn func(row int, s data.Student) error) error {
	return readTable(ctx, fileRef{path: path}, errs, studentColumns(), studentParser(), fn)
}

// studentParser parses a row of students.csv.
func studentParser() func(r *rowCtx) data.Student {
	priority := priorityEnum()
	return func(r *rowCtx) data.Student {
		var s data.Student
		s.ID = r.id(stID)
		s.HouseholdID = r.req(stHousehold)
		s.SchoolID = r.code(stSchool, true)
		if g, ok := r.grade(stGrade); ok {
			if g < 0 || g > 20 {
				r.outOfRange(stGrade, "from 0 to 20")
			}
			s.Grade = g
		}
		p := r.choice(stPriority, priority, "0", false)
		s.Priority, _ = strconv.Atoi(p)
		s.HasDevice = r.flag(stHasDevice, false)
		s.CovidOrphan = r.flag(stCovidOrphan, false)
		s.FullName = strings.Join(strings.Fields(r.str(stFullName)), " ")
		s.BirthDate = r.birthDate(stBirthDate)
		return s
	}
}

// grade parses a grade: a whole number, or a class name starting with one.
func (r *rowCtx) grade(f int) (int, bool) {
	s := r.val(f)
	if s == "" {
		r.missing(f)
		return 0, false
	}
	if n, ok := parseInt(s); ok {
		return n, true
	}
	if strayPunct(s) {
		// "-6A" is not grade 6: normalising never drops a sign.
		r.fail(f, s, "grade must be a whole number such as 6 (a class name such as 6A1 is also accepted)"+punctHint(s))
		return 0, false
	}
	k := foldKey(normKey(s))
	for _, p := range []string{"lop ", "khoi ", "grade ", "class "} {
		k = strings.TrimPrefix(k, p)
	}
	i := 0
	for i < len(k) && k[i] >= '0' && k[i] <= '9' {
		i++
	}
	if i > 0 && i <= 2 && (i == len(k) || k[i] >= 'a' && k[i] <= 'z') {
		n, _ := strconv.Atoi(k[:i])
		return n, true
	}
	r.fail(f, s, "grade must be a whole number such as 6 (a class name such as 6A1 is also accepted)")
	return 0, false
}

// ReadFiberNodes streams fiber_nodes.csv/.xlsx (see ReadSchools).
func ReadFiberNodes(ctx context.Context, path string, errs *data.ValidationError, fn func(row int, n data.FiberNode) error) error {
	operator := fiberOperatorEnum()
	return readTable(ctx, fileRef{path: path}, errs, fiberNodeColumns(), func(r *rowCtx) data.FiberNode {
		var n data.FiberNode
		n.ID = r.id(fnID)
		n.Operator = r.choice(fnOperator, operator, "", true)
		n.Kind = r.code(fnKind, false)
		n.Lat, n.Lon = r.latLon(fnLat, fnLon)
		return n
	}, fn)
}

// ReadDevices streams devices.csv/.xlsx (see ReadSchools). The yes/no
// columns default to true when absent or empty. Numbers may carry their
// unit ("4 GB", "1TB", "2,4 GHz"). An operating system written with its
// version ("Android 10") is split when os_version is empty.
func ReadDevices(ctx context.Context, path string, errs *data.ValidationError, fn func(row int, d data.Device) error) error {
	typ := deviceTypeEnum()
	return readTable(ctx, fileRef{path: path}, errs, deviceColumns(), func(r *rowCtx) data.Device {
		var d data.Device
		d.ID = r.id(dvID)
		d.Donor = r.code(dvDonor, false)
		d.Type = r.choice(dvType, typ, "", true)
		osName, osVersion := parseOS(r.str(dvOS))
		d.OS = osName
		d.OSVersion = r.str(dvOSVersion)
		if d.OSVersion == "" {
			d.OSVersion = osVersion
		}
		if v, ok := r.float(dvCPU, 0, false, unitGHz); ok {
			if v < 0 || v >= 20 {
				r.outOfRange(dvCPU, "at least 0 and below 20 GHz")
			}
			d.CPUGHz = v
		}
		if v, ok := r.float(dvRAM, 0, false, unitGB); ok {
			if v < 0 || v > 1024 {
				r.outOfRange(dvRAM, "from 0 to 1024 GB")
			}
			d.RAMGB = v
		}
		storageOK := false
		if v, ok := r.float(dvStorage, 0, false, unitGB); ok {
			if v < 0 {
				r.outOfRange(dvStorage, "0 or more GB")
			} else {
				storageOK = true
			}
			d.StorageGB = v
		}
		if v, ok := r.float(dvFree, 0, false, unitGB); ok {
			switch {
			case v < 0:
				r.outOfRange(dvFree, "0 or more GB")
			case storageOK && d.StorageGB > 0 && v > d.StorageGB:
				r.fail(dvFree, r.val(dvFree), "free_storage_gb "+fmtFloat(v)+" is more than storage_gb "+fmtFloat(d.StorageGB)+": check both values")
			}
			d.FreeStorageGB = v
		}
		d.HasCharger = r.cond(dvCharger)
		d.AVOK = r.cond(dvAV)
		d.ScreenOK = r.cond(dvScreen)
		d.KeyboardOK = r.cond(dvKeyboard)
		d.HasMonitor = r.cond(dvMonitor)
		d.WiFi = r.cond(dvWiFi)
		d.Serial = r.str(dvSerial)
		d.IMEI = r.str(dvIMEI)
		d.AreaCode = r.code(dvArea, false)
		d.CPUModel = r.str(dvCPUModel)
		d.Headphones = r.cond(dvHeadphones)
		d.BatteryOK = r.cond(dvBattery)
		d.SchoolID = r.code(dvSchool, false)
		d.ReceivedOn = r.day(dvReceived)
		return d
	}, fn)
}

// parseOS splits "Android 10" into ("android", "10"); a name it does not
// know is kept, lower-cased.
func parseOS(s string) (name, version string) {
	if s == "" {
		return "", ""
	}
	for _, a := range osAliases() {
		p := a[0]
		if len(s) < len(p) || !strings.EqualFold(s[:len(p)], p) {
			continue
		}
		rest := s[len(p):]
		if rest != "" && (rest[0] >= 'a' && rest[0] <= 'z' || rest[0] >= 'A' && rest[0] <= 'Z') {
			continue
		}
		return a[1], strings.TrimLeft(strings.TrimSpace(rest), "-_ ")
	}
	return strings.ToLower(s), ""
}

// ReadSimPackages streams sim_packages.csv/.xlsx (see ReadSchools).
func ReadSimPackages(ctx context.Context, path string, errs *data.ValidationError, fn func(row int, p data.SimPackage) error) error {
	operator := mobileOperatorEnum("operator")
	return readTable(ctx, fileRef{path: path}, errs, simPackageColumns(), func(r *rowCtx) data.SimPackage {
		var p data.SimPackage
		p.ID = r.id(spID)
		p.Operator = r.choice(spOperator, operator, "", true)
		if v, ok := r.float(spGBPerDay, 0, true, unitGB); ok {
			if v <= 0 {
				r.outOfRange(spGBPerDay, "more than 0 GB a day")
			}
			p.GBPerDay = v
		}
		if n, ok := r.integer(spMonths, 0, true); ok {
			if n < 1 || n > 120 {
				r.outOfRange(spMonths, "from 1 to 120 months")
			}
			p.Months = n
		}
		if n, ok := r.integer(spQuantity, 0, true); ok {
			if n < 0 {
				r.outOfRange(spQuantity, "0 or more")
			}
			p.Quantity = n
		}
		p.AreaCode = r.code(spArea, false)
		p.SchoolID = r.code(spSchool, false)
		p.Donor = r.code(spDonor, false)
		p.ReceivedOn = r.day(spReceived)
		return p
	}, fn)
}
