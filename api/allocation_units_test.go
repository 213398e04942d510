package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// TestAllocationUnits: GET /allocation/runs/{id}/units gives every area's
// and school's share with names, counts only (a viewer reads it, no student
// id), an officer only its area and below, an operator nothing.
func TestAllocationUnits(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	if _, err := importer.ImportDir(ctx, st, allocBaseFiles(t), importer.Options{}); err != nil {
		t.Fatal(err)
	}
	srv := api.NewServer(ctx, api.Deps{Store: st})
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	ts := httptest.NewServer(api.Validating(t, srv))
	t.Cleanup(ts.Close)
	c := allocClient{t: t, base: ts.URL}
	token := map[string]string{}
	for _, u := range []data.User{
		{Name: "officer-a", Role: data.RoleOfficer, AreaCode: "7210"}, {Name: "officer-province", Role: data.RoleOfficer, AreaCode: "24"},
		{Name: "viettel", Role: data.RoleOperator, Operator: "viettel"}, {Name: "viewer", Role: data.RoleViewer},
	} {
		created, err := st.CreateUser(ctx, u, "")
		if err != nil {
			t.Fatal(err)
		}
		if token[u.Name], err = st.NewToken(ctx, created.ID); err != nil {
			t.Fatal(err)
		}
	}
	if status, b := c.upload(token["officer-province"], map[string][2]string{"devices": {"ThietBi.csv", allocDevicesCSV}, "sim_packages": {"GoiSIM.xlsx", string(allocSimsXLSX(t))}}); status != http.StatusOK {
		t.Fatalf("inventory: %d %s", status, b)
	}
	allocStoreCoverage(ctx, t, st)
	var outcome struct {
		RunID     int64 `json:"run_id"`
		Allocated int   `json:"allocated"`
	}
	c.json("POST", "/api/v1/allocation/commits", token["officer-province"], map[string]any{"date": "2026-11-30"}, http.StatusCreated, &outcome)
	path := "/api/v1/allocation/runs/" + strconv.FormatInt(outcome.RunID, 10) + "/units"

	type unit struct {
		Parent, Kind, Code, Name, ParentName string
		Seats                                int
	}
	read := func(who string) []unit {
		var body struct {
			RunID int64 `json:"run_id"`
			Units []struct {
				Parent     string `json:"parent"`
				Kind       string `json:"kind"`
				Code       string `json:"code"`
				Name       string `json:"name"`
				ParentName string `json:"parent_name"`
				Seats      int    `json:"seats"`
			} `json:"units"`
		}
		raw := c.json("GET", path, token[who], nil, http.StatusOK, &body)
		if strings.Contains(string(raw), `"ST`) || strings.Contains(string(raw), "student") {
			t.Errorf("units as %s hold a student: %s", who, raw)
		}
		if body.RunID != outcome.RunID {
			t.Errorf("run_id %d, want %d", body.RunID, outcome.RunID)
		}
		var out []unit
		for _, u := range body.Units {
			out = append(out, unit{u.Parent, u.Kind, u.Code, u.Name, u.ParentName, u.Seats})
		}
		return out
	}
	all := read("viewer")
	seats := map[string]int{}
	names := map[string]string{}
	for _, u := range all {
		seats[u.Kind+":"+u.Code] += u.Seats // strict tier order: one unit per tier
		names[u.Kind+":"+u.Code] = u.Name
		if u.Parent != "" && u.ParentName == "" {
			t.Errorf("unit %+v has no parent name", u)
		}
	}
	if names["area:213"] != "TP Bắc Giang" || names["school:S1"] != "Tiểu học Trần Phú" || names["school:S2"] != "THCS Ngô Quyền" {
		t.Errorf("unit names %v", names)
	}
	if seats["school:S1"]+seats["school:S2"] != outcome.Allocated || seats["area:213"] != outcome.Allocated {
		t.Errorf("seats %v, want schools and the district summing to the %d allocated", seats, outcome.Allocated)
	}
	// officer-a sees its commune's school only.
	for _, u := range read("officer-a") {
		if u.Code == "S2" || u.Code == "7211" || u.Code == "213" {
			t.Errorf("officer of 7210 sees unit %+v", u)
		}
	}
	if status, _ := c.do("GET", path, token["viettel"], "", nil); status != http.StatusForbidden {
		t.Errorf("units as an operator: %d, want 403", status)
	}
}
