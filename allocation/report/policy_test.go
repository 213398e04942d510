package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/data"
)

// policyView runs the engine on a small case: D1 (mountain, ×1.5) has 4
// tier-1 pupils, D2 4 tier-3 pupils and one pupil of priority 0; 4 laptops
// at the province.
func policyView(t *testing.T, order string) *report.View {
	t.Helper()
	laptop := func(id string) data.Device {
		return data.Device{ID: id, Type: data.DeviceLaptop, OS: "windows", OSVersion: "10", CPUGHz: 1.6, CPUModel: "Intel Core i3-7100U", RAMGB: 4,
			StorageGB: 128, FreeStorageGB: 60, HasCharger: data.CondYes, AVOK: data.CondYes, ScreenOK: data.CondYes, KeyboardOK: data.CondYes,
			HasMonitor: data.CondYes, WiFi: data.CondYes}
	}
	ds := &data.Dataset{
		Areas: []data.Area{{Code: "P", Name: "Tỉnh"}, {Code: "D1", Name: "Miền núi", ParentCode: "P", PriorityTags: []string{data.AreaTagMountain}},
			{Code: "D2", Name: "Đồng bằng", ParentCode: "P"}},
		Schools: []data.School{{ID: "S1", Name: "THCS A", Level: data.LevelLower, AreaCode: "D1"}, {ID: "S2", Name: "THCS B", Level: data.LevelLower, AreaCode: "D2"}},
		Devices: []data.Device{laptop("L1"), laptop("L2"), laptop("L3"), laptop("L4")},
	}
	for _, i := range "0123" {
		ds.Students = append(ds.Students, data.Student{ID: "a" + string(i), SchoolID: "S1", Priority: 1}, data.Student{ID: "b" + string(i), SchoolID: "S2", Priority: 3})
	}
	ds.Students = append(ds.Students, data.Student{ID: "z", SchoolID: "S2"})
	s := allocation.DefaultSettings()
	s.TierOrder = order
	res, err := allocation.Allocate(context.Background(), allocation.Input{Areas: ds.Areas, Schools: ds.Schools, Students: ds.Students, Devices: ds.Devices}, s)
	if err != nil {
		t.Fatal(err)
	}
	return report.FromResult(res, ds, report.Run{Mode: report.ModeOffline, Actor: "test", Date: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Settings: s})
}

func readCSV(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func TestOutputsNameTheTierOrder(t *testing.T) {
	for _, c := range []struct {
		order                  string
		d1, d2                 string // allocated tier 1 / tier 3
		did2                   string
		summaryLine, tierLines string
	}{
		{allocation.TierOrderStrict, "4", "0", "tier 3: none of 4",
			"tier order: strict: tier 1 needs everywhere were served before", "served tier 1: 4 of 4, tier 2: 0 of 0, tier 3: 0 of 4; areas with needs and nobody served: 1"},
		// Fair: D1 weighs 4·3·1.5 = 18, D2 4·1 = 4: 18, 6, 4 (D2), 3.6 → D1 3, D2 1.
		{allocation.TierOrderFair, "3", "1", "tier 3: 1 of 4; share of the stock by weighted need, all tiers together",
			"tier order: fair: every area and school received a share", "served tier 1: 3 of 4, tier 2: 0 of 0, tier 3: 1 of 4; areas with needs and nobody served: 0"},
	} {
		v := policyView(t, c.order)
		var buf bytes.Buffer
		if err := report.WriteAreaSummary(&buf, v); err != nil {
			t.Fatal(err)
		}
		rows := readCSV(t, buf.Bytes())
		byCode := map[string]map[string]string{}
		for _, r := range rows {
			byCode[r["area_code"]] = r
		}
		d1, d2, tot := byCode["D1"], byCode["D2"], rows[0]
		if d1["allocated_tier1"] != c.d1 || d2["allocated_tier3"] != c.d2 || d1["priority_tags"] != "mountain" || d1["area_weight"] != "1.5" ||
			d2["area_weight"] != "1" || d1["tier_order"] != c.order || d2["what_the_run_did"] != c.did2 {
			t.Errorf("%s: D1 %v\nD2 %v", c.order, d1, d2)
		}
		// 9 pupils (z, priority 0, included), none with a device; 4 served.
		if tot["pupils"] != "9" || tot["pupils_without_device"] != "9" || tot["equipped"] != "4" || tot["equipped_pct"] != "44.4" ||
			tot["tier12_pupils"] != "4" || tot["tier12_equipped"] != c.d1 || d2["pupils"] != "5" {
			t.Errorf("%s: totals %v", c.order, tot)
		}

		buf.Reset()
		if err := report.WriteExplanationCSV(&buf, v); err != nil {
			t.Fatal(err)
		}
		units := readCSV(t, buf.Bytes())
		var tiers []string
		for _, u := range units {
			if u["tier_order"] != c.order {
				t.Errorf("%s: unit %v", c.order, u)
			}
			if u["code"] == "D1" {
				tiers = append(tiers, u["tier"]+":"+u["seats"]+"×"+u["area_weight"])
			}
		}
		want := []string{"1:4×1.5"}
		if c.order == allocation.TierOrderFair {
			want = []string{"all:3×1.5"}
		}
		if !slices.Equal(tiers, want) {
			t.Errorf("%s: D1 explanation %v, want %v", c.order, tiers, want)
		}

		buf.Reset()
		if err := report.WriteExplanationMD(&buf, v); err != nil {
			t.Fatal(err)
		}
		md := buf.String()
		for _, want := range []string{"tier order **" + c.order + "**", "## What the run did in each area",
			"| D1 | Miền núi | mountain ×1.5 | 4/0/0 | " + c.d1 + "/0/0 |", c.did2, "needs in priority areas multiplied by mountain 1.5, coastal 1.3, lockdown 1.5"} {
			if !strings.Contains(md, want) {
				t.Errorf("%s: explanation.md lacks %q:\n%s", c.order, want, md)
			}
		}

		buf.Reset()
		if err := report.WriteSummary(&buf, v, ""); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{c.summaryLine, c.tierLines, "pupils:    9, 9 without a device before this run (priority 0 included); equipped after it: 4 (44.4 %)"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("%s: summary lacks %q:\n%s", c.order, want, buf.String())
			}
		}
	}
}

func TestAreaDid(t *testing.T) {
	m := func(n1, n2, n3, a1, a2, a3 int) allocation.AreaSummary {
		return allocation.AreaSummary{NeedsTier1: n1, NeedsTier2: n2, NeedsTier3: n3, Needs: n1 + n2 + n3, AllocatedTier1: a1, AllocatedTier2: a2, AllocatedTier3: a3}
	}
	for _, c := range []struct {
		m     allocation.AreaSummary
		order string
		want  string
	}{
		{m(0, 0, 0, 0, 0, 0), allocation.TierOrderStrict, "no needs"},
		{m(12, 9, 0, 12, 3, 0), allocation.TierOrderStrict, "tier 1 met in full (12); tier 2: 3 of 9"},
		{m(12, 9, 4, 12, 3, 0), allocation.TierOrderStrict, "tier 1 met in full (12); tier 2: 3 of 9; tier 3: none of 4; lower tiers wait until tier 2 is met"},
		{m(5, 0, 4, 2, 0, 1), allocation.TierOrderStrict, "tier 1: 2 of 5; tier 3: 1 of 4; 1 of a lower tier served with devices no waiting tier-1 student here could take (stock a school or area holds for its own students, or a desktop without Wi-Fi for a fiber home)"},
		{m(5, 0, 4, 2, 0, 1), allocation.TierOrderFair, "tier 1: 2 of 5; tier 3: 1 of 4; share of the stock by weighted need, all tiers together"},
		{m(5, 2, 0, 5, 2, 0), allocation.TierOrderFair, "tier 1 met in full (5); tier 2 met in full (2)"},
	} {
		if got := report.AreaDid(c.m, c.order); got != c.want {
			t.Errorf("%+v %s:\n got %q\nwant %q", c.m, c.order, got, c.want)
		}
	}
}
