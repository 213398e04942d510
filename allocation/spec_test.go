package allocation

import (
	"slices"
	"testing"

	"github.com/gapmap/gapmap/data"
)

func goodPhone() data.Device {
	return data.Device{ID: "p", Type: data.DevicePhone, OS: "android", OSVersion: "4.4", RAMGB: 2, StorageGB: 16, FreeStorageGB: 5, HasCharger: data.CondYes, AVOK: data.CondYes, Headphones: data.CondYes}
}

func goodLaptop() data.Device {
	return data.Device{ID: "l", Type: data.DeviceLaptop, OS: "windows", CPUGHz: 1.0, RAMGB: 4, StorageGB: 120, HasCharger: data.CondYes, AVOK: data.CondYes, ScreenOK: data.CondYes, KeyboardOK: data.CondYes, BatteryOK: data.CondYes}
}

func goodDesktop() data.Device {
	d := goodLaptop()
	d.ID, d.Type, d.HasCharger, d.HasMonitor, d.WiFi = "d", data.DeviceDesktop, data.CondNo, data.CondYes, data.CondYes
	return d
}

func TestCheckDevice(t *testing.T) {
	s := DefaultSettings()
	noWiFi := s
	noWiFi.DesktopWiFiRequired = false
	tests := []struct {
		name     string
		d        func() data.Device
		s        Settings
		status   string
		reasons  []string
		warnings []string
	}{
		{"phone at the minimum", goodPhone, s, StatusOK, nil, nil},
		{"tablet iOS 9", func() data.Device {
			d := goodPhone()
			d.Type, d.OS, d.OSVersion = data.DeviceTablet, "iOS", "9.0"
			return d
		}, s, StatusOK, nil, nil},
		{"android 4.3", func() data.Device { d := goodPhone(); d.OSVersion = "4.3.1"; return d }, s, StatusLiquidate, []string{ReasonOSBelowMin}, nil},
		{"android 10 beats 4.4", func() data.Device { d := goodPhone(); d.OSVersion = "10"; return d }, s, StatusOK, nil, nil},
		{"version in the OS field", func() data.Device { d := goodPhone(); d.OS, d.OSVersion = "Android 4.2", ""; return d }, s, StatusLiquidate, []string{ReasonOSBelowMin}, nil},
		{"ios 8", func() data.Device { d := goodPhone(); d.OS, d.OSVersion = "ios", "8.4"; return d }, s, StatusLiquidate, []string{ReasonOSBelowMin}, nil},
		{"no OS recorded", func() data.Device { d := goodPhone(); d.OS = ""; return d }, s, StatusRepair, []string{ReasonUnknownOS}, nil},
		{"version unreadable", func() data.Device { d := goodPhone(); d.OSVersion = "KitKat"; d.OS = "android"; return d }, s, StatusRepair, []string{ReasonUnknownOS}, nil},
		{"windows phone", func() data.Device { d := goodPhone(); d.OS = "windows phone"; return d }, s, StatusLiquidate, []string{ReasonUnsupportedOS}, nil},
		{"phone RAM", func() data.Device { d := goodPhone(); d.RAMGB = 1.5; return d }, s, StatusLiquidate, []string{ReasonRAMBelow2GB}, nil},
		{"phone free storage", func() data.Device { d := goodPhone(); d.FreeStorageGB = 4.9; return d }, s, StatusRepair, []string{ReasonFreeStorage}, nil},
		{"phone storage too small to free", func() data.Device { d := goodPhone(); d.StorageGB, d.FreeStorageGB = 4, 1; return d }, s, StatusLiquidate, []string{ReasonFreeStorage}, nil},
		{"phone charger", func() data.Device { d := goodPhone(); d.HasCharger = data.CondNo; return d }, s, StatusRepair, []string{ReasonNoCharger}, nil},
		{"phone speaker/mic/camera", func() data.Device { d := goodPhone(); d.AVOK = data.CondNo; return d }, s, StatusRepair, []string{ReasonAVNotWorking}, nil},
		{"phone repair and liquidate", func() data.Device { d := goodPhone(); d.AVOK, d.RAMGB = data.CondNo, 1; return d }, s, StatusLiquidate, []string{ReasonRAMBelow2GB, ReasonAVNotWorking}, nil},
		{"laptop at the minimum with 2 GB", func() data.Device { d := goodLaptop(); d.RAMGB = 2; return d }, s, StatusOK, nil, []string{WarningRAMBelow4GB}},
		{"laptop 4 GB", goodLaptop, s, StatusOK, nil, nil},
		// Recommended extras (seed 004 "khuyến khích"): warnings only.
		{"phone without headphones", func() data.Device { d := goodPhone(); d.Headphones = data.CondNo; return d }, s, StatusOK, nil, []string{WarningNoHeadphones}},
		{"phone, headphones not stated", func() data.Device { d := goodPhone(); d.Headphones = data.CondUnknown; return d }, s, StatusOK, nil, []string{WarningNoHeadphones}},
		{"laptop with a worn battery", func() data.Device { d := goodLaptop(); d.BatteryOK = data.CondNo; return d }, s, StatusOK, nil, []string{WarningBattery}},
		{"laptop, battery not stated, 2 GB", func() data.Device { d := goodLaptop(); d.BatteryOK, d.RAMGB = data.CondUnknown, 2; return d }, s, StatusOK, nil, []string{WarningRAMBelow4GB, WarningBattery}},
		{"desktop needs no battery", func() data.Device { d := goodDesktop(); d.BatteryOK = data.CondNo; return d }, s, StatusOK, nil, nil},
		{"laptop CPU", func() data.Device { d := goodLaptop(); d.CPUGHz = 0.9; return d }, s, StatusLiquidate, []string{ReasonCPUBelow1GHz}, nil},
		{"laptop RAM", func() data.Device { d := goodLaptop(); d.RAMGB = 1; return d }, s, StatusLiquidate, []string{ReasonRAMBelow2GB}, nil},
		{"laptop disk", func() data.Device { d := goodLaptop(); d.StorageGB = 64; return d }, s, StatusLiquidate, []string{ReasonDiskBelow120GB}, nil},
		{"laptop charger", func() data.Device { d := goodLaptop(); d.HasCharger = data.CondNo; return d }, s, StatusRepair, []string{ReasonNoCharger}, nil},
		{"laptop screen", func() data.Device { d := goodLaptop(); d.ScreenOK = data.CondNo; return d }, s, StatusRepair, []string{ReasonScreen}, nil},
		{"laptop keyboard", func() data.Device { d := goodLaptop(); d.KeyboardOK = data.CondNo; return d }, s, StatusRepair, []string{ReasonKeyboard}, nil},
		{"laptop audio/webcam", func() data.Device { d := goodLaptop(); d.AVOK = data.CondNo; return d }, s, StatusRepair, []string{ReasonAVNotWorking}, nil},
		{"laptop everything", func() data.Device {
			return data.Device{Type: "Laptop", RAMGB: 3, HasCharger: data.CondNo, ScreenOK: data.CondNo, KeyboardOK: data.CondNo, AVOK: data.CondNo}
		}, s, StatusLiquidate,
			[]string{ReasonCPUBelow1GHz, ReasonDiskBelow120GB, ReasonNoCharger, ReasonScreen, ReasonKeyboard, ReasonAVNotWorking}, []string{WarningRAMBelow4GB, WarningBattery}},
		{"laptop bare specs: unknown conditions and liquidate", func() data.Device { return data.Device{Type: "Laptop", RAMGB: 3} }, s, StatusLiquidate,
			[]string{ReasonCPUBelow1GHz, ReasonDiskBelow120GB, ReasonUnknownCharger, ReasonUnknownScreen, ReasonUnknownKeyboard, ReasonUnknownAV}, []string{WarningRAMBelow4GB, WarningBattery}},
		// Issue 11: a required condition the file does not state sends the
		// device to inspection, with one reason per unknown condition.
		{"phone charger unknown", func() data.Device { d := goodPhone(); d.HasCharger = data.CondUnknown; return d }, s, StatusInspect, []string{ReasonUnknownCharger}, nil},
		{"phone charger and av unknown", func() data.Device {
			d := goodPhone()
			d.HasCharger, d.AVOK = data.CondUnknown, data.CondUnknown
			return d
		}, s, StatusInspect,
			[]string{ReasonUnknownCharger, ReasonUnknownAV}, nil},
		{"phone screen unknown is not required", func() data.Device { d := goodPhone(); d.ScreenOK = data.CondUnknown; return d }, s, StatusOK, nil, nil},
		{"laptop unknown and broken", func() data.Device {
			d := goodLaptop()
			d.ScreenOK, d.KeyboardOK = data.CondUnknown, data.CondNo
			return d
		}, s, StatusInspect,
			[]string{ReasonUnknownScreen, ReasonKeyboard}, nil},
		{"laptop monitor and wifi unknown are not required", func() data.Device {
			d := goodLaptop()
			d.HasMonitor, d.WiFi = data.CondUnknown, data.CondUnknown
			return d
		}, s, StatusOK, nil, nil},
		{"desktop charger unknown is not required", func() data.Device { d := goodDesktop(); d.HasCharger = data.CondUnknown; return d }, s, StatusOK, nil, nil},
		// Issue 11: the CPU class (Celeron/Pentium or better).
		{"laptop atom", func() data.Device { d := goodLaptop(); d.CPUGHz, d.CPUModel = 1.6, "Intel Atom N270"; return d }, s, StatusLiquidate, []string{ReasonCPUClass}, nil},
		{"laptop celeron N2840", func() data.Device {
			d := goodLaptop()
			d.CPUGHz, d.CPUModel = 2.16, "Intel(R) Celeron(R) N2840"
			return d
		}, s, StatusLiquidate, []string{ReasonCPUClass}, nil},
		{"laptop celeron N2940 passes", func() data.Device { d := goodLaptop(); d.CPUGHz, d.CPUModel = 1.83, "Celeron N2940"; return d }, s, StatusOK, nil, nil},
		{"laptop celeron N4020 passes", func() data.Device { d := goodLaptop(); d.CPUGHz, d.CPUModel = 1.1, "Intel Celeron N4020"; return d }, s, StatusOK, nil, nil},
		{"desktop pentium passes", func() data.Device { d := goodDesktop(); d.CPUModel = "Pentium G4560"; return d }, s, StatusOK, nil, nil},
		{"laptop ARM netbook", func() data.Device { d := goodLaptop(); d.CPUModel = "Rockchip RK3288"; return d }, s, StatusLiquidate, []string{ReasonCPUClass}, nil},
		{"laptop unknown model warns", func() data.Device { d := goodLaptop(); d.CPUGHz, d.CPUModel = 1.2, "Zhaoxin KX-6640"; return d }, s, StatusOK, nil, []string{WarningCPUUnverified}},
		{"laptop unknown model below 1 GHz", func() data.Device { d := goodLaptop(); d.CPUGHz, d.CPUModel = 0.9, "Zhaoxin KX-6640"; return d }, s, StatusLiquidate, []string{ReasonCPUBelow1GHz}, nil},
		{"laptop core i5 and 2 GB RAM warns", func() data.Device {
			d := goodLaptop()
			d.CPUGHz, d.CPUModel, d.RAMGB = 2.4, "Intel Core i5-3320M", 2
			return d
		}, s, StatusOK, nil, []string{WarningRAMBelow4GB}},
		{"desktop monitor unknown", func() data.Device { d := goodDesktop(); d.HasMonitor = data.CondUnknown; return d }, s, StatusInspect, []string{ReasonUnknownMonitor}, nil},
		{"desktop wifi unknown", func() data.Device { d := goodDesktop(); d.WiFi = data.CondUnknown; return d }, s, StatusInspect, []string{ReasonUnknownWiFi}, nil},
		{"desktop needs no charger", goodDesktop, s, StatusOK, nil, nil},
		{"desktop monitor", func() data.Device { d := goodDesktop(); d.HasMonitor = data.CondNo; return d }, s, StatusRepair, []string{ReasonNoMonitor}, nil},
		{"desktop without wifi passes intake (fiber homes only)", func() data.Device { d := goodDesktop(); d.WiFi = data.CondNo; return d }, s, StatusOK, nil, nil},
		{"desktop wifi not required", func() data.Device { d := goodDesktop(); d.WiFi = data.CondNo; return d }, noWiFi, StatusOK, nil, nil},
		{"desktop disk and wifi", func() data.Device { d := goodDesktop(); d.WiFi, d.StorageGB = data.CondNo, 100; return d }, s, StatusLiquidate, []string{ReasonDiskBelow120GB}, nil},
		{"unknown type", func() data.Device { return data.Device{Type: "watch"} }, s, StatusRepair, []string{ReasonUnknownType}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckDevice(tc.d(), tc.s)
			if got.Status != tc.status || got.OK != (tc.status == StatusOK) || !slices.Equal(got.Reasons, tc.reasons) || !slices.Equal(got.Warnings, tc.warnings) {
				t.Fatalf("got %+v, want status %s reasons %v warnings %v", got, tc.status, tc.reasons, tc.warnings)
			}
		})
	}
}

func TestCheckSim(t *testing.T) {
	s := DefaultSettings()
	ok := data.SimPackage{ID: "x", Operator: "Viettel", GBPerDay: 2, Months: 3, Quantity: 10}
	if r := CheckSim(ok, s); !r.OK || len(r.Reasons) != 0 {
		t.Fatalf("2 GB/day for 3 months passes: %+v", r)
	}
	bad := data.SimPackage{ID: "y", GBPerDay: 1.5, Months: 2}
	want := []string{ReasonSimNoOperator, ReasonSimGBPerDay, ReasonSimMonths, ReasonSimQuantity}
	if r := CheckSim(bad, s); r.OK || !slices.Equal(r.Reasons, want) {
		t.Fatalf("got %+v, want %v", r, want)
	}
	s.MinGBPerDay = 4
	if r := CheckSim(ok, s); r.OK || !slices.Equal(r.Reasons, []string{ReasonSimGBPerDay}) {
		t.Fatalf("a 4 GB/day minimum: %+v", r)
	}
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in       string
		maj, min int
		ok       bool
	}{
		{"4.4.2", 4, 4, true}, {"10", 10, 0, true}, {"iOS 9.3.5", 9, 3, true}, {"v12.", 12, 0, true}, {"", 0, 0, false}, {"KitKat", 0, 0, false},
	} {
		maj, mn, ok := parseVersion(tc.in)
		if maj != tc.maj || mn != tc.min || ok != tc.ok {
			t.Errorf("parseVersion(%q) = %d, %d, %v", tc.in, maj, mn, ok)
		}
	}
}
