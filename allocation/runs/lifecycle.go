package runs

// The device lifecycle, the same for the command line and the HTTP API: a
// returned device is inspected (ok: back in stock for another student;
// repair; liquidate), devices are sold (liquidation, thanh lý) and the
// replacements bought with the money enter stock with the donor "Từ thanh
// lý". The rules are the database's (migration 00014); the checks here
// name the fields a user gets wrong.

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/jackc/pgx/v5"
)

// InspectionResults are the results an inspection may record.
func InspectionResults() []string {
	return []string{postgis.InspectOK, postgis.InspectRepair, postgis.InspectLiquidate}
}

// InspectRequest is the inspection of a returned device, or the intake
// inspection of a device in stock.
type InspectRequest struct {
	DeviceID string
	// Result: ok | repair | liquidate; empty when Conditions are given: the
	// intake check (allocation.CheckDevice) on the inspected device decides.
	Result  string
	Date    time.Time
	Reasons []string // short codes (e.g. screen_broken), optional
	Note    string
	// Conditions the inspector checked: devices column (has_charger,
	// av_ok, screen_ok, keyboard_ok, has_monitor, wifi, headphones,
	// battery_ok) → yes/no. They are applied to the device.
	Conditions map[string]bool
	// Settings of the intake check (nil: allocation.DefaultSettings()).
	Settings *allocation.Settings
}

// Inspect records an inspection by actor (the inspector).
//
// A returned device: "ok" puts it back in stock (a later run may give it
// to another student, never to the one who returned it); "repair" and
// "liquidate" need a reason or a note. Conditions, when given, are applied
// to the device; a result "ok" must then pass the intake check, and an
// empty result is the check's.
//
// A device in stock (intake inspection, e.g. status "inspect" because the
// devices file left its charger unknown): the conditions checked are
// required, applied to the device, and the result is the intake check on
// the device with them (ok: the next allocation run may allocate it;
// repair or liquidate: never allocated). A check that still finds an
// unknown required condition, or a result given that differs from the
// check's, is a *data.ValidationError.
//
// The day may not be before the programme began or in the future (the
// database adds: not before the return). A device with a student, or sold,
// is a *data.ConflictError.
func (s *Service) Inspect(ctx context.Context, actor string, q InspectRequest) (postgis.Inspection, error) {
	ve := &data.ValidationError{}
	const file = "inspection"
	q.DeviceID, q.Note, q.Result = strings.TrimSpace(q.DeviceID), strings.TrimSpace(q.Note), strings.TrimSpace(q.Result)
	if q.DeviceID == "" {
		ve.Add(data.FieldError{File: file, Column: "device_id", Reason: "say which device was inspected"})
	}
	switch {
	case q.Result == "" && len(q.Conditions) == 0:
		ve.Add(data.FieldError{File: file, Column: "result", Reason: "give the result (" + strings.Join(InspectionResults(), ", ") + ") or the conditions checked"})
	case q.Result != "" && !slices.Contains(InspectionResults(), q.Result):
		ve.Add(data.FieldError{File: file, Column: "result", Value: q.Result, Reason: "the result is one of " + strings.Join(InspectionResults(), ", ")})
	}
	for col := range q.Conditions {
		if (&data.Device{}).Condition(col) == nil {
			ve.Add(data.FieldError{File: file, Column: "conditions", Value: col, Reason: "not a device condition: one of " + strings.Join(data.DeviceConditionColumns(), ", ")})
		}
	}
	var reasons []string
	for _, r := range q.Reasons {
		if r = strings.TrimSpace(r); r != "" {
			reasons = append(reasons, r)
		}
	}
	if q.Result != "" && q.Result != postgis.InspectOK && len(reasons) == 0 && q.Note == "" {
		ve.Add(data.FieldError{File: file, Column: "note", Reason: "say what is wrong (a reason or a note): it is kept with the device's history"})
	}
	if q.Date.IsZero() {
		q.Date = time.Now().In(vietnam)
	}
	if p := dayProblem(q.Date, time.Time{}, ""); p != "" {
		ve.Add(data.FieldError{File: file, Column: "date", Value: civil(q.Date).Format("2006-01-02"), Reason: p})
	}
	if err := ve.Err(); err != nil {
		return postgis.Inspection{}, err
	}
	settings := allocation.DefaultSettings()
	if q.Settings != nil {
		settings = *q.Settings
	}
	in := postgis.Inspection{DeviceID: q.DeviceID, Inspector: actor, Result: q.Result,
		InspectedOn: civil(q.Date), Reasons: reasons, Note: q.Note, Conditions: q.Conditions}
	return s.Store.RecordInspectionChecked(ctx, in, func(st postgis.DeviceState, d data.Device, registered bool) (string, []string, error) {
		if !registered {
			// A returned device no longer in the devices list: the
			// inspector's word alone.
			if q.Result == "" {
				return "", nil, &data.ValidationError{Errors: []data.FieldError{{File: file, Column: "result", Reason: "the device is not in the devices list any more: give the result"}}}
			}
			return q.Result, nil, nil
		}
		c := allocation.CheckDevice(d, settings)
		intake := st.State == postgis.DeviceInStock
		if !intake && len(q.Conditions) == 0 {
			return q.Result, nil, nil
		}
		if c.Status == allocation.StatusInspect {
			return "", nil, &data.ValidationError{Errors: []data.FieldError{{File: file, Column: "conditions", Value: strings.Join(c.Reasons, ", "),
				Reason: "the device still has required conditions nobody checked: record them too"}}}
		}
		switch {
		case q.Result == "":
			return c.Status, c.Reasons, nil
		case intake && q.Result != c.Status:
			return "", nil, &data.ValidationError{Errors: []data.FieldError{{File: file, Column: "result", Value: q.Result, Reason: fmt.Sprintf(
				"the conditions recorded give the intake check %s (%s): at intake the result follows the conditions (leave it empty, or record the condition that fails)", c.Status, strings.Join(c.Reasons, ", "))}}}
		case q.Result == postgis.InspectOK && c.Status != allocation.StatusOK:
			return "", nil, &data.ValidationError{Errors: []data.FieldError{{File: file, Column: "result", Value: q.Result, Reason: fmt.Sprintf(
				"the conditions recorded fail the intake check (%s, %s): the result is repair or liquidate", c.Status, strings.Join(c.Reasons, ", "))}}}
		}
		return q.Result, nil, nil
	})
}

// History returns every ledger entry of a device, in order.
func (s *Service) History(ctx context.Context, deviceID string) ([]postgis.LedgerEntry, error) {
	return s.Store.DeviceHistory(ctx, strings.TrimSpace(deviceID))
}

// LiquidateRequest is a sale of devices.
type LiquidateRequest struct {
	DeviceIDs []string
	Date      time.Time
	AmountVND int64 // money raised
	Buyer     string
	Note      string
}

// Liquidate records a sale by actor. Each device must be either returned
// and inspected "liquidate", or in stock and found "liquidate" by the
// intake check under settings (below the minimum in a way no repair
// fixes); a device with a student, awaiting inspection, in repair or sold
// before is refused (a *data.ValidationError naming every such device).
// Devices sold never enter a run again.
func (s *Service) Liquidate(ctx context.Context, actor string, q LiquidateRequest, settings allocation.Settings) (postgis.Liquidation, error) {
	ve := &data.ValidationError{}
	const file = "liquidation"
	seen := map[string]bool{}
	var ids []string
	for _, id := range q.DeviceIDs {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if seen[id] {
			ve.Add(data.FieldError{File: file, Column: "devices", Value: id, Reason: "the device is listed twice"})
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		ve.Add(data.FieldError{File: file, Column: "devices", Reason: "list the devices sold"})
	}
	if q.AmountVND < 0 {
		ve.Add(data.FieldError{File: file, Column: "amount", Value: strconv.FormatInt(q.AmountVND, 10), Reason: "the money raised (VND) is 0 or more"})
	}
	if q.Date.IsZero() {
		q.Date = time.Now().In(vietnam)
	}
	if p := dayProblem(q.Date, time.Time{}, ""); p != "" {
		ve.Add(data.FieldError{File: file, Column: "date", Value: civil(q.Date).Format("2006-01-02"), Reason: p})
	}
	if err := ve.Err(); err != nil {
		return postgis.Liquidation{}, err
	}
	l := postgis.Liquidation{SoldOn: civil(q.Date), Buyer: strings.TrimSpace(q.Buyer), Note: strings.TrimSpace(q.Note), AmountVND: q.AmountVND, Actor: actor}
	return s.Store.RecordLiquidation(ctx, l, func(ctx context.Context, tx postgis.Querier) ([]postgis.LiquidatedDevice, error) {
		states, err := postgis.DeviceStates(ctx, tx, ids)
		if err != nil {
			return nil, err
		}
		devs, err := postgis.ReadDevices(ctx, tx, ids)
		if err != nil {
			return nil, err
		}
		out := make([]postgis.LiquidatedDevice, 0, len(ids))
		for _, id := range ids {
			st, known := states[id]
			d := devs[id]
			ld := postgis.LiquidatedDevice{DeviceID: id, DeviceType: d.Type, Serial: d.Serial}
			reason := ""
			switch {
			case !known:
				reason = "no such device"
			case st.State == postgis.DeviceToLiquidate:
				ld.InspectionID = st.InspectionID
			case st.State == postgis.DeviceInStock && !st.Registered:
				reason = "the device is not in the devices list any more"
			case st.State == postgis.DeviceInStock:
				if c := allocation.CheckDevice(d, settings); c.Status != allocation.StatusLiquidate {
					reason = fmt.Sprintf("the device is in stock and its intake check is %q, not liquidate: only a device below the minimum that no repair fixes, or inspected \"liquidate\" after a return, is sold", c.Status)
				}
			default:
				reason = lifecycleRefusal(st)
			}
			if reason != "" {
				ve.Add(data.FieldError{File: file, Column: "devices", Value: id, Reason: reason})
				continue
			}
			out = append(out, ld)
		}
		if err := ve.Err(); err != nil {
			return nil, err
		}
		return out, nil
	})
}

func lifecycleRefusal(st postgis.DeviceState) string {
	switch st.State {
	case postgis.DeviceAllocated:
		return fmt.Sprintf("the device is allocated to a student (run %d): it is not sold", st.RunID)
	case postgis.DeviceAwaitingInspection:
		return "the device was returned and awaits its inspection: inspect it first (gapmap device inspect --result liquidate)"
	case postgis.DeviceInRepair:
		return "the device is in repair (last inspection): inspect it again with the result liquidate to sell it"
	case postgis.DeviceLiquidated:
		return fmt.Sprintf("the device was sold already (liquidation %d)", st.LiquidationID)
	}
	return "the device cannot be sold (" + st.State + ")"
}

// Liquidations returns every sale with its devices and replacements.
func (s *Service) Liquidations(ctx context.Context) ([]postgis.Liquidation, error) {
	return s.Store.Liquidations(ctx)
}

// Replacements is what a replacement import wrote.
type Replacements struct {
	Liquidation postgis.Liquidation `json:"liquidation"`
	Imported    Imported            `json:"imported"`
	Devices     []DeviceResult      `json:"devices"`
}

// Replace imports the devices bought with the money of sale liquidationID
// from a devices file (the devices.csv format; name is the file's name as
// the user knows it, its extension says CSV, XLSX or gzipped CSV) through
// the ordinary import (every check; all or nothing). Each replacement must
// pass the intake check under settings (status ok: a new purchase below
// the minimum is refused like any device); its donor column is empty or
// "Từ thanh lý" ("from liquidation"), and the import gives every device
// that donor and links it to the sale, in the same transaction.
func (s *Service) Replace(ctx context.Context, actor string, liquidationID int64, name string, body io.Reader, settings allocation.Settings) (*Replacements, error) {
	if _, err := s.Store.LiquidationByID(ctx, liquidationID); err != nil {
		return nil, err
	}
	base := filepath.Base(strings.ReplaceAll(strings.TrimSpace(name), `\`, "/"))
	if inventoryExt(base) == "" {
		return nil, &data.ValidationError{Errors: []data.FieldError{{File: name, Reason: "send a devices file: .csv, .xlsx or .csv.gz"}}}
	}
	dir, err := os.MkdirTemp("", "gapmap-replace-")
	if err != nil {
		return nil, fmt.Errorf("store the upload: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, base)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store the upload: %w", err)
	}
	if _, err := io.Copy(f, body); err != nil {
		f.Close()
		return nil, fmt.Errorf("read the upload %s: %w", base, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("store the upload: %w", err)
	}
	out := &Replacements{}
	var ids []string
	errs := &data.ValidationError{}
	err = format.ReadDevices(ctx, path, errs, func(row int, d data.Device) error {
		c := allocation.CheckDevice(d, settings)
		out.Devices = append(out.Devices, DeviceResult{DeviceCheck: allocation.DeviceCheck{DeviceID: d.ID, SpecResult: c}, Type: d.Type, Action: "stock"})
		ids = append(ids, d.ID)
		if c.Status != allocation.StatusOK {
			errs.Add(data.FieldError{File: base, Row: row, Column: "device_id", Value: d.ID, Reason: fmt.Sprintf(
				"a replacement must meet the minimum specs: the intake check is %s (%s)", c.Status, strings.Join(c.Reasons, ", "))})
		}
		if d.Donor != "" && d.Donor != data.DonorFromLiquidation && !strings.EqualFold(d.Donor, "from liquidation") {
			errs.Add(data.FieldError{File: base, Row: row, Column: "donor", Value: d.Donor, Reason: fmt.Sprintf("a replacement's donor is %q (leave it empty)", data.DonorFromLiquidation)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, &data.ValidationError{Errors: []data.FieldError{{File: base, Reason: "the file lists no device"}}}
	}
	sum, err := importer.Import(ctx, s.Store, format.KindDevices, path, importer.Options{
		Then: func(ctx context.Context, tx pgx.Tx) error {
			return postgis.LinkReplacements(ctx, tx, actor, liquidationID, ids)
		},
	})
	if err != nil {
		return nil, err
	}
	out.Imported = Imported{Kind: sum.Kind, File: base, Rows: sum.Rows, Inserted: sum.Inserted}
	for _, w := range sum.Warnings {
		out.Imported.Warnings = append(out.Imported.Warnings, w.Error())
	}
	if out.Liquidation, err = s.Store.LiquidationByID(ctx, liquidationID); err != nil {
		return nil, err
	}
	return out, nil
}

// LiquidationsHeader is the header of the liquidations CSV.
func LiquidationsHeader() []string {
	return []string{"liquidation_id", "sold_on", "buyer", "amount_vnd", "devices_sold", "device_ids", "replacements", "replacement_ids", "note", "actor"}
}

// WriteLiquidationsCSV writes the sales (UTF-8 with BOM, formula-safe):
// one row per sale with the money raised, the devices sold and the
// replacements bought, and a last row "total".
func WriteLiquidationsCSV(w io.Writer, ls []postgis.Liquidation) error {
	c, err := format.NewCSV(w, LiquidationsHeader())
	if err != nil {
		return err
	}
	var amount int64
	sold, bought := 0, 0
	for _, l := range ls {
		ids := make([]string, len(l.Devices))
		for i, d := range l.Devices {
			ids[i] = d.DeviceID
		}
		amount += l.AmountVND
		sold += len(l.Devices)
		bought += len(l.Replacements)
		if err := c.Write([]string{strconv.FormatInt(l.ID, 10), l.SoldOn.Format("2006-01-02"), l.Buyer, strconv.FormatInt(l.AmountVND, 10),
			strconv.Itoa(len(l.Devices)), strings.Join(ids, ";"), strconv.Itoa(len(l.Replacements)), strings.Join(l.Replacements, ";"), l.Note, l.Actor}); err != nil {
			return err
		}
	}
	if err := c.Write([]string{"total", "", "", strconv.FormatInt(amount, 10), strconv.Itoa(sold), "", strconv.Itoa(bought), "", "", ""}); err != nil {
		return err
	}
	return c.Flush()
}

// HistoryHeader is the header of a device's history CSV.
func HistoryHeader() []string {
	return []string{"at", "action", "actor", "run_id", "student_id", "reason"}
}

// WriteHistoryCSV writes a device's history (UTF-8 with BOM).
func WriteHistoryCSV(w io.Writer, entries []postgis.LedgerEntry) error {
	c, err := format.NewCSV(w, HistoryHeader())
	if err != nil {
		return err
	}
	for _, e := range entries {
		run := ""
		if e.RunID != 0 {
			run = strconv.FormatInt(e.RunID, 10)
		}
		if err := c.Write([]string{e.At.UTC().Format("2006-01-02 15:04:05"), e.Action, e.Actor, run, e.StudentID, e.Reason}); err != nil {
			return err
		}
	}
	return c.Flush()
}

// DeviceItem is a device as the lists of the lifecycle show it (no
// student: the list is for stock keeping).
type DeviceItem struct {
	DeviceID string `json:"device_id"`
	Type     string `json:"type"`
	Serial   string `json:"serial"`
	Donor    string `json:"donor"`
	// AreaCode: the area of the allocation that holds it (a returned
	// device), else where it is held ("" = province stock).
	AreaCode string `json:"area_code"`
	State    string `json:"state"` // lifecycle state (postgis.Device*)
	Check    string `json:"check"` // intake check status ("" when not registered)
	// Status: State, except for a device in stock, whose status follows its
	// intake check (ok: in_stock, inspect: awaiting_inspection, repair:
	// repair, liquidate: to_liquidate).
	Status  string   `json:"status"`
	Reasons []string `json:"reasons"` // of the intake check
}

// DeviceStatuses are the statuses a device list may be filtered on.
func DeviceStatuses() []string {
	return []string{postgis.DeviceAwaitingInspection, postgis.DeviceInStock, postgis.DeviceAllocated, postgis.DeviceInRepair,
		postgis.DeviceToLiquidate, postgis.DeviceLiquidated}
}

// Devices lists the devices whose status is status ("" = every device),
// ordered by id; the intake check runs under settings. "awaiting_inspection"
// is the inspectors' work list: returned devices not inspected yet and
// devices in stock whose file left a required condition unknown.
func (s *Service) Devices(ctx context.Context, status string, settings allocation.Settings) ([]DeviceItem, error) {
	if status != "" && !slices.Contains(DeviceStatuses(), status) {
		return nil, &data.ValidationError{Errors: []data.FieldError{{File: "request", Column: "status", Value: status,
			Reason: "the status is one of " + strings.Join(DeviceStatuses(), ", ")}}}
	}
	states, err := s.Store.DeviceStates(ctx, nil)
	if err != nil {
		return nil, err
	}
	devs := map[string]data.Device{}
	if err := s.Store.EachDevice(ctx, func(d data.Device) error { devs[d.ID] = d; return nil }); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(states))
	for id := range states {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := []DeviceItem{}
	for _, id := range ids {
		d, registered := devs[id]
		it := deviceItem(states[id], d, registered, settings)
		if status == "" || it.Status == status {
			out = append(out, it)
		}
	}
	return out, nil
}

// deviceItem is a device's list entry: its state, and its intake check
// when it is registered.
func deviceItem(st postgis.DeviceState, d data.Device, registered bool, settings allocation.Settings) DeviceItem {
	it := DeviceItem{DeviceID: st.DeviceID, State: st.State, Status: st.State, AreaCode: st.AreaCode, Reasons: []string{}}
	if !registered {
		return it
	}
	c := allocation.CheckDevice(d, settings)
	it.Type, it.Serial, it.Donor, it.Check = d.Type, d.Serial, d.Donor, c.Status
	if c.Reasons != nil {
		it.Reasons = c.Reasons
	}
	if st.AllocationID == 0 {
		it.AreaCode = d.AreaCode
	}
	if st.State == postgis.DeviceInStock {
		it.Status = map[string]string{allocation.StatusOK: postgis.DeviceInStock, allocation.StatusInspect: postgis.DeviceAwaitingInspection,
			allocation.StatusRepair: postgis.DeviceInRepair, allocation.StatusLiquidate: postgis.DeviceToLiquidate}[c.Status]
	}
	return it
}

// Device returns one device's list entry (its state, intake check and
// status); a device the store never heard of is a *data.NotFoundError.
func (s *Service) Device(ctx context.Context, id string, settings allocation.Settings) (DeviceItem, error) {
	id = strings.TrimSpace(id)
	states, err := s.Store.DeviceStates(ctx, []string{id})
	if err != nil {
		return DeviceItem{}, err
	}
	st, ok := states[id]
	if !ok {
		return DeviceItem{}, &data.NotFoundError{Kind: "device", ID: id}
	}
	devs, err := postgis.ReadDevices(ctx, s.Store.Pool(), []string{id})
	if err != nil {
		return DeviceItem{}, err
	}
	d, registered := devs[id]
	return deviceItem(st, d, registered, settings), nil
}
