package allocation

import (
	"slices"
	"testing"

	"github.com/gapmap/gapmap/data"
)

// TestDesktopWithoutWiFi (issue 11): a desktop without a Wi-Fi adapter
// passes the intake but goes only to a fiber home; a 4G home waits for a
// device that fits.
func TestDesktopWithoutWiFi(t *testing.T) {
	desktop := func(id string, wifi data.Cond) data.Device {
		d := goodDesktop()
		d.ID, d.WiFi = id, wifi
		return d
	}
	in := func(devs ...data.Device) Input {
		return Input{
			Areas:   []data.Area{area("P", "")},
			Schools: []data.School{school("S1", data.LevelUpper, "P")},
			Students: []data.Student{
				student("a1", "S1", 1, "h-4g"),
				student("a2", "S1", 2, "h-fiber"),
				student("a3", "S1", 3, "h-4g2"),
			},
			Connectivity: map[string]Connectivity{
				"h-4g":    {Class: Class4G, Operators4G: []string{"viettel"}},
				"h-fiber": {Class: ClassFiber},
				"h-4g2":   {Class: Class4G, Operators4G: []string{"viettel"}},
			},
			Devices: devs,
		}
	}
	unserved := func(res *Result) map[string]string {
		m := map[string]string{}
		for _, u := range res.Unserved {
			m[u.StudentID] = u.Reason
		}
		return m
	}

	// One desktop with Wi-Fi, one without: a1 (tier 1, 4G) takes the one
	// with Wi-Fi, a2 (fiber) the one without, a3 waits for stock.
	res := run(t, in(desktop("DA", data.CondNo), desktop("DB", data.CondYes)), DefaultSettings())
	got := byStudent(res)
	if len(got) != 2 || got["a1"].DeviceID != "DB" || got["a2"].DeviceID != "DA" {
		t.Fatalf("allocations %+v", res.Allocations)
	}
	if u := unserved(res); len(u) != 1 || u["a3"] != ReasonWaitNoStock {
		t.Fatalf("unserved %v", u)
	}
	if len(res.RejectedDevices) != 0 || len(res.UnusedDevices) != 0 {
		t.Fatalf("rejected %+v unused %v", res.RejectedDevices, res.UnusedDevices)
	}

	// Only a desktop without Wi-Fi: a1 (4G) cannot take it, a2 (fiber,
	// lower tier) does and waits with the Wi-Fi reason; a3 then waits for
	// stock (nothing left).
	res = run(t, in(desktop("DA", data.CondNo)), DefaultSettings())
	got = byStudent(res)
	if len(got) != 1 || got["a2"].DeviceID != "DA" {
		t.Fatalf("allocations %+v", res.Allocations)
	}
	if u := unserved(res); len(u) != 2 || u["a1"] != ReasonWaitNoWiFi || u["a3"] != ReasonWaitNoStock {
		t.Fatalf("unserved %v", u)
	}

	// Two desktops without Wi-Fi and one fiber home: the second is unused.
	res = run(t, in(desktop("DA", data.CondNo), desktop("DC", data.CondNo)), DefaultSettings())
	got = byStudent(res)
	if len(got) != 1 || got["a2"].DeviceID == "" || !slices.Equal(res.UnusedDevices, []string{map[string]string{"DA": "DC", "DC": "DA"}[got["a2"].DeviceID]}) {
		t.Fatalf("allocations %+v unused %v", res.Allocations, res.UnusedDevices)
	}

	// With desktop_wifi_required false, any home takes it.
	s := DefaultSettings()
	s.DesktopWiFiRequired = false
	res = run(t, in(desktop("DA", data.CondNo)), s)
	if got = byStudent(res); len(got) != 1 || got["a1"].DeviceID != "DA" {
		t.Fatalf("allocations %+v", res.Allocations)
	}

	// Wi-Fi not stated: the desktop needs an inspection.
	res = run(t, in(desktop("DA", data.CondUnknown)), DefaultSettings())
	if len(res.Allocations) != 0 || len(res.RejectedDevices) != 1 || res.RejectedDevices[0].Status != StatusInspect ||
		!slices.Equal(res.RejectedDevices[0].Reasons, []string{ReasonUnknownWiFi}) {
		t.Fatalf("allocations %+v rejected %+v", res.Allocations, res.RejectedDevices)
	}
}
