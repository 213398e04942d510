package allocation

import (
	"encoding/json"
	"fmt"
	"io"
)

// ReadSettings reads a JSON object of settings over the defaults: missing
// fields keep their default, an unknown field is an error.
func ReadSettings(r io.Reader) (Settings, error) {
	s := DefaultSettings()
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("%w (expected a JSON object with fields of allocation.Settings, e.g. {\"policy\":\"need-first\",\"tier_weights\":{\"1\":3,\"2\":2,\"3\":1}})", err)
	}
	return s, nil
}
