package allocation

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/internal/procstat"
)

// GenerateBench synthesises a national-scale input for benchmarks and
// property tests: provinces (districts/11, at least one) → districts →
// communes; four schools per commune plus an upper-secondary school per
// district (hung at the district) and a GDNN-GDTX centre per tenth district
// (2M students, 700 districts and 11k communes give ≈45k schools); students
// spread over the schools, ≈38% of them in tiers 1–3 and most of those
// without a device; homes mostly 4G or fiber, ≈20% without; devices (≈8%
// failing the specs, ≈25% held by a province, district or commune rather
// than the national pool, 1% already allocated); SIM packages per province
// and operator plus national ones (some below the minimum). The same seed
// gives the same input.
func GenerateBench(seed int64, students, devices, districts, communes int) Input {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9a9ba9))
	districts = max(1, districts)
	communes = max(1, communes)
	provinces := max(1, districts/11)
	var in Input
	in.Areas = make([]data.Area, 0, provinces+districts+communes)
	pcode := make([]string, provinces)
	for p := range provinces {
		pcode[p] = fmt.Sprintf("%02d", p+1)
		in.Areas = append(in.Areas, data.Area{Code: pcode[p], Name: "Province " + pcode[p], Level: "province"})
	}
	dcode := make([]string, districts)
	for d := range districts {
		dcode[d] = fmt.Sprintf("%03d", d+1)
		in.Areas = append(in.Areas, data.Area{Code: dcode[d], Name: "District " + dcode[d], Level: "district",
			ParentCode: pcode[d*provinces/districts]})
	}
	ccode := make([]string, communes)
	for c := range communes {
		ccode[c] = fmt.Sprintf("%05d", c+1)
		in.Areas = append(in.Areas, data.Area{Code: ccode[c], Name: "Commune " + ccode[c], Level: "commune",
			ParentCode: dcode[c*districts/communes]})
	}

	commLevels := [4]string{data.LevelPrimary, data.LevelPrimary, data.LevelLower, data.LevelLower}
	in.Schools = make([]data.School, 0, communes*4+districts+districts/10+1)
	addSchool := func(area, level string) {
		id := fmt.Sprintf("SCH%06d", len(in.Schools)+1)
		in.Schools = append(in.Schools, data.School{ID: id, Name: "School " + id, Level: level, AreaCode: area, Internet: data.InternetFiber})
	}
	for c := range communes {
		for _, l := range commLevels {
			if l == data.LevelLower && rng.IntN(4) == 0 {
				l = data.LevelPrimary
			}
			addSchool(ccode[c], l)
		}
	}
	for d := range districts {
		addSchool(dcode[d], data.LevelUpper)
		if d%10 == 0 {
			addSchool(dcode[d], data.LevelGDNNGDTX)
		}
	}

	opSets := [][]string{
		{data.OpViettel},
		{data.OpViettel, data.OpVinaphone},
		{data.OpViettel, data.OpVinaphone, data.OpMobifone},
		{data.OpMobifone},
		{data.OpVinaphone},
		{data.OpViettel, data.OpMobifone, data.OpVinaphone, data.OpVietnamobile},
	}
	in.Students = make([]data.Student, students)
	in.Connectivity = make(map[string]Connectivity, students*3/4)
	in.Served = map[string]bool{}
	hh := ""
	for i := range students {
		if hh == "" || rng.IntN(10) < 7 {
			hh = fmt.Sprintf("HH%08d", len(in.Connectivity)+1)
			var c Connectivity
			switch r := rng.IntN(100); {
			case r < 30:
				c = Connectivity{Class: ClassFiber, Operators4G: opSets[rng.IntN(len(opSets))]}
			case r < 80:
				c = Connectivity{Class: Class4G, Operators4G: opSets[rng.IntN(len(opSets))]}
			case r < 85:
				c = Connectivity{Class: Class3G}
			case r < 88:
				c = Connectivity{Class: Class2G}
			default:
				c = Connectivity{Class: ClassNone}
			}
			in.Connectivity[hh] = c
		}
		s := data.Student{
			ID:          fmt.Sprintf("HS%08d", i+1),
			HouseholdID: hh,
			SchoolID:    in.Schools[rng.IntN(len(in.Schools))].ID,
			Grade:       1 + rng.IntN(12),
		}
		switch r := rng.IntN(100); {
		case r < 62:
			s.Priority = data.TierNone
		case r < 76:
			s.Priority = data.TierPoor
		case r < 88:
			s.Priority = data.TierNearPoor
		default:
			s.Priority = data.TierCovid
		}
		if s.Priority == data.TierNone {
			s.HasDevice = rng.IntN(2) == 0
		} else {
			s.HasDevice = rng.IntN(100) < 15
		}
		if rng.IntN(200) == 0 {
			in.Served[s.ID] = true
		}
		in.Students[i] = s
	}

	in.Devices = make([]data.Device, devices)
	in.AllocatedDevices = map[string]bool{}
	for i := range devices {
		d := data.Device{ID: fmt.Sprintf("DV%08d", i+1), Donor: "donor", HasCharger: data.CondYes, AVOK: data.CondYes}
		switch r := rng.IntN(100); {
		case r < 35:
			d.Type, d.OS, d.OSVersion, d.RAMGB, d.StorageGB, d.FreeStorageGB = data.DevicePhone, "android", "10", 3, 32, 12
		case r < 60:
			d.Type, d.OS, d.OSVersion, d.RAMGB, d.StorageGB, d.FreeStorageGB = data.DeviceTablet, "ios", "14.2", 3, 64, 20
		case r < 90:
			d.Type, d.OS, d.CPUGHz, d.RAMGB, d.StorageGB = data.DeviceLaptop, "windows", 2.1, 4, 256
			d.ScreenOK, d.KeyboardOK = data.CondYes, data.CondYes
		default:
			d.Type, d.OS, d.CPUGHz, d.RAMGB, d.StorageGB = data.DeviceDesktop, "windows", 2.8, 8, 500
			d.ScreenOK, d.KeyboardOK, d.HasMonitor, d.WiFi = data.CondYes, data.CondYes, data.CondYes, data.CondYes
		}
		if rng.IntN(100) < 8 {
			switch rng.IntN(4) {
			case 0:
				d.HasCharger, d.HasMonitor = data.CondNo, data.CondNo
			case 1:
				d.RAMGB = 1
			case 2:
				d.AVOK = data.CondNo
			default:
				d.OSVersion, d.CPUGHz = "4.1", 0.8
			}
		}
		switch r := rng.IntN(100); {
		case r < 10:
			d.AreaCode = pcode[rng.IntN(provinces)]
		case r < 20:
			d.AreaCode = dcode[rng.IntN(districts)]
		case r < 25:
			d.AreaCode = ccode[rng.IntN(communes)]
		}
		if rng.IntN(100) == 0 {
			in.AllocatedDevices[d.ID] = true
		}
		in.Devices[i] = d
	}

	ops := []string{data.OpViettel, data.OpVinaphone, data.OpMobifone, data.OpVietnamobile}
	perPkg := max(1, devices/(2*(provinces+1)*len(ops)))
	in.SimUsed = map[string]int{}
	addPkg := func(area string) {
		for _, op := range ops {
			p := data.SimPackage{
				ID: fmt.Sprintf("SIM%05d", len(in.SimPackages)+1), Operator: op,
				GBPerDay: 4, Months: 3, Quantity: perPkg/2 + rng.IntN(perPkg+1), AreaCode: area,
			}
			if rng.IntN(10) == 0 {
				p.GBPerDay = 1
			}
			if rng.IntN(10) == 0 {
				in.SimUsed[p.ID] = p.Quantity / 3
			}
			in.SimPackages = append(in.SimPackages, p)
		}
	}
	addPkg("")
	for _, p := range pcode {
		addPkg(p)
	}
	return in
}

// Targets of the allocation benchmark (issue #4).
const (
	BenchWallTarget = 3 * time.Second
	BenchRSSTarget  = 2 << 30 // bytes
)

// BenchOptions are the sizes of a benchmark run (gapmap bench allocation).
type BenchOptions struct {
	Runs                                   int // ≥ 1
	Students, Devices, Districts, Communes int
	Seed                                   int64
	Settings                               Settings
}

// RunBench generates a national-scale input in memory (GenerateBench),
// runs Allocate o.Runs times and writes to w, as it goes, the wall time of
// each run, then the median, min and max wall time of Allocate alone and the
// process's peak RSS (VmHWM, generator included) against the targets.
func RunBench(ctx context.Context, o BenchOptions, w io.Writer) error {
	if o.Runs < 1 || o.Students < 1 || o.Devices < 0 || o.Districts < 1 || o.Communes < 1 {
		return fmt.Errorf("allocation bench: runs, students, districts and communes must be at least 1, devices at least 0")
	}
	start := time.Now()
	in := GenerateBench(o.Seed, o.Students, o.Devices, o.Districts, o.Communes)
	gen := time.Since(start)
	if err := ctx.Err(); err != nil {
		return err
	}
	rssAfterGen, _ := procstat.PeakRSS()
	fmt.Fprintf(w, "gapmap bench allocation: %d students, %d devices, %d areas, %d schools, %d SIM packages (seed %d), GOMAXPROCS %d\n",
		len(in.Students), len(in.Devices), len(in.Areas), len(in.Schools), len(in.SimPackages), o.Seed, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "input generated in %s (peak RSS so far %s)\n\n", gen.Round(time.Millisecond), procstat.FormatBytes(rssAfterGen))

	walls := make([]time.Duration, 0, o.Runs)
	var res *Result
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\twall\tallocations\tSIMs\tunmet")
	for i := range o.Runs {
		runtime.GC() // each run starts from the same heap
		t0 := time.Now()
		var err error
		res, err = Allocate(ctx, in, o.Settings)
		wall := time.Since(t0)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		walls = append(walls, wall)
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\n", i+1, benchSeconds(wall), len(res.Allocations), res.Totals.SimsGiven, res.Totals.Unmet)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	slices.Sort(walls)
	median := walls[len(walls)/2]
	if len(walls)%2 == 0 {
		median = (walls[len(walls)/2-1] + walls[len(walls)/2]) / 2
	}
	rss, rssOK := procstat.PeakRSS()
	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "OVER TARGET"
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tvalue\ttarget\t")
	fmt.Fprintf(tw, "median wall (Allocate)\t%s\t≤ %s\t%s\n", benchSeconds(median), benchSeconds(BenchWallTarget), verdict(median <= BenchWallTarget))
	fmt.Fprintf(tw, "min / max wall\t%s / %s\t\t\n", benchSeconds(walls[0]), benchSeconds(walls[len(walls)-1]))
	if rssOK {
		fmt.Fprintf(tw, "peak RSS (VmHWM, generator included)\t%s\t≤ %s\t%s\n", procstat.FormatBytes(rss), procstat.FormatBytes(BenchRSSTarget), verdict(rss <= BenchRSSTarget))
	} else {
		fmt.Fprintf(tw, "peak RSS\tunavailable (no /proc/self/status)\t≤ %s\t\n", procstat.FormatBytes(BenchRSSTarget))
	}
	fmt.Fprintf(tw, "needs (tiers 1–3, no device)\t%d\t\t\n", res.Totals.Needs)
	fmt.Fprintf(tw, "allocations made\t%d\t\t\n", len(res.Allocations))
	fmt.Fprintf(tw, "SIMs given\t%d\t\t\n", res.Totals.SimsGiven)
	fmt.Fprintf(tw, "devices rejected at intake\t%d\t\t\n", len(res.RejectedDevices))
	return tw.Flush()
}

func benchSeconds(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }
