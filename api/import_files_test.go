package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// Issue 9, what an upload says about its file: the encoding assumed is a
// warning in the answer; a UTF-8 file with a stray byte is refused with
// the row, column and byte; a file with CR-only line ends is imported.
func TestUploadEncodingsAndLineEnds(t *testing.T) {
	f := newFixture(t)
	type view struct {
		Rows     int64 `json:"rows"`
		Inserted int64 `json:"inserted"`
		Warnings []struct {
			File   string `json:"file"`
			Reason string `json:"reason"`
		} `json:"warnings"`
	}
	// Windows-1258 ("Trường Một": ư=FD, ơ=F5, grave=CC, ô=F4, dot below=F2).
	var iv view
	st := f.upload("planner", "/api/v1/imports/schools", "truong.csv",
		"school_id,name,level,lat,lon\r\nS1,Tr\xfd\xf5\xccng M\xf4\xf2t,primary,21.05,105.05\r\n", &iv)
	if st != 200 || iv.Inserted != 1 || len(iv.Warnings) != 1 || iv.Warnings[0].File != "truong.csv" ||
		!strings.Contains(iv.Warnings[0].Reason, "it was read as Windows-1258") {
		t.Fatalf("windows-1258: %d %+v", st, iv)
	}
	var schools struct {
		Items []map[string]any `json:"items"`
	}
	if st := f.do("planner", http.MethodGet, "/api/v1/schools?area=C1", nil, "", &schools); st != 200 || len(schools.Items) != 1 ||
		schools.Items[0]["name"] != "Trường Một" {
		t.Errorf("schools %d %+v", st, schools)
	}

	// UTF-8 with one stray byte: 422, nothing written.
	var eb errorBody
	st = f.upload("planner", "/api/v1/imports/schools?replace=true", "truong.csv",
		"school_id,name,level,lat,lon\nS2,Trường Hai,primary,21.05,105.05\nS3,Tr\xe0ờng Ba,primary,21.05,105.05\n", &eb)
	if st != 422 || len(eb.Error.Details) != 1 || eb.Error.Details[0].Row != 3 || eb.Error.Details[0].Column != "name" ||
		!strings.Contains(eb.Error.Details[0].Reason, "byte 0xE0 at byte 3 is not valid UTF-8") {
		t.Fatalf("stray byte: %d %+v", st, eb)
	}

	// CR-only line ends (old Mac): every row is imported.
	iv = view{}
	st = f.upload("planner", "/api/v1/imports/schools?replace=true", "truong.csv",
		"school_id,name,level,lat,lon\rS2,Trường Hai,primary,21.05,105.05\rS3,Trường Ba,lower,21.06,105.06\r", &iv)
	if st != 200 || iv.Rows != 2 || iv.Inserted != 2 || len(iv.Warnings) != 0 {
		t.Fatalf("CR only: %d %+v", st, iv)
	}
}
