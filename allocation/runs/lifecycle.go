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

// InspectRequest is the inspection of a returned device.
type InspectRequest struct {
	DeviceID string
	Result   string // ok | repair | liquidate
	Date     time.Time
	Reasons  []string // short codes (e.g. screen_broken), optional
	Note     string
}

// Inspect records the inspection of a returned device by actor (the
// inspector). "ok" puts the device back in stock: a later run may give it
// to another student (never to the one who returned it). "repair" and
// "liquidate" need a reason or a note. The day may not be before the
// programme began or in the future (the database adds: not before the
// return). A device not awaiting an inspection is a *data.ConflictError.
func (s *Service) Inspect(ctx context.Context, actor string, q InspectRequest) (postgis.Inspection, error) {
	ve := &data.ValidationError{}
	q.DeviceID, q.Note = strings.TrimSpace(q.DeviceID), strings.TrimSpace(q.Note)
	if q.DeviceID == "" {
		ve.Add(data.FieldError{File: "inspection", Column: "device_id", Reason: "say which device was inspected"})
	}
	if !slices.Contains(InspectionResults(), q.Result) {
		ve.Add(data.FieldError{File: "inspection", Column: "result", Value: q.Result, Reason: "the result is one of " + strings.Join(InspectionResults(), ", ")})
	}
	var reasons []string
	for _, r := range q.Reasons {
		if r = strings.TrimSpace(r); r != "" {
			reasons = append(reasons, r)
		}
	}
	if q.Result != postgis.InspectOK && len(reasons) == 0 && q.Note == "" {
		ve.Add(data.FieldError{File: "inspection", Column: "note", Reason: "say what is wrong (a reason or a note): it is kept with the device's history"})
	}
	if q.Date.IsZero() {
		q.Date = time.Now().In(vietnam)
	}
	if p := dayProblem(q.Date, time.Time{}, ""); p != "" {
		ve.Add(data.FieldError{File: "inspection", Column: "date", Value: civil(q.Date).Format("2006-01-02"), Reason: p})
	}
	if err := ve.Err(); err != nil {
		return postgis.Inspection{}, err
	}
	return s.Store.RecordInspection(ctx, postgis.Inspection{DeviceID: q.DeviceID, Inspector: actor, Result: q.Result,
		InspectedOn: civil(q.Date), Reasons: reasons, Note: q.Note})
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
