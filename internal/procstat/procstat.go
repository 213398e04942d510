// Package procstat reads the memory and CPU figures of this process and
// machine from /proc (Linux) for the benchmarks, and sets the soft memory
// limit of the big in-memory runs. Elsewhere every reader reports "not
// available" (ok false, 0 or "").
package procstat

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// StatusKB reads a kB field of /proc/self/status, such as VmHWM (peak
// resident set) or VmRSS.
func StatusKB(field string) (int64, bool) {
	return kbField("/proc/self/status", field)
}

// StatusMB reads a kB field of /proc/self/status in MB (0 when absent).
func StatusMB(field string) float64 {
	kb, _ := StatusKB(field)
	return float64(kb) / 1024
}

// PeakRSS is the process's peak resident set size (VmHWM) in bytes.
func PeakRSS() (int64, bool) {
	kb, ok := StatusKB("VmHWM")
	return kb << 10, ok
}

// ResetPeakRSS resets VmHWM to the current RSS (Linux ≥ 4.0).
func ResetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// MeminfoBytes reads a kB field of /proc/meminfo in bytes (0 when absent).
func MeminfoBytes(field string) int64 {
	kb, _ := kbField("/proc/meminfo", field)
	return kb << 10
}

// LimitMemory sets a soft memory limit for the big in-memory runs
// (analyze, plan, bench coverage) unless GOMEMLIMIT is set: the GC then
// collects harder instead of letting the heap grow to twice the live data
// (an offline national analysis holds about 5 GB live at its peak, so the
// whole process stays under 8 GiB). The limit is 7 GiB or three quarters
// of the machine's memory, the smaller.
func LimitMemory(getenv func(string) string) {
	if getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := int64(7 << 30)
	if total := MeminfoBytes("MemTotal"); total > 0 && total*3/4 < limit {
		limit = total * 3 / 4
	}
	debug.SetMemoryLimit(limit)
}

// CPU reads the user and system CPU time of this process from
// /proc/self/stat (clock ticks of 1/100 s).
func CPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	// After the command: state is field 3; utime and stime are 14 and 15.
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, true
}

// LoadAvg reads the 1, 5 and 15 minute load averages of the machine.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// FormatBytes writes a size as GB (two decimals), MB or kB.
func FormatBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d kB", b>>10)
}

// kbField reads the first number after "field:" in a /proc file.
func kbField(path, field string) (int64, bool) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0, false
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb, err == nil
		}
	}
	return 0, false
}
