package data

import "strings"

// DeviceConditionColumns are the devices columns of the conditions an
// inspector checks (yes/no): the required ones (charger, speaker/micro/
// camera, screen, keyboard, monitor set, Wi-Fi adapter) and the
// recommended extras (headphones, battery).
func DeviceConditionColumns() []string {
	return []string{"has_charger", "av_ok", "screen_ok", "keyboard_ok", "has_monitor", "wifi", "headphones", "battery_ok"}
}

// Condition returns a pointer to the condition of d stored in the devices
// column col (nil when col is not a condition column).
func (d *Device) Condition(col string) *Cond {
	switch col {
	case "has_charger":
		return &d.HasCharger
	case "av_ok":
		return &d.AVOK
	case "screen_ok":
		return &d.ScreenOK
	case "keyboard_ok":
		return &d.KeyboardOK
	case "has_monitor":
		return &d.HasMonitor
	case "wifi":
		return &d.WiFi
	case "headphones":
		return &d.Headphones
	case "battery_ok":
		return &d.BatteryOK
	}
	return nil
}

// ApplyConditions sets the conditions checked (devices column → yes/no)
// on d; columns that are not conditions are ignored.
func (d *Device) ApplyConditions(checked map[string]bool) {
	for col, v := range checked {
		if c := d.Condition(col); c != nil {
			*c = CondOf(v)
		}
	}
}

// ParseYesNo reads a condition as a person writes it: yes/no, true/false,
// 1/0, y/n, có/không (any case). ok is false for anything else.
func ParseYesNo(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true", "1", "có", "co":
		return true, true
	case "no", "n", "false", "0", "không", "khong":
		return false, true
	}
	return false, false
}
