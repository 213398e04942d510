package allocation

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestSettingsJSONBothShapes(t *testing.T) {
	want := DefaultSettings()
	want.Policy = PolicyNeedFirst
	want.TierWeights = map[int]float64{1: 5, 2: 2, 3: 1}
	want.MinGBPerDay = 4
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"policy"`, `"tier_weights"`, `"min_gb_per_day"`, `"desktop_wifi_required"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("%s lacks %s", b, k)
		}
	}
	for _, in := range []string{
		string(b),
		`{"Policy":"need-first","TierWeights":{"1":5,"2":2,"3":1},"MinGBPerDay":4}`, // the names of earlier versions
	} {
		got := DefaultSettings()
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", in, got, want)
		}
	}
	var s Settings
	if err := json.Unmarshal([]byte(`{"polcy":"x"}`), &s); err == nil || !strings.Contains(err.Error(), `unknown field "polcy"`) {
		t.Errorf("unknown field: %v", err)
	}
}
