// Package runs holds the allocation use cases on the database, the same for
// the command line and the HTTP API: preview a run, commit it (atomically;
// a concurrent commit that got there first rolls the whole run back), read
// a recorded run back as a report.View (every output can be written again,
// with what was handed over since), and record handovers. Offline runs on
// files go through Offline.
package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// Service runs allocations on the store.
type Service struct {
	Store *postgis.Store
}

// Options are a run's choices.
type Options struct {
	Settings allocation.Settings
	// Date: areas valid on that day are used (zero: today).
	Date time.Time
	// Actor is who runs it (required), recorded with the run.
	Actor string
	// OutDir, when not empty, is the directory the run's files are written
	// to (report.WriteDir). It is checked before anything is read,
	// computed or recorded (report.CheckDir). A preview's files are
	// written before its record commits: a preview whose files cannot be
	// written records no run. A commit's files are written once it is
	// committed; when that fails the error is a *FilesError (the
	// allocations are committed; View and report.WriteDir write the files
	// again).
	OutDir string
}

// FilesError: a run was committed (or a preview recorded) but its files
// could not be put in place.
// Nothing is lost: the run's files can be written again from the database
// (Service.View, then report.WriteDir).
type FilesError struct {
	RunID int64
	Dir   string
	Err   error
}

func (e *FilesError) Error() string {
	return fmt.Sprintf("allocation run %d is recorded, but writing its files to %s failed: %v", e.RunID, e.Dir, e.Err)
}

func (e *FilesError) Unwrap() error { return e.Err }

// OutputError: the run's files cannot be written to OutDir, found before
// anything was committed or recorded (nothing was).
type OutputError struct {
	Dir string
	Err error
}

func (e *OutputError) Error() string {
	return fmt.Sprintf("the files cannot be written to %s: %v", e.Dir, e.Err)
}

func (e *OutputError) Unwrap() error { return e.Err }

// Progress reports a phase and a percent (0–100); it may be nil.
type Progress func(phase string, percent float64)

func (p Progress) report(phase string, pct float64) {
	if p != nil {
		p(phase, pct)
	}
}

// Outcome is a recorded run and its view.
type Outcome struct {
	Run  postgis.AllocationRun
	View *report.View
	// Needs counts students in need; UnknownHomes those of them whose home
	// has no coverage result (treated as having no connectivity).
	Needs, UnknownHomes int
}

// Summary is the run summary stored with the run (JSON, snake_case).
type Summary struct {
	Totals           allocation.AreaSummary `json:"totals"`
	Unserved         int                    `json:"unserved"`
	RejectedDevices  int                    `json:"rejected_devices"`
	UnusedDevices    int                    `json:"unused_devices"`
	Conflicts        int                    `json:"conflicts"`
	AlreadyServed    int                    `json:"already_served"`
	AlreadyAllocated int                    `json:"already_allocated"`
}

// Preview computes a run on the database and records it as a preview with
// its report: nothing is allocated.
func (s *Service) Preview(ctx context.Context, o Options, progress Progress) (*Outcome, error) {
	return s.run(ctx, o, false, progress)
}

// Commit computes and commits a run in one transaction: the engine runs
// inside it against what the committed runs hold, so two concurrent commits
// never give a student, device or SIM twice (the later one fails whole with
// a *postgis.ConflictError and is recorded as failed).
func (s *Service) Commit(ctx context.Context, o Options, progress Progress) (*Outcome, error) {
	return s.run(ctx, o, true, progress)
}

// CommitPreview commits with the settings and date of preview run id. The
// engine runs again inside the commit against the current data, so the
// committed run equals the preview unless the data or the committed runs
// changed since. A run that is not a preview is a *data.ConflictError.
func (s *Service) CommitPreview(ctx context.Context, id int64, actor string, progress Progress) (*Outcome, error) {
	run, err := s.Store.AllocationRunByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if run.Status != postgis.RunPreview {
		return nil, &data.ConflictError{Reason: fmt.Sprintf("allocation run %d is %s, not a preview: commit a preview, or give the settings", id, run.Status)}
	}
	o := Options{Actor: actor, Settings: allocation.DefaultSettings()}
	if err := json.Unmarshal(run.Settings, &o.Settings); err != nil {
		return nil, fmt.Errorf("read the settings of preview run %d: %w", id, err)
	}
	legacyTierOrder(run.Settings, &o.Settings)
	rep, err := s.Store.AllocationRunReport(ctx, id)
	if err != nil {
		return nil, err
	}
	o.Date = rep.RunDate
	return s.Commit(ctx, o, progress)
}

func (s *Service) run(ctx context.Context, o Options, commit bool, progress Progress) (*Outcome, error) {
	if o.Date.IsZero() {
		o.Date = time.Now()
	}
	if err := CheckSettings(o.Settings); err != nil {
		return nil, err
	}
	if o.OutDir != "" {
		if err := report.CheckDir(o.OutDir); err != nil {
			return nil, &OutputError{Dir: o.OutDir, Err: err}
		}
	}
	settingsJSON, err := json.Marshal(o.Settings)
	if err != nil {
		return nil, fmt.Errorf("encode the settings: %w", err)
	}
	progress.report("reading", 5)
	conn := map[string]allocation.Connectivity{}
	ai, err := s.Store.ReadAllocationInput(ctx, o.Date, func(id string, c data.Connectivity) error {
		conn[id] = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	info := report.Run{Actor: o.Actor, Date: o.Date, Settings: o.Settings,
		Coverage: fmt.Sprintf("coverage run %d of %s", ai.CoverageRun, ai.CoverageRunAt.UTC().Format("2006-01-02 15:04 UTC"))}
	run := postgis.AllocationRun{Actor: o.Actor, Policy: o.Settings.Policy, Settings: settingsJSON, CoverageRun: ai.CoverageRun}
	var view *report.View
	plan := func(ctx context.Context, prior postgis.Prior) (postgis.AllocationPlan, error) {
		progress.report("allocating", 30)
		in := allocation.Input{
			Areas: ai.Dataset.Areas, Schools: ai.Dataset.Schools, Students: ai.Dataset.Students,
			Devices: ai.Dataset.Devices, SimPackages: ai.Dataset.SimPackages, Connectivity: conn,
			Served: prior.Served, AllocatedDevices: prior.Devices, SimUsed: prior.SimUsed,
			Poverty: PovertyOf(ai.Dataset.Households),
		}
		res, err := allocation.Allocate(ctx, in, o.Settings)
		if err != nil {
			return postgis.AllocationPlan{}, err
		}
		progress.report("recording", 70)
		view = report.FromResult(res, ai.Dataset, info)
		return planOf(view, !commit)
	}
	out := &Outcome{}
	if commit {
		info.Mode = report.ModeCommitted
		if out.Run, err = s.Store.CommitAllocation(ctx, run, plan); err != nil {
			return nil, err
		}
		for i := range view.Allocations {
			view.Allocations[i].Handover = &report.Handover{Status: postgis.HandoverPending}
		}
	} else {
		info.Mode = report.ModePreview
		p, err := plan(ctx, ai.Prior)
		if err != nil {
			return nil, err
		}
		run.Summary, run.Devices, run.Sims = p.Summary, len(view.Allocations), view.SimsGiven()
		if o.OutDir == "" {
			out.Run, err = s.Store.RecordAllocationPreview(ctx, run, p.Report)
		} else {
			// The files are staged inside the recording transaction: no
			// files, no run.
			var staged *report.Staged
			out.Run, err = s.Store.RecordAllocationPreviewThen(ctx, run, p.Report, func(r postgis.AllocationRun) error {
				view.Run.Mode, view.Run.ID, view.Run.Date = info.Mode, r.ID, o.Date
				progress.report("writing files", 85)
				var serr error
				if staged, serr = report.StageDir(ctx, o.OutDir, view); serr != nil {
					return &OutputError{Dir: o.OutDir, Err: serr}
				}
				return nil
			})
			if err != nil && staged != nil {
				staged.Abort()
			}
			if err == nil {
				if cerr := staged.Commit(); cerr != nil {
					out.View = view
					return out, &FilesError{RunID: out.Run.ID, Dir: o.OutDir, Err: cerr}
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	view.Run.Mode, view.Run.ID, view.Run.Date = info.Mode, out.Run.ID, o.Date
	out.View = view
	out.Needs, out.UnknownHomes = unknownHomes(ai.Dataset.Students, conn)
	if commit && o.OutDir != "" {
		progress.report("writing files", 90)
		if err := report.WriteDir(ctx, o.OutDir, view); err != nil {
			return out, &FilesError{RunID: out.Run.ID, Dir: o.OutDir, Err: err}
		}
	}
	progress.report("done", 100)
	return out, nil
}

// planOf turns a view into the rows the store commits, the summary and the
// report. A preview's report holds its allocations (a preview writes no
// allocation rows); a committed run's rows hold them.
func planOf(v *report.View, withAllocations bool) (postgis.AllocationPlan, error) {
	rows := make([]postgis.AllocationRow, len(v.Allocations))
	for i, a := range v.Allocations {
		rows[i] = postgis.AllocationRow{
			StudentID: a.StudentID, SchoolID: a.SchoolID, AreaCode: a.AreaCode, Priority: a.Priority,
			Connectivity: a.Connectivity, DeviceID: a.DeviceID, DeviceType: a.DeviceType,
			DeviceSerial: a.DeviceSerial, DeviceIMEI: a.DeviceIMEI,
			SimPackageID: a.SimPackageID, SimOperator: a.SimOperator, SimNetwork: a.SimNetwork, Flag: a.Flag, Reason: a.Reason,
			Rank: a.Rank, PoolSize: a.PoolSize, SchoolSeats: a.SchoolSeats, TypeRank: a.TypeRank, Grade: a.Grade, Seq: i,
		}
	}
	summary, err := json.Marshal(Summary{Totals: v.Totals, Unserved: len(v.Unserved), RejectedDevices: len(v.RejectedDevices),
		UnusedDevices: v.UnusedDevices, Conflicts: len(v.Conflicts), AlreadyServed: v.AlreadyServed, AlreadyAllocated: v.AlreadyAllocated})
	if err != nil {
		return postgis.AllocationPlan{}, fmt.Errorf("encode the run summary: %w", err)
	}
	stored := *v
	stored.Run = report.Run{} // the run row holds it
	if !withAllocations {
		stored.Allocations = nil
	}
	js, err := json.Marshal(&stored)
	if err != nil {
		return postgis.AllocationPlan{}, fmt.Errorf("encode the run report: %w", err)
	}
	return postgis.AllocationPlan{Rows: rows, Summary: summary,
		Report: &postgis.RunReport{RunDate: v.Run.Date, Coverage: v.Run.Coverage, JSON: js}}, nil
}

// unknownHomes counts students in need and those of them whose home has no
// coverage result.
func unknownHomes(students []data.Student, conn map[string]allocation.Connectivity) (needs, missing int) {
	for i := range students {
		s := &students[i]
		if s.Priority < data.TierPoor || s.Priority > data.TierCovid || s.HasDevice {
			continue
		}
		needs++
		if _, ok := conn[s.HouseholdID]; !ok {
			missing++
		}
	}
	return needs, missing
}

// Scope narrows a view read back from the store. Zero values do not narrow.
type Scope struct {
	// AreaCode keeps what lies in this area and below (an officer's area).
	AreaCode string
	// SchoolID keeps one school's allocations and needs.
	SchoolID string
}

// View reads recorded run id back as a view: the run, its report and, for
// a committed run, its allocations as they stand now (cancelled ones are
// gone; handovers with ICCID and dates). A run without a report (failed) is
// a *data.NotFoundError.
func (s *Service) View(ctx context.Context, id int64, sc Scope) (*report.View, error) {
	run, err := s.Store.AllocationRunByID(ctx, id)
	if err != nil {
		return nil, err
	}
	rep, err := s.Store.AllocationRunReport(ctx, id)
	if err != nil {
		return nil, err
	}
	v := &report.View{}
	if err := json.Unmarshal(rep.JSON, v); err != nil {
		return nil, fmt.Errorf("read the report of allocation run %d: %w", id, err)
	}
	v.Run = report.Run{ID: run.ID, Actor: run.Actor, Date: rep.RunDate, Coverage: rep.Coverage, Settings: allocation.DefaultSettings()}
	if err := json.Unmarshal(run.Settings, &v.Run.Settings); err != nil {
		return nil, fmt.Errorf("read the settings of allocation run %d: %w", id, err)
	}
	legacyTierOrder(run.Settings, &v.Run.Settings)
	var areas []string
	if sc.AreaCode != "" {
		if areas, err = s.Store.AreaSubtree(ctx, sc.AreaCode); err != nil {
			return nil, err
		}
	}
	switch run.Status {
	case postgis.RunCommitted:
		v.Run.Mode = report.ModeCommitted
		rows, err := s.Store.CommittedAllocations(ctx, postgis.AllocationFilter{RunID: id, AreaCodes: areas, SchoolID: sc.SchoolID})
		if err != nil {
			return nil, err
		}
		v.Allocations = make([]report.Row, len(rows))
		for i, r := range rows {
			v.Allocations[i] = committedRow(r)
		}
	case postgis.RunPreview:
		v.Run.Mode = report.ModePreview
	default:
		return nil, &data.NotFoundError{Kind: "report of allocation run", ID: strconv.FormatInt(id, 10)}
	}
	v.Restrict(areas, sc.SchoolID)
	if err := s.fillPeople(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}

// fillPeople reads the names and dates of birth of the view's students
// (for the handover lists; never in the view's JSON).
func (s *Service) fillPeople(ctx context.Context, v *report.View) error {
	ids := make([]string, len(v.Allocations))
	for i, a := range v.Allocations {
		ids[i] = a.StudentID
	}
	people, err := s.Store.StudentIdentities(ctx, ids)
	if err != nil {
		return err
	}
	v.People = nil
	for id, p := range people {
		if v.People == nil {
			v.People = map[string]report.Person{}
		}
		v.People[id] = report.Person{FullName: p.FullName, BirthDate: p.BirthDate}
	}
	return nil
}

func committedRow(r postgis.CommittedAllocation) report.Row {
	return report.Row{
		Allocation: allocation.Allocation{
			StudentID: r.StudentID, SchoolID: r.SchoolID, AreaCode: r.AreaCode, Priority: r.Priority,
			Connectivity: r.Connectivity, DeviceID: r.DeviceID, DeviceType: r.DeviceType,
			SimPackageID: r.SimPackageID, SimOperator: r.SimOperator, SimNetwork: r.SimNetwork, Flag: r.Flag, Reason: r.Reason,
			Rank: r.Rank, PoolSize: r.PoolSize, SchoolSeats: r.SchoolSeats, TypeRank: r.TypeRank,
		},
		DeviceSerial: r.DeviceSerial, DeviceIMEI: r.DeviceIMEI, Grade: r.Grade,
		Handover: &report.Handover{Status: r.HandoverStatus, SimICCID: r.SimICCID, HandedOverOn: r.HandedOverOn, ReturnedOn: r.ReturnedOn,
			SimActivatedOn: r.SimActivatedOn, SimEndsOn: r.SimEndsOn, SimRenewals: r.SimRenewals},
	}
}

// Allocation returns a student's committed allocation (any run) with its
// handover. areaCodes, when not nil, limits the search to schools in those
// areas (an officer's subtree): outside them the student is not found.
func (s *Service) Allocation(ctx context.Context, studentID string, areaCodes []string) (report.Row, int64, error) {
	rows, err := s.Store.CommittedAllocations(ctx, postgis.AllocationFilter{StudentID: studentID, AreaCodes: areaCodes})
	if err != nil {
		return report.Row{}, 0, err
	}
	if len(rows) == 0 {
		return report.Row{}, 0, &data.NotFoundError{Kind: "allocation of student", ID: studentID}
	}
	return committedRow(rows[0]), rows[0].RunID, nil
}

// Runs lists the recorded runs, newest first.
func (s *Service) Runs(ctx context.Context) ([]postgis.AllocationRun, error) {
	runs, err := s.Store.ListAllocationRuns(ctx)
	slices.Reverse(runs)
	return runs, err
}

// IsConflict reports whether err is a concurrent commit getting there
// first (nothing of the run was written).
func IsConflict(err error) bool {
	var ce *postgis.ConflictError
	return errors.As(err, &ce)
}

// Handover records that a student received the device (and the SIM with
// its ICCID, when not empty) on day on. A handover is final (a second one
// is a *data.ConflictError); a student without an allocation is a
// *data.NotFoundError.
//
// The ICCID, when given, must be valid (ICCIDProblem) and the day neither
// before the programme began (ProgrammeStart), nor in the future, nor
// before the allocation's run date: otherwise a *data.ValidationError
// naming the field (iccid, date).
func (s *Service) Handover(ctx context.Context, actor, studentID, iccid string, on time.Time) error {
	return s.HandoverActivated(ctx, actor, studentID, iccid, on, time.Time{})
}

// HandoverActivated is Handover with the day the SIM was activated (zero:
// the handover day), which opens the SIM's service period (activation +
// the package's months; see SimsEnding, Renew). The activation day is
// checked like the handover day (field sim_activated).
func (s *Service) HandoverActivated(ctx context.Context, actor, studentID, iccid string, on, activated time.Time) error {
	ve := &data.ValidationError{}
	if activated.IsZero() {
		activated = on
	} else if p := dayProblem(activated, time.Time{}, ""); p != "" {
		ve.Add(data.FieldError{File: "handover", Column: "sim_activated", Value: civil(activated).Format("2006-01-02"), Reason: p})
	}
	if iccid != "" {
		if p := ICCIDProblem(iccid); p != "" {
			ve.Add(data.FieldError{File: "handover", Column: "iccid", Value: iccid, Reason: p})
		}
	}
	if err := s.checkHandoverDay(ctx, "handover", studentID, on, ve); err != nil {
		return err
	}
	if err := ve.Err(); err != nil {
		return err
	}
	return s.Store.RecordHandoverActivated(ctx, actor, studentID, iccid, on, civil(activated))
}

// Return records that a student returned the device on day on, and why.
// The day is checked as a handover's, and may not be before the handover.
func (s *Service) Return(ctx context.Context, actor, studentID, reason string, on time.Time) error {
	ve := &data.ValidationError{}
	if reason == "" {
		ve.Add(data.FieldError{File: "return", Column: "reason", Reason: "say why the device came back (kept in the ledger)"})
	}
	if err := s.checkHandoverDay(ctx, "return", studentID, on, ve); err != nil {
		return err
	}
	if err := ve.Err(); err != nil {
		return err
	}
	return s.Store.RecordReturn(ctx, actor, studentID, reason, on)
}

// Cancel takes back an allocation that was not handed over (the device and
// SIM return to stock; the student can be served again). It returns the
// rows removed.
func (s *Service) Cancel(ctx context.Context, actor, studentID, reason string) (int, error) {
	if reason == "" {
		return 0, &data.ValidationError{Errors: []data.FieldError{{File: "cancel", Column: "reason", Reason: "say why the allocation is cancelled (kept in the ledger)"}}}
	}
	return s.Store.CancelAllocation(ctx, actor, studentID, reason)
}

// legacyTierOrder: a run recorded before the tier order was a setting
// (issue 11) used the fair order, and no area weights.
func legacyTierOrder(raw json.RawMessage, s *allocation.Settings) {
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil {
		return
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if _, ok := keys[n]; ok {
				return true
			}
		}
		return false
	}
	if !has("tier_order", "TierOrder") {
		s.TierOrder = allocation.TierOrderFair
	}
	if !has("area_weights", "AreaWeights") {
		s.AreaWeights = nil
	}
}
