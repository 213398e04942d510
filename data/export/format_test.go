package export

import "testing"

// The output path's extension gives the format, any case; anything else
// (stdout's "-" included) is CSV.
func TestFormatOf(t *testing.T) {
	for path, want := range map[string]string{
		"gaps.xlsx": "xlsx", "GAPS.XLSX": "xlsx", "a/b.geojson": "geojson", "x.json": "geojson",
		"x.KML": "kml", "x.csv": "csv", "x.txt": "csv", "-": "csv", "noext": "csv",
	} {
		if got := FormatOf(path); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", path, got, want)
		}
	}
}
