package procstat

import (
	"runtime"
	"testing"
)

func TestReaders(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	rss, ok := PeakRSS()
	if !ok || rss <= 0 {
		t.Fatalf("PeakRSS = %d, %v", rss, ok)
	}
	if cur := StatusMB("VmRSS"); cur <= 0 || cur*1024*1024 > float64(rss)*1.01 {
		t.Fatalf("VmRSS %f MB against peak %d bytes", cur, rss)
	}
	if m := MeminfoBytes("MemTotal"); m < rss {
		t.Fatalf("MemTotal %d < peak RSS %d", m, rss)
	}
	if _, ok := StatusKB("NoSuchField"); ok {
		t.Fatal("a missing field was found")
	}
	if _, ok := CPU(); !ok {
		t.Fatal("CPU unavailable")
	}
	if LoadAvg() == "" {
		t.Fatal("LoadAvg empty")
	}
}

func TestFormatBytes(t *testing.T) {
	for b, want := range map[int64]string{3 << 30: "3.00 GB", 5 << 20: "5 MB", 7 << 10: "7 kB"} {
		if got := FormatBytes(b); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", b, got, want)
		}
	}
}
