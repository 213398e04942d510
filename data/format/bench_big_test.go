//go:build unix

package format

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
)

// BenchmarkReadBigTables reads households.csv and students.csv of
// $GAPMAP_BIG_DIR (e.g. Bắc Giang generated 16 times over: 7.6M households,
// 7M students) as ReadDir does (records appended to presized slices), and
// reports the CPU seconds of the process per read beside the wall time.
// Skipped without the variable.
func BenchmarkReadBigTables(b *testing.B) {
	dir := os.Getenv("GAPMAP_BIG_DIR")
	if dir == "" {
		b.Skip("GAPMAP_BIG_DIR is not set")
	}
	ctx := context.Background()
	hp, sp := filepath.Join(dir, "households.csv"), filepath.Join(dir, "students.csv")
	var size int64
	for _, p := range []string{hp, sp} {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		size += st.Size()
	}
	b.SetBytes(size)
	b.ReportAllocs()
	var cpu time.Duration
	rows := 0
	for b.Loop() {
		c0 := cpuTime()
		errs := &data.ValidationError{}
		hh := slices.Grow([]data.Household(nil), rowsHint(hp))
		if err := ReadHouseholds(ctx, hp, errs, func(_ int, h data.Household) error { hh = append(hh, h); return nil }); err != nil {
			b.Fatal(err)
		}
		st := slices.Grow([]data.Student(nil), rowsHint(sp))
		if err := ReadStudents(ctx, sp, errs, func(_ int, s data.Student) error { st = append(st, s); return nil }); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
		rows = len(hh) + len(st)
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(rows), "rows")
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
