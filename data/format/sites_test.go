package format

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
)

func TestReadSites(t *testing.T) {
	kindCase[data.Sector]{
		kind: "sites",
		rd:   ReadSites,
		text: "Mã trạm,Nhà mạng,Công nghệ,Băng tần (MHz),Vĩ độ,Kinh độ,Độ cao anten (m),Góc phương vị,Độ rộng búp sóng,Bán kính phủ,Trạng thái\n" +
			"BTS1,Viettel,LTE,1800,21.0285,105.8542,35,0,,,hoạt động\n" +
			"BTS1,VIETTEL,4G,1800,21.0285,105.8542,35,120,60,,\n" +
			"BTS1,viettel,4G,1800,21.0285,105.8542,35,360,,2500,\n" +
			"BTS2,VNPT,UMTS,2100,20.5,106.1,,,,,kế hoạch\n" +
			"BTS3,Vietnamobile,GSM,900,20.5,106.1,0,,,,\n" +
			"BTS4,Reddi,NR,3500,20.5,106.1,,,,,\n" +
			"BTS5,Gmobile,5G,3500,20.5,106.1,,-5,0,200000,\n" +
			"BTS6,Mobifone,WiMAX,abc,20.5,106.1,,,,,\n",
		rows: []int{2, 3, 4, 5, 6},
		want: []data.Sector{
			{ID: "BTS1/1", SiteID: "BTS1", Operator: "viettel", Technology: "4G", BandMHz: 1800, Lat: 21.0285, Lon: 105.8542, AntennaHeightM: 35, AzimuthDeg: ptr(0.0), BeamwidthDeg: 65, Status: "active"},
			{ID: "BTS1/2", SiteID: "BTS1", Operator: "viettel", Technology: "4G", BandMHz: 1800, Lat: 21.0285, Lon: 105.8542, AntennaHeightM: 35, AzimuthDeg: ptr(120.0), BeamwidthDeg: 60, Status: "active"},
			{ID: "BTS1/3", SiteID: "BTS1", Operator: "viettel", Technology: "4G", BandMHz: 1800, Lat: 21.0285, Lon: 105.8542, AntennaHeightM: 35, AzimuthDeg: ptr(0.0), BeamwidthDeg: 65, RangeM: 2500, Status: "active"},
			{ID: "BTS2/1", SiteID: "BTS2", Operator: "vinaphone", Technology: "3G", BandMHz: 2100, Lat: 20.5, Lon: 106.1, AntennaHeightM: 30, BeamwidthDeg: 360, Status: "planned"},
			{ID: "BTS3/1", SiteID: "BTS3", Operator: "vietnamobile", Technology: "2G", BandMHz: 900, Lat: 20.5, Lon: 106.1, AntennaHeightM: 0, BeamwidthDeg: 360, Status: "active"},
		},
		errs: []data.FieldError{
			{Row: 7, Column: "Nhà mạng", Value: "Reddi", Reason: `operator "Reddi" is not accepted: use one of viettel, vinaphone, mobifone, vietnamobile, gmobile`},
			{Row: 8, Column: "Góc phương vị", Value: "-5", Reason: "Góc phương vị (azimuth_deg) -5 is out of range: it must be at least 0 and below 360 degrees"},
			{Row: 8, Column: "Độ rộng búp sóng", Value: "0", Reason: "Độ rộng búp sóng (beamwidth_deg) 0 is out of range: it must be more than 0 and at most 360 degrees"},
			{Row: 8, Column: "Bán kính phủ", Value: "200000", Reason: "Bán kính phủ (range_m) 200000 is out of range"},
			{Row: 9, Column: "Công nghệ", Value: "WiMAX", Reason: `technology "WiMAX" is not accepted: use one of 2G, 3G, 4G, 5G`},
			{Row: 9, Column: "Băng tần (MHz)", Value: "abc", Reason: "Băng tần (MHz) (band_mhz) is not a number"},
		},
	}.run(t)
}

func TestReadSitesSectorIDs(t *testing.T) {
	res := read(t, ReadSites, writeFile(t, "sites.csv", "site_id,sector_id,operator,technology,band_mhz,lat,lon\n"+
		"A,A-1,viettel,4G,1800,21,105\n"+
		"A,,viettel,4G,1800,21,105\n"+
		"B,A-1,viettel,4G,1800,21,105\n"+
		"A,A/2,viettel,4G,1800,21,105\n"))
	var ids []string
	for _, s := range res.recs {
		ids = append(ids, s.ID)
	}
	if !reflect.DeepEqual(ids, []string{"A-1", "A/2"}) {
		t.Errorf("ids = %v", ids)
	}
	wantErr(t, res.errs, data.FieldError{File: "sites.csv", Row: 4, Column: "sector_id", Value: "A-1", Reason: "duplicate sector_id: first seen at row 2"})
	wantErr(t, res.errs, data.FieldError{File: "sites.csv", Row: 5, Column: "sector_id", Value: "A/2", Reason: "duplicate sector_id: first seen at row 3"})
	wantErrCount(t, res.errs, 2)
}

const ocidRows = "LTE,452,4,10501,26881281,0,105.8542,21.0285,1000,5,1,1459692187,1459692187,0\n" +
	"GSM,452,01,12,3456,0,105.9,21.1,0,3,1,1459692187,1459692187,0\n" +
	"UMTS,452,2,22,333,0,106.0,20.9,250000,3,1,1459692187,1459692187,0\n" +
	"NR,452,5,7,9,0,106.0,20.9,800,3,1,1459692187,1459692187,0\n" +
	"LTE,310,260,1,2,0,105,21,1,1,1,1459692187,1459692187,0\n" +
	"GSM,452,3,1,2,0,105,21,1,1,1,1459692187,1459692187,0\n" +
	"CDMA,452,7,1,2,0,105,21,1,1,1,1459692187,1459692187,0\n" +
	"LTE,452,4,10501,26881281,0,105.8542,21.0285,1000,5,1,1459692187,1459692187,0\n" +
	"LTE,452,7,3,4,0,2.35,48.85,1000,5,1,1459692187,1459692187,0\n"

func ocidWant() []data.Sector {
	return []data.Sector{
		{ID: "ocid-452-4-10501-26881281", SiteID: "ocid-452-4-10501-26881281", Operator: "viettel", Technology: "4G", BandMHz: 1800, Lat: 21.0285, Lon: 105.8542, AntennaHeightM: 30, BeamwidthDeg: 360, RangeM: 1000, Status: "active"},
		{ID: "ocid-452-1-12-3456", SiteID: "ocid-452-1-12-3456", Operator: "mobifone", Technology: "2G", BandMHz: 900, Lat: 21.1, Lon: 105.9, AntennaHeightM: 30, BeamwidthDeg: 360, Status: "active"},
		{ID: "ocid-452-2-22-333", SiteID: "ocid-452-2-22-333", Operator: "vinaphone", Technology: "3G", BandMHz: 2100, Lat: 20.9, Lon: 106, AntennaHeightM: 30, BeamwidthDeg: 360, RangeM: 100000, Status: "active"},
		{ID: "ocid-452-5-7-9", SiteID: "ocid-452-5-7-9", Operator: "vietnamobile", Technology: "5G", BandMHz: 3500, Lat: 20.9, Lon: 106, AntennaHeightM: 30, BeamwidthDeg: 360, RangeM: 800, Status: "active"},
	}
}

func TestReadOpenCelliD(t *testing.T) {
	header := "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\n"
	for _, c := range []struct {
		name, text string
		first      int // row of the first data row
	}{
		{"with header", header + ocidRows, 2},
		{"without header", ocidRows, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, file := range []string{"452.csv", "452.xlsx"} {
				var p string
				if strings.HasSuffix(file, ".csv") {
					p = writeFile(t, file, c.text)
				} else {
					p = makeXLSX(t, file, csvToCells(t, c.text))
				}
				res := read(t, ReadSites, p)
				if res.err != nil {
					t.Fatal(res.err)
				}
				if !reflect.DeepEqual(res.recs, ocidWant()) {
					t.Errorf("%s: got\n%+v\nwant\n%+v", file, res.recs, ocidWant())
				}
				r := c.first
				if want := []int{r, r + 1, r + 2, r + 3}; !reflect.DeepEqual(res.rows, want) {
					t.Errorf("%s: rows %v, want %v", file, res.rows, want)
				}
				for _, e := range []data.FieldError{
					{File: file, Row: r + 4, Column: "mcc", Value: "310", Reason: "MCC 310 is not Vietnam (452)"},
					{File: file, Row: r + 5, Column: "net", Value: "3", Reason: "MNC 3 is not a Vietnamese mobile network in use"},
					{File: file, Row: r + 6, Column: "radio", Value: "CDMA", Reason: `radio "CDMA" is not used`},
					{File: file, Row: r + 7, Column: "cell", Value: "26881281", Reason: "duplicate cell (id ocid-452-4-10501-26881281): first seen at row " + itoa(r)},
					{File: file, Row: r + 8, Column: "lat", Value: "48.85", Reason: "latitude 48.85 is outside Vietnam"},
					{File: file, Row: r + 8, Column: "lon", Value: "2.35", Reason: "longitude 2.35 is outside Vietnam"},
				} {
					wantErr(t, res.errs, e)
				}
				wantErrCount(t, res.errs, 6)
			}
		})
	}
}

func TestReadOpenCelliDGzip(t *testing.T) {
	var b strings.Builder
	zw := gzipWriter(&b)
	_, _ = zw.Write([]byte(ocidRows))
	_ = zw.Close()
	res := read(t, ReadSites, writeFile(t, "452.csv.gz", b.String()))
	if len(res.recs) != 4 {
		t.Errorf("got %d records\n%s", len(res.recs), dump(res.errs))
	}
}
