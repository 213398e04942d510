// Package report writes every output of an allocation run (allocations,
// unserved needs, area summary, explanations, rejected devices and SIMs,
// SIM stock, conflicts, per-area lists, per-school handover lists) to an
// io.Writer, from a View. A View is filled from an engine result in memory
// (FromResult) or, for a run recorded in the database, by the use case that
// reads it back (package allocation/runs), so a committed run's files can
// be written again at any time, with what was handed over since.
package report

import (
	"fmt"
	"slices"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/data"
)

// Modes of a run.
const (
	ModeOffline   = "offline"   // files only, nothing recorded
	ModePreview   = "preview"   // recorded, nothing allocated
	ModeCommitted = "committed" // allocated
)

// Run describes the run in the outputs.
type Run struct {
	Mode     string              `json:"mode"`
	ID       int64               `json:"id"`
	Actor    string              `json:"actor"`
	Date     time.Time           `json:"date"`
	Coverage string              `json:"coverage"` // where the connectivity came from
	Settings allocation.Settings `json:"settings"`
}

// Label names the run in titles.
func (r Run) Label() string {
	switch r.Mode {
	case ModeOffline:
		return "offline run (files only, nothing recorded)"
	case ModePreview:
		return fmt.Sprintf("preview run %d (nothing allocated)", r.ID)
	}
	return fmt.Sprintf("committed run %d", r.ID)
}

// Handover is what happened at the school to a committed allocation.
type Handover struct {
	Status       string     `json:"status"` // pending | handed_over | returned
	SimICCID     string     `json:"sim_iccid,omitempty"`
	HandedOverOn *time.Time `json:"handed_over_on,omitempty"`
	ReturnedOn   *time.Time `json:"returned_on,omitempty"`
	// The SIM's service: activated on (the handover day unless stated),
	// ends on (activation + the package's months, extended by renewals).
	SimActivatedOn *time.Time `json:"sim_activated_on,omitempty"`
	SimEndsOn      *time.Time `json:"sim_ends_on,omitempty"`
	SimRenewals    int        `json:"sim_renewals,omitempty"`
}

// Row is one allocation with what the files print beside it.
type Row struct {
	allocation.Allocation
	DeviceSerial string `json:"device_serial,omitempty"`
	DeviceIMEI   string `json:"device_imei,omitempty"`
	Grade        int    `json:"grade,omitempty"`
	// Handover is nil for runs that allocated nothing (offline, preview).
	Handover *Handover `json:"handover,omitempty"`
}

// RejectedDevice is a device that failed the intake check.
type RejectedDevice struct {
	allocation.DeviceCheck
	Type     string `json:"type"`
	Donor    string `json:"donor"`
	AreaCode string `json:"area_code"`
	Serial   string `json:"serial"`
	IMEI     string `json:"imei"`
}

// RejectedSim is a SIM package below the minimum.
type RejectedSim struct {
	allocation.SimCheck
	Operator string `json:"operator"`
}

// School is what the files print about a school.
type School struct {
	Name     string `json:"name"`
	AreaCode string `json:"area_code"`
}

// Package is what the handover lists print about a SIM package.
type Package struct {
	Operator string  `json:"operator"`
	GBPerDay float64 `json:"gb_per_day"`
	Months   int     `json:"months"`
}

// View is everything the outputs of one run show. Its JSON (Run and
// Allocations aside for a committed run) is what the store keeps as the
// run's report.
type View struct {
	Run              Run                          `json:"run"`
	Allocations      []Row                        `json:"allocations"`
	Unserved         []allocation.Unserved        `json:"unserved"`
	Areas            []allocation.AreaSummary     `json:"areas"`
	Totals           allocation.AreaSummary       `json:"totals"`
	Units            []allocation.UnitExplanation `json:"units"`
	RejectedDevices  []RejectedDevice             `json:"rejected_devices"`
	RejectedSims     []RejectedSim                `json:"rejected_sims"`
	SimStock         []allocation.SimStock        `json:"sim_stock"`
	Conflicts        []allocation.Conflict        `json:"conflicts"`
	UnusedDevices    int                          `json:"unused_devices"`
	AlreadyServed    int                          `json:"already_served"`
	AlreadyAllocated int                          `json:"already_allocated"`
	Schools          map[string]School            `json:"schools"`
	Packages         map[string]Package           `json:"packages"`
	// People: the optional name and date of birth of the students served,
	// by student id, for the handover lists only. Internal to the
	// education office: never in the JSON (the stored report, the API).
	People map[string]Person `json:"-"`
}

// Person is a student's name and date of birth (YYYY-MM-DD), as far as
// the lists give them.
type Person struct {
	FullName  string
	BirthDate string
}

// FromResult fills a view from an engine result and the dataset it ran on.
func FromResult(res *allocation.Result, ds *data.Dataset, run Run) *View {
	v := &View{
		Run: run, Unserved: res.Unserved, Areas: res.Areas, Totals: res.Totals, Units: res.Units,
		SimStock: res.SimStock, Conflicts: res.Conflicts, UnusedDevices: len(res.UnusedDevices),
		AlreadyServed: res.AlreadyServed, AlreadyAllocated: res.AlreadyAllocated,
		Schools:  make(map[string]School, len(ds.Schools)),
		Packages: make(map[string]Package, len(ds.SimPackages)),
	}
	for _, s := range ds.Schools {
		v.Schools[s.ID] = School{Name: s.Name, AreaCode: s.AreaCode}
	}
	for _, p := range ds.SimPackages {
		v.Packages[p.ID] = Package{Operator: p.Operator, GBPerDay: p.GBPerDay, Months: p.Months}
	}
	devices := make(map[string]*data.Device, len(ds.Devices))
	for i := range ds.Devices {
		devices[ds.Devices[i].ID] = &ds.Devices[i]
	}
	grade := make(map[[2]string]int, len(res.Allocations))
	for _, a := range res.Allocations {
		grade[[2]string{a.StudentID, a.SchoolID}] = -1
	}
	for i := range ds.Students {
		s := &ds.Students[i]
		k := [2]string{s.ID, s.SchoolID}
		if g, ok := grade[k]; ok && g < 0 {
			grade[k] = s.Grade
			if s.FullName != "" || s.BirthDate != "" {
				if v.People == nil {
					v.People = map[string]Person{}
				}
				v.People[s.ID] = Person{FullName: s.FullName, BirthDate: s.BirthDate}
			}
		}
	}
	v.Allocations = make([]Row, len(res.Allocations))
	for i, a := range res.Allocations {
		r := Row{Allocation: a, Grade: max(0, grade[[2]string{a.StudentID, a.SchoolID}])}
		if d := devices[a.DeviceID]; d != nil {
			r.DeviceSerial, r.DeviceIMEI = d.Serial, d.IMEI
		}
		v.Allocations[i] = r
	}
	for _, c := range res.RejectedDevices {
		r := RejectedDevice{DeviceCheck: c}
		if d := devices[c.DeviceID]; d != nil {
			r.Type, r.Donor, r.AreaCode, r.Serial, r.IMEI = d.Type, d.Donor, d.AreaCode, d.Serial, d.IMEI
		}
		v.RejectedDevices = append(v.RejectedDevices, r)
	}
	for _, c := range res.RejectedSims {
		v.RejectedSims = append(v.RejectedSims, RejectedSim{SimCheck: c, Operator: v.Packages[c.PackageID].Operator})
	}
	return v
}

// areaByCode indexes the area summaries.
func (v *View) area(code string) *allocation.AreaSummary {
	for i := range v.Areas {
		if v.Areas[i].Code == code {
			return &v.Areas[i]
		}
	}
	return nil
}

// SchoolIDs lists the schools with allocations, in the run's order.
func (v *View) SchoolIDs() []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range v.Allocations {
		if !seen[a.SchoolID] {
			seen[a.SchoolID] = true
			out = append(out, a.SchoolID)
		}
	}
	return out
}

// SimsGiven counts the allocations with a SIM.
func (v *View) SimsGiven() int {
	n := 0
	for _, a := range v.Allocations {
		if a.SimPackageID != "" {
			n++
		}
	}
	return n
}

// Restrict keeps what lies in areas (nil: everything; areas[0] is the root,
// whose summary becomes the totals) and, when schoolID is not empty, only
// that school's allocations, needs and explanation.
func (v *View) Restrict(areas []string, schoolID string) {
	if areas == nil && schoolID == "" {
		return
	}
	in := map[string]bool{}
	for _, c := range areas {
		in[c] = true
	}
	areaOK := func(code string) bool { return areas == nil || in[code] }
	schoolOK := func(id, area string) bool { return (schoolID == "" || id == schoolID) && areaOK(area) }
	v.Allocations = slices.DeleteFunc(v.Allocations, func(a Row) bool { return !schoolOK(a.SchoolID, a.AreaCode) })
	v.Unserved = slices.DeleteFunc(v.Unserved, func(u allocation.Unserved) bool { return !schoolOK(u.SchoolID, u.AreaCode) })
	v.Units = slices.DeleteFunc(v.Units, func(u allocation.UnitExplanation) bool {
		if u.Kind == "school" {
			return !schoolOK(u.Code, v.Schools[u.Code].AreaCode)
		}
		return schoolID != "" || !areaOK(u.Code)
	})
	v.Conflicts = slices.DeleteFunc(v.Conflicts, func(c allocation.Conflict) bool {
		return !schoolOK(c.KeptSchoolID, v.Schools[c.KeptSchoolID].AreaCode)
	})
	if areas != nil {
		if a := v.area(areas[0]); a != nil {
			v.Totals = *a
		}
		v.Areas = slices.DeleteFunc(v.Areas, func(a allocation.AreaSummary) bool { return !in[a.Code] })
		v.RejectedDevices = slices.DeleteFunc(v.RejectedDevices, func(d RejectedDevice) bool { return !in[d.AreaCode] })
		v.SimStock = slices.DeleteFunc(v.SimStock, func(p allocation.SimStock) bool { return !in[p.AreaCode] })
		for id, s := range v.Schools {
			if !in[s.AreaCode] {
				delete(v.Schools, id)
			}
		}
	}
}
