package coverage

import (
	"encoding/json"
	"fmt"
	"io"
)

// ReadSettings reads a JSON object of settings (the field names of
// summary.json, e.g. "fiber_node_m") over the defaults: missing fields
// keep their default, an unknown field is an error. The caller validates
// (Settings.Validate) after any further change.
func ReadSettings(r io.Reader) (Settings, error) {
	s := DefaultSettings()
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("%w (fields are those of coverage.Settings as written in summary.json, e.g. \"fiber_node_m\")", err)
	}
	return s, nil
}
