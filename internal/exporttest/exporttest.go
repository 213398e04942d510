// Package exporttest reads the operators' exports back for tests: every
// format into rows keyed by the CSV header, checking each format's own
// rules on the way (BOM, bold frozen XLSX header, RFC 7946 points, KML 2.2
// with hexagons), and opens GeoJSON and KML files with ogrinfo (GDAL), as
// a GIS user would.
package exporttest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/export"
	"github.com/gapmap/gapmap/data/format"
	"github.com/xuri/excelize/v2"
)

// Rows are the rows of an export keyed by the CSV header.
type Rows []map[string]string

// Parse reads an export of format f back.
func Parse(t *testing.T, f string, b []byte) Rows {
	t.Helper()
	switch f {
	case "csv":
		return ParseCSV(t, b)
	case "xlsx":
		return ParseXLSX(t, b)
	case "geojson":
		return ParseGeoJSON(t, b)
	case "kml":
		return ParseKML(t, b)
	}
	t.Fatalf("exporttest: unknown format %q", f)
	return nil
}

// ParseCSV checks the BOM and the header, and undoes the formula escaping.
func ParseCSV(t *testing.T, b []byte) Rows {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Error("CSV: no UTF-8 BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v", err)
	}
	if strings.Join(recs[0], ",") != strings.Join(export.Header(), ",") {
		t.Errorf("CSV header %q", recs[0])
	}
	var rows Rows
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			if r[i] != "" {
				m[h] = format.UnescapeCell(r[i])
			}
		}
		rows = append(rows, m)
	}
	return rows
}

// ParseXLSX opens the workbook with excelize and checks the bilingual,
// bold, frozen header.
func ParseXLSX(t *testing.T, b []byte) Rows {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("XLSX: %v", err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], "|") != strings.Join(export.Labels(), "|") {
		t.Errorf("XLSX header: %q", rows[0])
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("XLSX: first row not frozen: %+v %v", panes, err)
	}
	style, err := f.GetCellStyle(sheet, "A1")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := f.GetStyle(style); err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("XLSX: header not bold")
	}
	keys := export.Header()
	var out Rows
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range keys {
			if i < len(r) && r[i] != "" {
				m[h] = r[i]
			}
		}
		out = append(out, m)
	}
	return out
}

// ParseGeoJSON checks an RFC 7946 FeatureCollection of Points in Vietnam
// (lon first).
func ParseGeoJSON(t *testing.T, b []byte) Rows {
	t.Helper()
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type     string `json:"type"`
			Geometry struct {
				Type        string    `json:"type"`
				Coordinates []float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatalf("GeoJSON: %v", err)
	}
	if fc.Type != "FeatureCollection" {
		t.Errorf("GeoJSON type %q", fc.Type)
	}
	var rows Rows
	for _, f := range fc.Features {
		m := map[string]string{}
		for k, v := range f.Properties {
			if v != nil {
				m[k] = fmt.Sprint(v)
			}
		}
		if f.Geometry.Type != "Point" || len(f.Geometry.Coordinates) != 2 {
			t.Errorf("GeoJSON geometry %+v", f.Geometry)
		} else if lon := f.Geometry.Coordinates[0]; lon < 100 || lon > 118 {
			t.Errorf("GeoJSON: lon %v out of Vietnam (lon must come first)", lon)
		}
		rows = append(rows, m)
	}
	return rows
}

// ParseKML checks a KML 2.2 document whose cells carry their hexagon.
func ParseKML(t *testing.T, b []byte) Rows {
	t.Helper()
	var doc struct {
		XMLName  xml.Name
		Document struct {
			Styles []struct {
				ID string `xml:"id,attr"`
			} `xml:"Style"`
			Placemarks []struct {
				Name     string `xml:"name"`
				StyleURL string `xml:"styleUrl"`
				Data     []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value"`
				} `xml:"ExtendedData>Data"`
				Polygon *struct {
					Coordinates string `xml:"outerBoundaryIs>LinearRing>coordinates"`
				} `xml:"MultiGeometry>Polygon"`
			} `xml:"Placemark"`
		} `xml:"Document"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("KML: %v", err)
	}
	if doc.XMLName.Space != "http://www.opengis.net/kml/2.2" || doc.XMLName.Local != "kml" {
		t.Errorf("KML root %v", doc.XMLName)
	}
	if len(doc.Document.Styles) != 2 {
		t.Errorf("KML styles %+v", doc.Document.Styles)
	}
	var rows Rows
	for _, pm := range doc.Document.Placemarks {
		m := map[string]string{}
		for _, d := range pm.Data {
			if d.Value != "" {
				m[d.Name] = d.Value
			}
		}
		if pm.StyleURL != "#"+m["kind"] {
			t.Errorf("KML style %q for %q", pm.StyleURL, m["kind"])
		}
		if m["kind"] == export.KindCell && (pm.Polygon == nil || strings.Count(strings.TrimSpace(pm.Polygon.Coordinates), " ") != 6) {
			t.Errorf("KML cell %s without its hexagon", pm.Name)
		}
		rows = append(rows, m)
	}
	return rows
}

var featureCount = regexp.MustCompile(`Feature Count: (\d+)`)

// OGRFeatureCount opens a GeoJSON or KML file with ogrinfo and returns the
// number of features GDAL reads in it (all layers).
func OGRFeatureCount(t *testing.T, name string, b []byte) int {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ogrinfo", "-ro", "-al", "-so", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", name, err, out)
	}
	if bytes.Contains(out, []byte("ERROR")) {
		t.Fatalf("ogrinfo %s reports an error:\n%s", name, out)
	}
	n := 0
	for _, m := range featureCount.FindAllSubmatch(out, -1) {
		k, _ := strconv.Atoi(string(m[1]))
		n += k
	}
	return n
}

// Int reads a count column (0 when empty).
func Int(t *testing.T, r map[string]string, col string) int {
	t.Helper()
	v, ok := r[col]
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("column %s: %q is not an integer", col, v)
	}
	return n
}
