package allocation

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// UnmarshalJSON reads settings written with the snake_case names
// ("tier_weights") or with the Go field names of earlier versions
// ("TierWeights"), so stored runs and settings files of both shapes read.
// Fields absent keep their value; an unknown field is an error.
func (s *Settings) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	type plain Settings // no UnmarshalJSON: no recursion
	names := map[string]string{}
	t := reflect.TypeFor[plain]()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		names[settingsKey(tag)] = tag
		names[settingsKey(f.Name)] = tag
	}
	fixed := make(map[string]json.RawMessage, len(raw))
	for k, v := range raw {
		name, ok := names[settingsKey(k)]
		if !ok {
			return fmt.Errorf("json: unknown field %q", k)
		}
		fixed[name] = v
	}
	nb, err := json.Marshal(fixed)
	if err != nil {
		return err
	}
	return json.Unmarshal(nb, (*plain)(s))
}

func settingsKey(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
