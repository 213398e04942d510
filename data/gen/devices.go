package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
)

// donors returns the donors with their weights: organisations, businesses
// and individuals, named as on Vietnamese handover lists.
func donors(province string) ([]string, []float64) {
	prov := "tỉnh"
	if province != "" {
		prov = lowerTypeWord(province)
	}
	names := []string{
		"Công đoàn Giáo dục Việt Nam",
		"Tập đoàn Công nghiệp - Viễn thông Quân đội (Viettel)",
		"Quỹ Vì người nghèo " + prov,
		"Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)",
		"Tổng công ty Viễn thông MobiFone",
		"Hội Khuyến học " + prov,
		"Ngân hàng TMCP Công Thương Việt Nam (VietinBank)",
		strings.TrimSpace("Tỉnh đoàn " + baseName(province)),
		"Công ty TNHH Samsung Electronics Việt Nam",
		"Quỹ Bảo trợ trẻ em Việt Nam",
		"Ông Nguyễn Văn Hùng",
		"Bà Trần Thị Lan",
		"Ông Lê Minh Tuấn",
		"Bà Phạm Thị Hoa",
		"Nhóm thiện nguyện Máy tính cho em",
	}
	weights := []float64{14, 18, 12, 10, 8, 6, 6, 5, 8, 5, 2, 2, 1.5, 1.5, 1}
	return names, weights
}

// individual reports whether a donor is a person (their devices are used
// and more often fail the specs).
func individual(name string) bool {
	return strings.HasPrefix(name, "Ông ") || strings.HasPrefix(name, "Bà ") || strings.HasPrefix(name, "Nhóm ")
}

// deviceGen makes donated devices in batches: one donor gives a number of
// devices of one model; used devices (individuals) and old models fail the
// minimum specs more often (about 15% overall): Android 4.2, 1 GB RAM, 3 GB
// free, no charger, broken microphone, laptops with 64 GB disks, desktops
// without monitor or Wi-Fi.
type deviceGen struct {
	r         *rand.Rand
	donors    []string
	weights   []float64
	districts []string
	distW     []float64
	n         int
	batches   int // donations made so far
}

// programmeStart is the day the first donations of the generated province
// arrive (the programme began in September 2021).
func programmeStart() time.Time { return time.Date(2021, 9, 6, 0, 0, 0, 0, time.UTC) }

// batch returns the devices of the next donation.
func (g *deviceGen) batch(limit int) []data.Device {
	r := g.r
	donor := g.donors[pick(r, g.weights)]
	used := individual(donor)
	size := 1 + r.IntN(4)
	if !used {
		size = 5 + int(math.Exp(uniform(r, 1.5, 5.3)))
	}
	size = min(size, limit)
	typ := []string{data.DevicePhone, data.DeviceTablet, data.DeviceLaptop, data.DeviceDesktop}[pick(r, []float64{45, 25, 25, 5})]
	pOld := 0.12 // share of older models in the lot
	if used {
		pOld = 0.4
	}
	area := ""
	if len(g.districts) > 0 && chance(r, 0.2) {
		area = g.districts[pick(r, g.distW)]
	}
	cur, old := model(r, typ, false), model(r, typ, true)
	// The day received: one donation every three days from the start
	// (from the batch count, not the random stream, so the rest of the
	// generated data is unchanged).
	received := programmeStart().AddDate(0, 0, 3*g.batches)
	g.batches++
	out := make([]data.Device, 0, size)
	for k := 0; k < size; k++ {
		g.n++
		m := cur
		if chance(r, pOld) {
			m = old
		}
		d := m
		d.ID = fmt.Sprintf("DV%07d", g.n)
		d.Donor = donor
		d.AreaCode = area
		d.ReceivedOn = &received
		d.FreeStorageGB = math.Round(d.StorageGB*uniform(r, 0.3, 0.85)*10) / 10
		if m.FreeStorageGB > 0 { // an old model nearly full
			d.FreeStorageGB = math.Round(uniform(r, 1, m.FreeStorageGB)*10) / 10
		}
		defect := 0.03
		if used {
			defect = 0.12
		}
		if chance(r, defect) {
			switch r.IntN(3) {
			case 0:
				d.HasCharger = data.CondNo
			case 1:
				d.AVOK = data.CondNo
			default:
				if typ == data.DeviceLaptop || typ == data.DeviceDesktop {
					d.KeyboardOK = data.CondNo
				} else {
					d.ScreenOK = data.CondNo
				}
			}
		}
		if (typ == data.DevicePhone || typ == data.DeviceTablet) && used && chance(r, 0.1) {
			d.FreeStorageGB = math.Min(d.StorageGB, float64(2+r.IntN(2))) // 2–3 GB free
		}
		// Recommended extras, from the running number (no random draw, so
		// the rest of the sample is unchanged): new phones and tablets come
		// with headphones, one used one in three; a used laptop's battery is
		// worn one time in four.
		switch typ {
		case data.DevicePhone, data.DeviceTablet:
			d.Headphones = data.CondNo
			if !used || g.n%3 == 0 {
				d.Headphones = data.CondYes
			}
		case data.DeviceLaptop:
			d.BatteryOK = data.CondYes
			if used && g.n%4 == 0 {
				d.BatteryOK = data.CondNo
			}
		}
		d.Serial = serial(typ, g.n)
		if typ == data.DevicePhone || (typ == data.DeviceTablet && m.IMEI != "") {
			d.IMEI = imei(g.n)
		}
		out = append(out, d)
	}
	return out
}

// model draws a device model; oldModel picks one below the specs.
func model(r *rand.Rand, typ string, oldModel bool) data.Device {
	d := data.Device{Type: typ, HasCharger: data.CondYes, AVOK: data.CondYes, ScreenOK: data.CondYes, KeyboardOK: data.CondYes, HasMonitor: data.CondYes, WiFi: data.CondYes}
	choose := func(xs ...float64) float64 { return xs[r.IntN(len(xs))] }
	switch typ {
	case data.DevicePhone, data.DeviceTablet:
		ios := chance(r, 0.18)
		if typ == data.DeviceTablet {
			ios = chance(r, 0.3)
			if chance(r, 0.4) {
				d.IMEI = "cellular"
			}
		}
		d.CPUGHz = choose(1.4, 1.8, 2.0, 2.2, 2.4)
		d.RAMGB = choose(2, 3, 4, 6)
		d.StorageGB = choose(16, 32, 64, 128)
		if ios {
			d.OS = "ios"
			d.OSVersion = []string{"12.5", "14.8", "15.7", "16.6"}[r.IntN(4)]
		} else {
			d.OS = "android"
			d.OSVersion = []string{"8.1", "9", "10", "11", "12"}[r.IntN(5)]
		}
		if oldModel {
			d.CPUGHz = choose(1.0, 1.2)
			switch r.IntN(3) {
			case 0:
				if ios {
					d.OSVersion = "8.4"
				} else {
					d.OSVersion = "4.2"
				}
			case 1:
				d.RAMGB = 1
			default:
				d.StorageGB, d.FreeStorageGB = 16, 3 // at most 3 GB free
			}
		}
	case data.DeviceLaptop:
		d.OS = "windows"
		d.OSVersion = []string{"10", "10", "11"}[r.IntN(3)]
		if chance(r, 0.08) {
			d.OS, d.OSVersion = "chromeos", "114"
		}
		d.CPUGHz = choose(1.1, 1.6, 2.0, 2.4, 2.8)
		d.RAMGB = choose(4, 4, 8, 8, 16)
		d.StorageGB = choose(128, 256, 256, 512)
		if oldModel {
			switch r.IntN(3) {
			case 0:
				d.StorageGB = 64
			case 1:
				d.RAMGB = 1
			default:
				d.CPUGHz = 0.9
			}
		}
	default: // desktop
		d.OS = "windows"
		d.OSVersion = "10"
		if chance(r, 0.1) {
			d.OS, d.OSVersion = "linux", "ubuntu 22.04"
		}
		d.CPUGHz = choose(2.4, 3.0, 3.2)
		d.RAMGB = choose(4, 8)
		d.StorageGB = choose(250, 500, 1000)
		if oldModel {
			switch r.IntN(3) {
			case 0:
				d.HasMonitor = data.CondNo
			case 1:
				d.WiFi = data.CondNo
			default:
				d.RAMGB = 1
			}
		}
	}
	return d
}

// serial is a manufacturer-like serial number, unique per device number.
func serial(typ string, n int) string {
	prefix := map[string]string{data.DevicePhone: "R58", data.DeviceTablet: "DMP", data.DeviceLaptop: "PF3", data.DeviceDesktop: "MXL"}[typ]
	// n·(odd multiplier) mod 36^8 is a bijection: distinct and scrambled.
	const mod = 2821109907456 // 36^8
	v := (uint64(n) * 1_103_515_245) % mod
	s := strings.ToUpper(strconv.FormatUint(v, 36))
	return prefix + strings.Repeat("0", 8-len(s)) + s
}

// imei is a 15-digit IMEI with a valid Luhn check digit, unique per device
// number (a type-allocation code per million devices).
func imei(n int) string {
	tacs := []string{"35203110", "35328510", "86234504", "35684610", "86769303", "35190111", "86891104", "35467812"}
	tac := tacs[(n/1_000_000)%len(tacs)]
	if n/1_000_000 >= len(tacs) {
		tac = fmt.Sprintf("86%06d", n/1_000_000)
	}
	body := fmt.Sprintf("%s%06d", tac, (uint64(n%1_000_000)*7919)%1_000_000)
	sum := 0
	for i := 0; i < 14; i++ {
		d := int(body[i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return body + strconv.Itoa((10-sum%10)%10)
}

// meetsSpecs is the generator's own reading of the minimum specs (seed
// 004), used to report how many devices fail them.
func meetsSpecs(d *data.Device) bool {
	ver := func(s string) float64 {
		parts := strings.SplitN(s, ".", 3)
		v, _ := strconv.ParseFloat(parts[0], 64)
		if len(parts) > 1 {
			m, _ := strconv.ParseFloat(parts[1], 64)
			v += m / 100
		}
		return v
	}
	if !d.HasCharger.Yes() || !d.AVOK.Yes() {
		return false
	}
	switch d.Type {
	case data.DevicePhone, data.DeviceTablet:
		if d.OS == "android" && ver(d.OSVersion) < 4.04 || d.OS == "ios" && ver(d.OSVersion) < 9 {
			return false
		}
		return d.RAMGB >= 2 && d.FreeStorageGB >= 5 && d.ScreenOK.Yes()
	case data.DeviceLaptop:
		return d.CPUGHz >= 1 && d.RAMGB >= 2 && d.StorageGB >= 120 && d.ScreenOK.Yes() && d.KeyboardOK.Yes()
	default:
		return d.CPUGHz >= 1 && d.RAMGB >= 2 && d.StorageGB >= 120 && d.HasMonitor.Yes() && d.KeyboardOK.Yes() // no Wi-Fi: fiber homes only (allocation time)
	}
}

// simDonor is the donor of an operator's SIMs ("" when not one of the
// generated donors).
func simDonor(op string) string {
	switch op {
	case data.OpViettel:
		return "Tập đoàn Công nghiệp - Viễn thông Quân đội (Viettel)"
	case data.OpVinaphone:
		return "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)"
	case data.OpMobifone:
		return "Tổng công ty Viễn thông MobiFone"
	}
	return ""
}

// simPackages makes the SIM-data stocks: most 4 GB/day for 3 months, a few
// that fall short of the 2 GB/day × 3 months minimum; mostly at the
// province, some at districts. Total quantity is about total.
func simPackages(r *rand.Rand, total, rows int, districts []string) []data.SimPackage {
	shares := [4]float64{45, 25, 20, 10}
	w := make([]float64, rows)
	for i := range w {
		w[i] = math.Exp(0.7 * r.NormFloat64())
	}
	qty := apportion(total, w)
	out := make([]data.SimPackage, 0, rows)
	for i := 0; i < rows; i++ {
		op := i % 4
		if i >= 4 {
			op = pick(r, shares[:])
		}
		p := data.SimPackage{
			ID:       fmt.Sprintf("SIM%05d", i+1),
			Operator: mobileOperators()[op],
			GBPerDay: 4,
			Months:   3,
			Quantity: max(1, qty[i]),
		}
		switch u := r.Float64(); {
		case u < 0.08:
			p.GBPerDay = 1
		case u < 0.14:
			p.Months = 2
		case u < 0.3:
			p.GBPerDay = 2
		}
		if len(districts) > 0 && chance(r, 0.3) {
			p.AreaCode = districts[r.IntN(len(districts))]
		}
		// The operators give their own SIMs, one package a week from the
		// start (no random draw: the rest of the data is unchanged).
		p.Donor = simDonor(p.Operator)
		day := programmeStart().AddDate(0, 0, 7*i)
		p.ReceivedOn = &day
		out = append(out, p)
	}
	return out
}
