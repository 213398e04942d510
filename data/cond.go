package data

import (
	"database/sql/driver"
	"fmt"
)

// Cond is the state of one device condition (charger present, screen
// working, ...) as the devices file states it: yes, no, or unknown when the
// file has no such column or the cell is empty. The zero value is unknown.
// In JSON it is true, false or null; in the database a nullable boolean.
type Cond int8

// Condition states.
const (
	CondUnknown Cond = iota // not stated: the device needs an inspection
	CondYes
	CondNo
)

// CondOf gives CondYes for true and CondNo for false.
func CondOf(b bool) Cond {
	if b {
		return CondYes
	}
	return CondNo
}

// Yes reports whether the condition is stated and true.
func (c Cond) Yes() bool { return c == CondYes }

// Known reports whether the file stated the condition.
func (c Cond) Known() bool { return c == CondYes || c == CondNo }

// Ptr gives nil for unknown, else a pointer to the value.
func (c Cond) Ptr() *bool {
	if !c.Known() {
		return nil
	}
	b := c == CondYes
	return &b
}

// String gives "yes", "no" or "unknown".
func (c Cond) String() string {
	switch c {
	case CondYes:
		return "yes"
	case CondNo:
		return "no"
	}
	return "unknown"
}

// MarshalJSON writes true, false or null.
func (c Cond) MarshalJSON() ([]byte, error) {
	switch c {
	case CondYes:
		return []byte("true"), nil
	case CondNo:
		return []byte("false"), nil
	}
	return []byte("null"), nil
}

// UnmarshalJSON reads true, false or null.
func (c *Cond) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true":
		*c = CondYes
	case "false":
		*c = CondNo
	case "null":
		*c = CondUnknown
	default:
		return fmt.Errorf("condition %s is not true, false or null", b)
	}
	return nil
}

// Scan reads a nullable boolean.
func (c *Cond) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c = CondUnknown
	case bool:
		*c = CondOf(v)
	default:
		return fmt.Errorf("condition: cannot scan %T", src)
	}
	return nil
}

// Value writes a nullable boolean.
func (c Cond) Value() (driver.Value, error) {
	if !c.Known() {
		return nil, nil
	}
	return c == CondYes, nil
}
