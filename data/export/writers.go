package export

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data/format"
	"github.com/xuri/excelize/v2"
)

// Formats lists the supported formats.
func Formats() []string { return []string{"csv", "xlsx", "geojson", "kml"} }

// FormatOf is the format an output path asks for by its extension (.xlsx,
// .geojson or .json, .kml), CSV for any other.
func FormatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		return "xlsx"
	case ".geojson", ".json":
		return "geojson"
	case ".kml":
		return "kml"
	}
	return "csv"
}

// ContentType is the media type of a format.
func ContentType(f string) string {
	switch f {
	case "csv":
		return "text/csv; charset=utf-8"
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case "geojson":
		return "application/geo+json"
	case "kml":
		return "application/vnd.google-earth.kml+xml"
	}
	return "application/octet-stream"
}

// Writer writes points one at a time; Close ends the document. Nothing is
// buffered beyond a few kilobytes except by the XLSX writer, whose
// workbook excelize keeps until Close (its rows are streamed to a
// temporary file).
type Writer interface {
	Write(p *Point) error
	Close() error
}

// NewWriter starts a document of format f (see Formats) on w.
func NewWriter(w io.Writer, f string, o Options) (Writer, error) {
	switch f {
	case "csv":
		return newCSVWriter(w)
	case "xlsx":
		return newXLSXWriter(w)
	case "geojson":
		return newGeoJSONWriter(w)
	case "kml":
		return newKMLWriter(w, o)
	}
	return nil, fmt.Errorf("export: unknown format %q (use %s)", f, strings.Join(Formats(), ", "))
}

// Write writes pts as one document of format f.
func Write(w io.Writer, f string, pts []Point, o Options) error {
	wr, err := NewWriter(w, f, o)
	if err != nil {
		return err
	}
	for i := range pts {
		if err := wr.Write(&pts[i]); err != nil {
			return err
		}
	}
	return wr.Close()
}

// CSV: UTF-8 BOM, the Header row, cells escaped against formula injection
// (format.NewCSV).
type csvWriter struct {
	c    *format.CSV
	cs   []column
	vals []any
	rec  []string
	n    int
}

func newCSVWriter(w io.Writer) (*csvWriter, error) {
	c, err := format.NewCSV(w, Header())
	if err != nil {
		return nil, err
	}
	cs := columns()
	return &csvWriter{c: c, cs: cs, rec: make([]string, len(cs))}, nil
}

func (x *csvWriter) Write(p *Point) error {
	if err := check(x.n, p); err != nil {
		return err
	}
	x.n++
	x.vals = values(x.cs, p, x.vals)
	for k, v := range x.vals {
		x.rec[k] = text(v)
	}
	return x.c.Write(x.rec)
}

func (x *csvWriter) Close() error { return x.c.Flush() }

// XLSX: one sheet, bilingual bold header (Labels), first row frozen,
// numbers as numbers and everything else as text (text cells are never
// formulas in XLSX).
type xlsxWriter struct {
	w    io.Writer
	f    *excelize.File
	sw   *excelize.StreamWriter
	cs   []column
	vals []any
	n    int
}

func newXLSXWriter(w io.Writer) (*xlsxWriter, error) {
	f := excelize.NewFile()
	const sheet = "Diem lom song"
	fail := func(err error) (*xlsxWriter, error) {
		f.Close()
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fail(err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fail(err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return fail(err)
	}
	labels := Labels()
	for i := range labels {
		if err := sw.SetColWidth(i+1, i+1, 16); err != nil {
			return fail(err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fail(err)
	}
	row := make([]any, len(labels))
	for i, l := range labels {
		row[i] = excelize.Cell{StyleID: bold, Value: l}
	}
	if err := sw.SetRow("A1", row); err != nil {
		return fail(err)
	}
	return &xlsxWriter{w: w, f: f, sw: sw, cs: columns()}, nil
}

func (x *xlsxWriter) Write(p *Point) error {
	if err := check(x.n, p); err != nil {
		return err
	}
	x.n++
	x.vals = values(x.cs, p, x.vals)
	ref, err := excelize.CoordinatesToCellName(1, x.n+1)
	if err != nil {
		return fmt.Errorf("export: row %d: %w", x.n+1, err)
	}
	if err := x.sw.SetRow(ref, x.vals); err != nil {
		return fmt.Errorf("export: row %d: %w", x.n+1, err)
	}
	return nil
}

func (x *xlsxWriter) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := x.f.WriteTo(x.w); err != nil {
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

// GeoJSON: an RFC 7946 FeatureCollection (lon/lat, WGS84), one Point
// feature per point: a cell at its centre (one geometry type per layer, as
// GIS tools expect; the hexagon is the h3 id's, and KML draws it), a school
// at its position.
type geojsonWriter struct {
	bw   *bufio.Writer
	enc  *json.Encoder
	cs   []column
	vals []any
	n    int
}

func newGeoJSONWriter(w io.Writer) (*geojsonWriter, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if _, err := bw.WriteString("{\"type\":\"FeatureCollection\",\"features\":[\n"); err != nil {
		return nil, err
	}
	return &geojsonWriter{bw: bw, enc: enc, cs: columns()}, nil
}

func (x *geojsonWriter) Write(p *Point) error {
	if err := check(x.n, p); err != nil {
		return err
	}
	x.vals = values(x.cs, p, x.vals)
	props := make(map[string]any, len(x.cs))
	for k, c := range x.cs {
		props[c.key] = x.vals[k]
	}
	if x.n > 0 {
		if err := x.bw.WriteByte(','); err != nil {
			return err
		}
	}
	x.n++
	if err := x.enc.Encode(feature{Type: "Feature", Geometry: geometry{Type: "Point", Coordinates: lonLat(p.Lat, p.Lon)}, Properties: props}); err != nil {
		return fmt.Errorf("export: point %d: %w", x.n, err)
	}
	return nil
}

func (x *geojsonWriter) Close() error {
	if _, err := x.bw.WriteString("]}\n"); err != nil {
		return err
	}
	return x.bw.Flush()
}

// KML 2.2: a document of Placemarks (cells at their centre with the
// hexagon, red; schools as yellow pins), every attribute in ExtendedData,
// written one Placemark at a time.
type kmlStyle struct {
	XMLName   xml.Name      `xml:"Style"`
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

type kmlPlacemark struct {
	XMLName       xml.Name        `xml:"Placemark"`
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

type kmlWriter struct {
	bw   *bufio.Writer
	enc  *xml.Encoder
	cs   []column
	vals []any
	n    int
}

func newKMLWriter(w io.Writer, o Options) (*kmlWriter, error) {
	bw := bufio.NewWriter(w)
	enc := xml.NewEncoder(bw)
	enc.Indent("", " ")
	k := o.K
	if k < 1 {
		k = DefaultK
	}
	desc := "gapmap: ô H3 và trường chưa có kết nối; không có dữ liệu cá nhân; mỗi ô có ít nhất " + strconv.Itoa(k) +
		" hộ (ô nhỏ hơn được gộp vào ô cha). Uncovered H3 cells and schools; no personal data; every cell holds at least " +
		strconv.Itoa(k) + " households (smaller cells are merged into their parent cell)."
	if _, err := bw.WriteString(xml.Header); err != nil {
		return nil, err
	}
	kml := xml.StartElement{Name: xml.Name{Local: "kml"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: "http://www.opengis.net/kml/2.2"}}}
	doc := xml.StartElement{Name: xml.Name{Local: "Document"}}
	if err := enc.EncodeToken(kml); err != nil {
		return nil, err
	}
	if err := enc.EncodeToken(doc); err != nil {
		return nil, err
	}
	if err := enc.EncodeElement(o.Title(), xml.StartElement{Name: xml.Name{Local: "name"}}); err != nil {
		return nil, err
	}
	if err := enc.EncodeElement(desc, xml.StartElement{Name: xml.Name{Local: "description"}}); err != nil {
		return nil, err
	}
	icon := func(color string) *kmlIconStyle {
		s := &kmlIconStyle{Color: color, Scale: 1}
		s.Icon.Href = "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
		return s
	}
	for _, st := range []kmlStyle{
		{ID: KindCell, IconStyle: icon("ff0000ff"), LineStyle: &kmlLineStyle{Color: "ff0000ff", Width: 1}, PolyStyle: &kmlPolyStyle{Color: "660000ff"}},
		{ID: KindSchool, IconStyle: icon("ff00ffff")},
	} {
		if err := enc.Encode(st); err != nil {
			return nil, err
		}
	}
	return &kmlWriter{bw: bw, enc: enc, cs: columns()}, nil
}

func (x *kmlWriter) Write(p *Point) error {
	if err := check(x.n, p); err != nil {
		return err
	}
	x.n++
	x.vals = values(x.cs, p, x.vals)
	pm := kmlPlacemark{StyleURL: "#" + p.Kind}
	for k, c := range x.cs {
		pm.ExtendedData.Data = append(pm.ExtendedData.Data, kmlData{Name: c.key, Value: text(x.vals[k])})
	}
	pt := kmlPoint{Coordinates: kmlCoord(p.Lat, p.Lon)}
	if p.Kind == KindSchool {
		pm.Name = strings.TrimSpace(p.Name + " (" + p.SchoolID + ")")
		pm.Point = &pt
	} else {
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
	}
	if err := x.enc.Encode(pm); err != nil {
		return fmt.Errorf("export: KML: %w", err)
	}
	return nil
}

func (x *kmlWriter) Close() error {
	if err := x.enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: "Document"}}); err != nil {
		return err
	}
	if err := x.enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: "kml"}}); err != nil {
		return err
	}
	if err := x.enc.Flush(); err != nil {
		return err
	}
	if _, err := x.bw.WriteString("\n"); err != nil {
		return err
	}
	return x.bw.Flush()
}
