package allocation

import (
	"strings"

	"github.com/gapmap/gapmap/data"
)

// Statuses of a device after the intake check.
const (
	StatusOK        = "ok"        // meets the minimum specs: can be allocated
	StatusRepair    = "repair"    // fails only rules a repair (or a second look) can fix
	StatusLiquidate = "liquidate" // fails a rule no repair fixes: sell to fund new devices
	// StatusInspect: the file does not state a required condition (charger,
	// speaker/mic/camera, screen, keyboard, monitor, Wi-Fi): inspect the
	// device, record the condition and register it again. Never allocated.
	StatusInspect = "inspect"
)

// Reasons of StatusInspect: one per required condition the file leaves
// unknown ("unknown_" + the devices column).
const (
	ReasonUnknownCharger  = "unknown_has_charger"
	ReasonUnknownAV       = "unknown_av_ok"
	ReasonUnknownScreen   = "unknown_screen_ok"
	ReasonUnknownKeyboard = "unknown_keyboard_ok"
	ReasonUnknownMonitor  = "unknown_has_monitor"
	ReasonUnknownWiFi     = "unknown_wifi"
)

// Reason codes of the intake check (seed 004, minimum specs). Each failed
// rule gives one code.
const (
	ReasonUnknownType    = "unknown_device_type"       // repair: re-inspect and record phone|tablet|laptop|desktop
	ReasonUnknownOS      = "unknown_os"                // repair: OS or version missing or unreadable; re-inspect
	ReasonUnsupportedOS  = "unsupported_os"            // liquidate: a phone/tablet OS other than Android or iOS
	ReasonOSBelowMin     = "os_version_below_min"      // liquidate: Android < 4.4 or iOS < 9
	ReasonRAMBelow2GB    = "ram_below_2gb"             // liquidate
	ReasonFreeStorage    = "free_storage_below_5gb"    // repair (liquidate when the whole storage is below 5 GB)
	ReasonNoCharger      = "no_charger"                // repair
	ReasonAVNotWorking   = "av_not_working"            // repair: speaker, mic or camera/webcam
	ReasonCPUBelow1GHz   = "cpu_below_1ghz"            // liquidate
	ReasonCPUClass       = "cpu_class_below_min"       // liquidate: CPU model below the Celeron/Pentium class (see cpuClass)
	WarningCPUUnverified = "cpu_class_unverified"      // warning only: CPU model not recognised; ≥ 1.0 GHz passes
	ReasonDiskBelow120GB = "disk_below_120gb"          // liquidate
	ReasonScreen         = "screen_not_working"        // repair
	ReasonKeyboard       = "keyboard_not_working"      // repair
	ReasonNoMonitor      = "no_monitor_or_peripherals" // repair: desktop without monitor, mouse, keyboard, headset
	ReasonNoWiFi         = "no_wifi_adapter"           // no longer an intake failure (issue 11): a desktop without Wi-Fi goes to fiber homes only
	WarningRAMBelow4GB   = "ram_below_4gb_recommended" // warning only (laptop, desktop)
	WarningNoHeadphones  = "headphones_recommended"    // warning only (phone, tablet): headphones not stated as included
	WarningBattery       = "good_battery_recommended"  // warning only (laptop): battery not stated as good
	ReasonSimGBPerDay    = "gb_per_day_below_min"      // SIM: less data per day than MinGBPerDay
	ReasonSimMonths      = "months_below_min"          // SIM: shorter than MinMonths
	ReasonSimQuantity    = "quantity_not_positive"     // SIM: the package holds no SIMs
	ReasonSimNoOperator  = "no_operator"               // SIM: operator missing
)

// Minimum specs of seed 004.
const (
	minAndroidMajor = 4
	minAndroidMinor = 4
	minIOSMajor     = 9
	minRAMGB        = 2.0
	recRAMGB        = 4.0
	minFreeGB       = 5.0
	minCPUGHz       = 1.0
	minDiskGB       = 120.0
)

// liquidating lists the reasons that no repair fixes.
func liquidating(reason string) bool {
	switch reason {
	case ReasonUnsupportedOS, ReasonOSBelowMin, ReasonRAMBelow2GB, ReasonCPUBelow1GHz, ReasonCPUClass, ReasonDiskBelow120GB:
		return true
	}
	return false
}

// SpecResult is the outcome of the intake check of one device.
type SpecResult struct {
	OK       bool     `json:"ok"`       // passes: may be allocated
	Status   string   `json:"status"`   // StatusOK, StatusRepair, StatusInspect or StatusLiquidate
	Reasons  []string `json:"reasons"`  // one code per failed rule, in rule order
	Warnings []string `json:"warnings"` // advisory codes (e.g. ram_below_4gb_recommended); never block
	// Liquidate lists the reasons among Reasons that no repair fixes (empty
	// when Status is repair).
	Liquidate []string `json:"liquidate,omitempty"`
}

// CheckDevice checks one donated device against the programme's minimum
// specs (seed 004). Phones and tablets: Android ≥ 4.4 or iOS ≥ 9, RAM ≥ 2 GB,
// free storage ≥ 5 GB, charger, working speaker/mic/camera. Laptops: CPU ≥
// 1.0 GHz, RAM ≥ 2 GB (< 4 GB is a warning), disk ≥ 120 GB, charger, working
// screen, keyboard and audio/webcam. Recommended extras are warnings only:
// headphones with a phone or tablet, a good battery in a laptop, 4 GB RAM.
// Desktops: as laptops without the
// charger (a desktop has a power supply), plus monitor and peripherals; its
// Wi-Fi adapter must be stated (unless s.DesktopWiFiRequired is false), and
// one without goes only to fiber homes (allocation time). A value of 0 means
// "not recorded" and fails its rule: record it at intake. A required
// condition the file does not state (data.CondUnknown) fails with an
// "unknown_<column>" reason; the status is then StatusInspect (unless a rule
// no repair fixes also fails: StatusLiquidate), and the device is never
// allocated until an inspection records the condition.
func CheckDevice(d data.Device, s Settings) SpecResult {
	var reasons, warnings []string
	fail := func(r string) { reasons = append(reasons, r) }
	unknown := 0
	// cond applies a yes/no condition: no fails with reason, unknown with
	// unknownReason (the device then needs an inspection).
	cond := func(c data.Cond, reason, unknownReason string) {
		switch c {
		case data.CondYes:
		case data.CondNo:
			fail(reason)
		default:
			fail(unknownReason)
			unknown++
		}
	}
	storageUnfixable := false
	switch typeIndex(d.Type) {
	case tPhone, tTablet:
		checkMobileOS(d, fail)
		if d.RAMGB < minRAMGB {
			fail(ReasonRAMBelow2GB)
		}
		if d.FreeStorageGB < minFreeGB {
			fail(ReasonFreeStorage)
			storageUnfixable = d.StorageGB > 0 && d.StorageGB < minFreeGB
		}
		cond(d.HasCharger, ReasonNoCharger, ReasonUnknownCharger)
		cond(d.AVOK, ReasonAVNotWorking, ReasonUnknownAV)
		if !d.Headphones.Yes() {
			warnings = append(warnings, WarningNoHeadphones)
		}
	case tLaptop, tDesktop:
		desktop := typeIndex(d.Type) == tDesktop
		if d.CPUGHz < minCPUGHz {
			fail(ReasonCPUBelow1GHz)
		}
		switch cpuClass(d.CPUModel) {
		case cpuWeak:
			fail(ReasonCPUClass)
		case cpuUnverified:
			if d.CPUGHz >= minCPUGHz {
				warnings = append(warnings, WarningCPUUnverified)
			}
		}
		if d.RAMGB < minRAMGB {
			fail(ReasonRAMBelow2GB)
		} else if d.RAMGB < recRAMGB {
			warnings = append(warnings, WarningRAMBelow4GB)
		}
		if d.StorageGB < minDiskGB {
			fail(ReasonDiskBelow120GB)
		}
		if !desktop {
			cond(d.HasCharger, ReasonNoCharger, ReasonUnknownCharger)
			if !d.BatteryOK.Yes() {
				warnings = append(warnings, WarningBattery)
			}
		}
		cond(d.ScreenOK, ReasonScreen, ReasonUnknownScreen)
		cond(d.KeyboardOK, ReasonKeyboard, ReasonUnknownKeyboard)
		cond(d.AVOK, ReasonAVNotWorking, ReasonUnknownAV)
		if desktop {
			cond(d.HasMonitor, ReasonNoMonitor, ReasonUnknownMonitor)
			// A desktop without Wi-Fi passes the intake: it goes only to a
			// fiber home (allocation time, issue 11). Unknown: inspect.
			if s.DesktopWiFiRequired && !d.WiFi.Known() {
				cond(d.WiFi, ReasonNoWiFi, ReasonUnknownWiFi)
			}
		}
	default:
		fail(ReasonUnknownType)
	}
	res := SpecResult{OK: len(reasons) == 0, Status: StatusOK, Reasons: reasons, Warnings: warnings}
	if res.OK {
		return res
	}
	res.Status = StatusRepair
	if unknown > 0 {
		res.Status = StatusInspect
	}
	for _, r := range reasons {
		if liquidating(r) || (r == ReasonFreeStorage && storageUnfixable) {
			res.Liquidate = append(res.Liquidate, r)
			res.Status = StatusLiquidate
		}
	}
	return res
}

// CPU classes of cpuClass.
const (
	cpuUnrecorded = iota // no model recorded: the GHz rule alone decides (as before issue 11)
	cpuUnverified        // a model not recognised: the GHz rule decides, with a warning
	cpuOK                // Celeron/Pentium class or better
	cpuWeak              // below the Celeron/Pentium class: fails
)

// cpuClass classifies a laptop/desktop CPU model (seed 004: "Celeron,
// Pentium or better"). The documented rule: Intel Atom, ARM netbook chips
// (ARM, Cortex, Rockchip, Allwinner, MediaTek, VIA) and Celeron N models
// numbered below N2900 (the N2xxx generation up to N28xx, and older) are
// below the class; other Celeron and Pentium models, Core, Core 2, Xeon,
// Ryzen, Athlon, A-series APUs and Apple M chips are of the class or
// better; any other model is unverified (≥ 1.0 GHz passes with the warning
// cpu_class_unverified); no model recorded leaves the GHz rule alone.
func cpuClass(model string) int {
	m := strings.NewReplacer("(r)", "", "(tm)", "", "®", "", "™", "").Replace(strings.ToLower(strings.TrimSpace(model)))
	if m == "" {
		return cpuUnrecorded
	}
	for _, w := range []string{"atom", "arm", "cortex", "rockchip", "allwinner", "mediatek", "via "} {
		if strings.Contains(m, w) {
			return cpuWeak
		}
	}
	if i := strings.Index(m, "celeron"); i >= 0 {
		rest := strings.TrimLeft(m[i+len("celeron"):], " -")
		if strings.HasPrefix(rest, "n") {
			n, k := 0, 1
			for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
				n = n*10 + int(rest[k]-'0')
				k++
			}
			if k-1 == 4 && n < 2900 {
				return cpuWeak
			}
		}
		return cpuOK
	}
	for _, g := range []string{"pentium", "core", "xeon", "ryzen", "athlon", "apple m", "amd a", "i3", "i5", "i7", "i9"} {
		if strings.Contains(m, g) {
			return cpuOK
		}
	}
	return cpuUnverified
}

// checkMobileOS applies the OS rule of phones and tablets. The version is
// read from OSVersion, or from OS when OSVersion is empty ("Android 4.4").
func checkMobileOS(d data.Device, fail func(string)) {
	os := strings.ToLower(strings.TrimSpace(d.OS))
	var minMaj, minMin int
	switch {
	case os == "":
		fail(ReasonUnknownOS)
		return
	case strings.HasPrefix(os, "android"):
		minMaj, minMin = minAndroidMajor, minAndroidMinor
	case os == "ios" || strings.HasPrefix(os, "ios ") || strings.HasPrefix(os, "ipados") || strings.HasPrefix(os, "iphone os"):
		minMaj, minMin = minIOSMajor, 0
	default:
		fail(ReasonUnsupportedOS)
		return
	}
	v := d.OSVersion
	if strings.TrimSpace(v) == "" {
		v = os
	}
	maj, mnr, ok := parseVersion(v)
	if !ok {
		fail(ReasonUnknownOS)
		return
	}
	if maj < minMaj || (maj == minMaj && mnr < minMin) {
		fail(ReasonOSBelowMin)
	}
}

// parseVersion reads the first "major[.minor]" number in v.
func parseVersion(v string) (major, minor int, ok bool) {
	i := strings.IndexAny(v, "0123456789")
	if i < 0 {
		return 0, 0, false
	}
	num := func() int {
		n := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			if n < 1e6 {
				n = n*10 + int(v[i]-'0')
			}
			i++
		}
		return n
	}
	major = num()
	if i+1 < len(v) && v[i] == '.' && v[i+1] >= '0' && v[i+1] <= '9' {
		i++
		minor = num()
	}
	return major, minor, true
}

// SimResult is the outcome of the check of one SIM package.
type SimResult struct {
	OK      bool     `json:"ok"`
	Reasons []string `json:"reasons"`
}

// CheckSim checks a SIM-data package against the minimum (s.MinGBPerDay per
// day for s.MinMonths months; seed 004: 2 GB/day for 3 months), a positive
// quantity and a named operator.
func CheckSim(p data.SimPackage, s Settings) SimResult {
	var reasons []string
	if normOperator(p.Operator) == "" {
		reasons = append(reasons, ReasonSimNoOperator)
	}
	if p.GBPerDay < s.MinGBPerDay {
		reasons = append(reasons, ReasonSimGBPerDay)
	}
	if p.Months < s.MinMonths {
		reasons = append(reasons, ReasonSimMonths)
	}
	if p.Quantity <= 0 {
		reasons = append(reasons, ReasonSimQuantity)
	}
	return SimResult{OK: len(reasons) == 0, Reasons: reasons}
}
