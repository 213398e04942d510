package export

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data/format"
	"github.com/xuri/excelize/v2"
)

// Formats lists the supported formats.
func Formats() []string { return []string{"csv", "xlsx", "geojson", "kml"} }

// Write writes pts in the format named f (see Formats).
func Write(w io.Writer, f string, pts []Point, o Options) error {
	switch f {
	case "csv":
		return WriteCSV(w, pts, o)
	case "xlsx":
		return WriteXLSX(w, pts, o)
	case "geojson":
		return WriteGeoJSON(w, pts, o)
	case "kml":
		return WriteKML(w, pts, o)
	}
	return fmt.Errorf("export: unknown format %q (use %s)", f, strings.Join(Formats(), ", "))
}

// WriteCSV writes a CSV for Excel: UTF-8 BOM, the Header row, cells
// escaped against formula injection (format.NewCSV).
func WriteCSV(w io.Writer, pts []Point, o Options) error {
	c, err := format.NewCSV(w, Header())
	if err != nil {
		return err
	}
	cs := columns()
	var vals []any
	rec := make([]string, len(cs))
	for i := range pts {
		if err := check(i, &pts[i]); err != nil {
			return err
		}
		vals = values(cs, o, &pts[i], vals)
		for k, v := range vals {
			rec[k] = text(v)
		}
		if err := c.Write(rec); err != nil {
			return err
		}
	}
	return c.Flush()
}

// WriteXLSX writes a one-sheet workbook: bilingual bold header (Labels),
// first row frozen, numbers as numbers and everything else as text (text
// cells are never formulas in XLSX).
func WriteXLSX(w io.Writer, pts []Point, o Options) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Diem lom song"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	labels := Labels()
	for i := range labels {
		width := 14.0
		if i == 1 || i == 3 || i == 8 {
			width = 24
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	row := make([]any, len(labels))
	for i, l := range labels {
		row[i] = excelize.Cell{StyleID: bold, Value: l}
	}
	if err := sw.SetRow("A1", row); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	cs := columns()
	var vals []any
	for i := range pts {
		if err := check(i, &pts[i]); err != nil {
			return err
		}
		vals = values(cs, o, &pts[i], vals)
		ref, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return fmt.Errorf("export: row %d: %w", i+2, err)
		}
		if err := sw.SetRow(ref, vals); err != nil {
			return fmt.Errorf("export: row %d: %w", i+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("export: writing the workbook: %w", err)
	}
	return nil
}

type geometry struct {
	Type        string     `json:"type"`
	Coordinates any        `json:"coordinates,omitempty"`
	Geometries  []geometry `json:"geometries,omitempty"`
}

type feature struct {
	Type       string         `json:"type"`
	Geometry   geometry       `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

func lonLat(lat, lon float64) [2]float64 {
	return [2]float64{math.Round(lon*1e7) / 1e7, math.Round(lat*1e7) / 1e7}
}

// WriteGeoJSON writes an RFC 7946 FeatureCollection (lon/lat, WGS84), one
// feature per point: a school is a Point; a gap cell is a
// GeometryCollection of its centre (Point) and its hexagon (Polygon).
func WriteGeoJSON(w io.Writer, pts []Point, o Options) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if _, err := bw.WriteString("{\"type\":\"FeatureCollection\",\"features\":[\n"); err != nil {
		return err
	}
	cs := columns()
	var vals []any
	for i := range pts {
		p := &pts[i]
		if err := check(i, p); err != nil {
			return err
		}
		vals = values(cs, o, p, vals)
		props := make(map[string]any, len(cs)+1)
		for k, c := range cs {
			props[c.key] = vals[k]
		}
		props["suppressed"] = o.Suppressed(p)
		g := geometry{Type: "Point", Coordinates: lonLat(p.Lat, p.Lon)}
		if len(p.Hexagon) > 0 {
			ring := make([][2]float64, len(p.Hexagon))
			for k, q := range p.Hexagon {
				ring[k] = lonLat(q[1], q[0])
			}
			g = geometry{Type: "GeometryCollection", Geometries: []geometry{g, {Type: "Polygon", Coordinates: [][][2]float64{ring}}}}
		}
		if i > 0 {
			if err := bw.WriteByte(','); err != nil {
				return err
			}
		}
		// The encoder ends every feature with a newline; "<3" stays "<3".
		if err := enc.Encode(feature{Type: "Feature", Geometry: g, Properties: props}); err != nil {
			return fmt.Errorf("export: point %d: %w", i, err)
		}
	}
	if _, err := bw.WriteString("]}\n"); err != nil {
		return err
	}
	return bw.Flush()
}

// KML 2.2 document model (encoding/xml escapes every text).
type kmlDoc struct {
	XMLName  xml.Name `xml:"kml"`
	NS       string   `xml:"xmlns,attr"`
	Document kmlDocument
}

type kmlDocument struct {
	Name        string      `xml:"name"`
	Description string      `xml:"description"`
	Styles      []kmlStyle  `xml:"Style"`
	Folders     []kmlFolder `xml:"Folder"`
}

type kmlStyle struct {
	ID        string        `xml:"id,attr"`
	IconStyle *kmlIconStyle `xml:"IconStyle,omitempty"`
	LineStyle *kmlLineStyle `xml:"LineStyle,omitempty"`
	PolyStyle *kmlPolyStyle `xml:"PolyStyle,omitempty"`
}

type kmlIconStyle struct {
	Color string  `xml:"color"`
	Scale float64 `xml:"scale"`
	Icon  struct {
		Href string `xml:"href"`
	} `xml:"Icon"`
}

type kmlLineStyle struct {
	Color string  `xml:"color"`
	Width float64 `xml:"width"`
}

type kmlPolyStyle struct {
	Color string `xml:"color"`
}

type kmlFolder struct {
	Name       string         `xml:"name"`
	Placemarks []kmlPlacemark `xml:"Placemark"`
}

type kmlPlacemark struct {
	Name          string          `xml:"name"`
	StyleURL      string          `xml:"styleUrl"`
	ExtendedData  kmlExtendedData `xml:"ExtendedData"`
	Point         *kmlPoint       `xml:"Point,omitempty"`
	MultiGeometry *kmlMultiGeom   `xml:"MultiGeometry,omitempty"`
}

type kmlExtendedData struct {
	Data []kmlData `xml:"Data"`
}

type kmlData struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value"`
}

type kmlPoint struct {
	Coordinates string `xml:"coordinates"`
}

type kmlPolygon struct {
	OuterBoundaryIs struct {
		LinearRing struct {
			Coordinates string `xml:"coordinates"`
		} `xml:"LinearRing"`
	} `xml:"outerBoundaryIs"`
}

type kmlMultiGeom struct {
	Point   kmlPoint   `xml:"Point"`
	Polygon kmlPolygon `xml:"Polygon"`
}

func kmlCoord(lat, lon float64) string {
	return strconv.FormatFloat(math.Round(lon*1e7)/1e7, 'f', -1, 64) + "," + strconv.FormatFloat(math.Round(lat*1e7)/1e7, 'f', -1, 64) + ",0"
}

// WriteKML writes a KML 2.2 document: a folder of gap cells (centre and
// hexagon, red) and a folder of schools (yellow pins), each Placemark with
// every attribute in ExtendedData.
func WriteKML(w io.Writer, pts []Point, o Options) error {
	doc := kmlDoc{NS: "http://www.opengis.net/kml/2.2"}
	d := &doc.Document
	d.Name = o.Title()
	d.Description = "gapmap: ô H3 lõm sóng và trường chưa kết nối; không có dữ liệu cá nhân. " +
		"Gap H3 cells and unconnected schools; no personal data. Counts of cells with fewer than " +
		strconv.Itoa(o.minCount()) + " households are shown as <" + strconv.Itoa(o.minCount()) + "."
	icon := func(color string) *kmlIconStyle {
		s := &kmlIconStyle{Color: color, Scale: 1}
		s.Icon.Href = "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
		return s
	}
	d.Styles = []kmlStyle{
		{ID: KindGapCell, IconStyle: icon("ff0000ff"), LineStyle: &kmlLineStyle{Color: "ff0000ff", Width: 1}, PolyStyle: &kmlPolyStyle{Color: "660000ff"}},
		{ID: KindSchool, IconStyle: icon("ff00ffff")},
	}
	cells := kmlFolder{Name: "Ô lõm sóng / Gap cells"}
	schools := kmlFolder{Name: "Trường chưa kết nối / Unconnected schools"}
	cs := columns()
	var vals []any
	for i := range pts {
		p := &pts[i]
		if err := check(i, p); err != nil {
			return err
		}
		vals = values(cs, o, p, vals)
		pm := kmlPlacemark{StyleURL: "#" + p.Kind}
		for k, c := range cs {
			pm.ExtendedData.Data = append(pm.ExtendedData.Data, kmlData{Name: c.key, Value: text(vals[k])})
		}
		pt := kmlPoint{Coordinates: kmlCoord(p.Lat, p.Lon)}
		if p.Kind == KindSchool {
			pm.Name = strings.TrimSpace(p.Name + " (" + p.SchoolID + ")")
			pm.Point = &pt
			schools.Placemarks = append(schools.Placemarks, pm)
			continue
		}
		pm.Name = p.H3
		if len(p.Hexagon) > 0 {
			mg := &kmlMultiGeom{Point: pt}
			coords := make([]string, len(p.Hexagon))
			for k, q := range p.Hexagon {
				coords[k] = kmlCoord(q[1], q[0])
			}
			mg.Polygon.OuterBoundaryIs.LinearRing.Coordinates = strings.Join(coords, " ")
			pm.MultiGeometry = mg
		} else {
			pm.Point = &pt
		}
		cells.Placemarks = append(cells.Placemarks, pm)
	}
	d.Folders = []kmlFolder{cells, schools}
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(bw)
	enc.Indent("", " ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("export: KML: %w", err)
	}
	if _, err := bw.WriteString("\n"); err != nil {
		return err
	}
	return bw.Flush()
}
