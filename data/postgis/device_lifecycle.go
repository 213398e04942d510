package postgis

// The device lifecycle in the store (migrations/00014_device_lifecycle.sql):
// a returned device waits for an inspection; "ok" puts it back in stock
// (its allocation is released and a later run may give it to another
// student), "repair" and "liquidate" keep it out; a sale (liquidation)
// records the devices sold and the money raised, and the replacement
// devices bought with it. The database enforces the rules; this file reads
// and writes them.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Lifecycle states of a device.
const (
	DeviceInStock            = "in_stock"            // never allocated, or back in stock after an inspection "ok"
	DeviceAllocated          = "allocated"           // an allocation holds it (handover pending or handed over)
	DeviceAwaitingInspection = "awaiting_inspection" // returned, not inspected yet
	DeviceInRepair           = "repair"              // returned, last inspection "repair"
	DeviceToLiquidate        = "to_liquidate"        // returned, last inspection "liquidate", not sold yet
	DeviceLiquidated         = "liquidated"          // sold
)

// Results of an inspection.
const (
	InspectOK        = "ok"
	InspectRepair    = "repair"
	InspectLiquidate = "liquidate"
)

// Inspection is the inspection of a returned device.
type Inspection struct {
	ID           int64     `json:"id"`
	DeviceID     string    `json:"device_id"`
	AllocationID int64     `json:"allocation_id"`
	InspectedOn  time.Time `json:"inspected_on"`
	Inspector    string    `json:"inspector"`
	Result       string    `json:"result"`
	Reasons      []string  `json:"reasons"`
	Note         string    `json:"note"`
	// Conditions are the conditions the inspector checked (devices column
	// → yes/no, data.DeviceConditionColumns); they are applied to the
	// device. An intake inspection (AllocationID 0: a device in stock, e.g.
	// one whose file left a required condition unknown) records at least one.
	Conditions map[string]bool `json:"conditions"`
	CreatedAt  time.Time       `json:"created_at"`
}

// Intake reports whether the inspection is of a device in stock (no
// allocation), not of a returned one.
func (in Inspection) Intake() bool { return in.AllocationID == 0 }

// DeviceState is where a device is in its lifecycle.
type DeviceState struct {
	DeviceID string
	// Registered: the devices table has the device (a device sold or
	// allocated may have left it in a re-import).
	Registered bool
	State      string // one of the Device* states
	// The allocation that holds it (0: none), its run, student and the
	// area of the student's school.
	AllocationID int64
	RunID        int64
	StudentID    string
	AreaCode     string
	// The last inspection of that allocation (0: none).
	InspectionID int64
	Inspection   string
	// The sale (0: not sold).
	LiquidationID int64
}

// DeviceStates returns the state of the devices ids (nil: every device
// registered, allocated or sold), by device id.
func DeviceStates(ctx context.Context, q Querier, ids []string) (map[string]DeviceState, error) {
	out := map[string]DeviceState{}
	err := scanEach(ctx, q, "device states", `WITH ids AS (
			SELECT device_id FROM devices
			UNION SELECT device_id FROM allocations WHERE benefit = 'device'
			UNION SELECT device_id FROM liquidation_devices)
		SELECT i.device_id, d.device_id IS NOT NULL, coalesce(a.id, 0), coalesce(a.run_id, 0), coalesce(a.student_id, ''),
			coalesce(a.area_code, ''), coalesce(h.status, ''), coalesce(li.id, 0), coalesce(li.result, ''), coalesce(l.liquidation_id, 0)
		FROM ids i
		LEFT JOIN devices d ON d.device_id = i.device_id
		LEFT JOIN allocations a ON a.device_id = i.device_id AND a.benefit = 'device' AND a.released_on IS NULL
		LEFT JOIN handovers h ON h.student_id = a.student_id
		LEFT JOIN LATERAL (SELECT x.id, x.result FROM device_inspections x WHERE x.allocation_id = a.id ORDER BY x.id DESC LIMIT 1) li ON true
		LEFT JOIN liquidation_devices l ON l.device_id = i.device_id
		WHERE $1::text[] IS NULL OR i.device_id = ANY ($1)`, []any{ids}, func(r pgx.Rows) error {
		var s DeviceState
		var handover string
		if err := r.Scan(&s.DeviceID, &s.Registered, &s.AllocationID, &s.RunID, &s.StudentID, &s.AreaCode, &handover,
			&s.InspectionID, &s.Inspection, &s.LiquidationID); err != nil {
			return err
		}
		switch {
		case s.LiquidationID != 0:
			s.State = DeviceLiquidated
		case s.AllocationID == 0:
			s.State = DeviceInStock
		case handover != HandoverReturned:
			s.State = DeviceAllocated
		case s.Inspection == InspectRepair:
			s.State = DeviceInRepair
		case s.Inspection == InspectLiquidate:
			s.State = DeviceToLiquidate
		default:
			s.State = DeviceAwaitingInspection
		}
		out[s.DeviceID] = s
		return nil
	})
	return out, err
}

// DeviceStates returns the state of the devices ids (nil: every device).
func (s *Store) DeviceStates(ctx context.Context, ids []string) (map[string]DeviceState, error) {
	return DeviceStates(ctx, s.pool, ids)
}

// deviceState returns one device's state; a *data.NotFoundError when the
// store never heard of it.
func deviceState(ctx context.Context, q Querier, id string) (DeviceState, error) {
	m, err := DeviceStates(ctx, q, []string{id})
	if err != nil {
		return DeviceState{}, err
	}
	st, ok := m[id]
	if !ok {
		return st, &data.NotFoundError{Kind: "device", ID: id}
	}
	return st, nil
}

// InspectionCheck decides, inside the inspection's transaction (the
// allocation commits locked out), the result of an inspection: it gets the
// device's state and its row with the inspected conditions applied
// (registered false: the devices table no longer has it) and returns the
// result to record and reasons to add, or an error (nothing is written).
type InspectionCheck func(st DeviceState, d data.Device, registered bool) (result string, reasons []string, err error)

// RecordInspection records an inspection with the result in.Result (see
// RecordInspectionChecked).
func (s *Store) RecordInspection(ctx context.Context, in Inspection) (Inspection, error) {
	return s.RecordInspectionChecked(ctx, in, nil)
}

// RecordInspectionChecked records the inspection of a device: of a
// returned device that an allocation still holds (in.AllocationID is found
// here), or, when in.Conditions is not empty, of a registered device in
// stock (an intake inspection). Result "ok" of a returned device puts it
// back in stock (its allocation is released on the inspection day),
// "repair" and "liquidate" keep it out. The conditions checked are applied
// to the device (a later run checks it again). check, when not nil, sets
// the result. A device with a student, sold, or in stock without
// conditions is a *data.ConflictError; an unknown device a
// *data.NotFoundError.
func (s *Store) RecordInspectionChecked(ctx context.Context, in Inspection, check InspectionCheck) (Inspection, error) {
	if in.Reasons == nil {
		in.Reasons = []string{}
	}
	if in.Conditions == nil {
		in.Conditions = map[string]bool{}
	}
	for col := range in.Conditions {
		if (&data.Device{}).Condition(col) == nil {
			return in, &data.ValidationError{Errors: []data.FieldError{{File: "inspection", Column: "conditions", Value: col,
				Reason: "not a device condition: one of " + strings.Join(data.DeviceConditionColumns(), ", ")}}}
		}
	}
	err := s.withActor(ctx, in.Inspector, in.Note, func(tx pgx.Tx) error {
		if len(in.Conditions) > 0 || check != nil {
			// A condition changes what a run may allocate: keep commits out.
			if err := LockDevicesForSale(ctx, tx); err != nil {
				return err
			}
		}
		st, err := deviceState(ctx, tx, in.DeviceID)
		if err != nil {
			return err
		}
		switch st.State {
		case DeviceInStock:
			if len(in.Conditions) == 0 {
				return &data.ConflictError{Reason: fmt.Sprintf("device %s is in stock, not returned: an intake inspection records the conditions checked (charger, screen, …)", in.DeviceID)}
			}
			if !st.Registered {
				return &data.ConflictError{Reason: fmt.Sprintf("device %s is not in the devices list any more: import it again before inspecting it", in.DeviceID)}
			}
			in.AllocationID = 0
		case DeviceAllocated:
			return &data.ConflictError{Reason: fmt.Sprintf("device %s is allocated to a student (run %d) and was not returned: record the return first", in.DeviceID, st.RunID)}
		case DeviceLiquidated:
			return &data.ConflictError{Reason: fmt.Sprintf("device %s was sold (liquidation %d)", in.DeviceID, st.LiquidationID)}
		default:
			in.AllocationID = st.AllocationID
		}
		if check != nil {
			devs, err := ReadDevices(ctx, tx, []string{in.DeviceID})
			if err != nil {
				return err
			}
			d, registered := devs[in.DeviceID]
			d.ApplyConditions(in.Conditions)
			result, reasons, err := check(st, d, registered)
			if err != nil {
				return err
			}
			in.Result = result
			for _, r := range reasons {
				if !slices.Contains(in.Reasons, r) {
					in.Reasons = append(in.Reasons, r)
				}
			}
		}
		conds, err := json.Marshal(in.Conditions)
		if err != nil {
			return err
		}
		day := pgtype.Date{Time: dayUTC(in.InspectedOn), Valid: true}
		return tx.QueryRow(ctx, `INSERT INTO device_inspections (device_id, allocation_id, inspected_on, inspector, result, reasons, note, conditions)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) RETURNING id, created_at`,
			in.DeviceID, pgtype.Int8{Int64: in.AllocationID, Valid: in.AllocationID != 0}, day, in.Inspector, in.Result, in.Reasons, in.Note, string(conds)).Scan(&in.ID, &in.CreatedAt)
	})
	in.InspectedOn = dayUTC(in.InspectedOn)
	return in, err
}

func dayUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// LedgerEntry is one line of the allocation ledger.
type LedgerEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Action    string    `json:"action"`
	RunID     int64     `json:"run_id,omitempty"`
	StudentID string    `json:"student_id,omitempty"`
	// AreaCode is the area of the student's allocation ("" when the entry
	// has no student or the allocation was cancelled since).
	AreaCode string `json:"area_code,omitempty"`
	DeviceID string `json:"device_id"`
	Reason   string `json:"reason"`
}

// DeviceHistory returns every ledger entry of a device in order:
// allocations, cancellations, handovers, returns, inspections, restocks,
// the sale, the purchase as a replacement. A device the store never heard
// of is a *data.NotFoundError.
func (s *Store) DeviceHistory(ctx context.Context, id string) ([]LedgerEntry, error) {
	var out []LedgerEntry
	err := scanEach(ctx, s.pool, "the history of device "+id, `SELECT l.id, l.at, l.actor, l.action, coalesce(l.run_id, 0), coalesce(l.student_id, ''),
		coalesce(a.area_code, ''), l.device_id, l.reason FROM allocation_ledger l
		LEFT JOIN allocations a ON a.run_id = l.run_id AND a.student_id = l.student_id AND a.device_id = l.device_id AND a.benefit = 'device'
		WHERE l.device_id = $1 ORDER BY l.id`, []any{id}, func(r pgx.Rows) error {
		var e LedgerEntry
		if err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.RunID, &e.StudentID, &e.AreaCode, &e.DeviceID, &e.Reason); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		if _, err := deviceState(ctx, s.pool, id); err != nil {
			return nil, err
		}
		out = []LedgerEntry{}
	}
	return out, nil
}

// Liquidation is a sale of devices (thanh lý) and what its money bought.
type Liquidation struct {
	ID           int64              `json:"id"`
	SoldOn       time.Time          `json:"sold_on"`
	Buyer        string             `json:"buyer"`
	Note         string             `json:"note"`
	AmountVND    int64              `json:"amount_vnd"`
	Actor        string             `json:"actor"`
	CreatedAt    time.Time          `json:"created_at"`
	Devices      []LiquidatedDevice `json:"devices"`
	Replacements []string           `json:"replacements"` // device ids bought with the money
}

// LiquidatedDevice is one device sold.
type LiquidatedDevice struct {
	DeviceID     string `json:"device_id"`
	DeviceType   string `json:"device_type"`
	Serial       string `json:"serial"`
	InspectionID int64  `json:"inspection_id,omitempty"` // the inspection "liquidate" (0: the intake check)
}

// LockDevicesForSale takes, in tx, the lock that keeps allocation commits
// out while a sale is checked and written (a commit waits for it, then
// sees the devices sold): SHARE ROW EXCLUSIVE on allocations.
func LockDevicesForSale(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `LOCK TABLE allocations IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("lock the allocations for a sale: %w", missingTable(err))
	}
	return nil
}

// RecordLiquidation records a sale in one transaction. check, called
// inside it after the allocation commits are locked out, reads the states
// of the devices (DeviceStates on the transaction) and returns the rows to
// write or an error (nothing is written). The database refuses a device
// that is with a student, returned and not inspected "liquidate", or sold
// before (a *data.ConflictError).
func (s *Store) RecordLiquidation(ctx context.Context, l Liquidation, check func(ctx context.Context, q Querier) ([]LiquidatedDevice, error)) (Liquidation, error) {
	err := s.withActor(ctx, l.Actor, l.Note, func(tx pgx.Tx) error {
		if err := LockDevicesForSale(ctx, tx); err != nil {
			return err
		}
		devs, err := check(ctx, tx)
		if err != nil {
			return err
		}
		l.Devices = devs
		day := pgtype.Date{Time: dayUTC(l.SoldOn), Valid: true}
		if err := tx.QueryRow(ctx, `INSERT INTO liquidations (sold_on, buyer, note, amount_vnd, actor) VALUES ($1, $2, $3, $4, $5)
			RETURNING id, created_at`, day, l.Buyer, l.Note, l.AmountVND, l.Actor).Scan(&l.ID, &l.CreatedAt); err != nil {
			return fmt.Errorf("record the liquidation: %w", missingTable(err))
		}
		for _, d := range devs {
			if _, err := tx.Exec(ctx, `INSERT INTO liquidation_devices (device_id, liquidation_id, inspection_id, device_type, serial)
				VALUES ($1, $2, $3, $4, $5)`, d.DeviceID, l.ID, pgtype.Int8{Int64: d.InspectionID, Valid: d.InspectionID != 0}, d.DeviceType, d.Serial); err != nil {
				return fmt.Errorf("record device %s sold: %w", d.DeviceID, err)
			}
		}
		return nil
	})
	l.SoldOn = dayUTC(l.SoldOn)
	if l.Replacements == nil {
		l.Replacements = []string{}
	}
	return l, err
}

// ReadDevices returns the registered devices ids (with their donor's
// name), by id; ids not registered are absent.
func ReadDevices(ctx context.Context, q Querier, ids []string) (map[string]data.Device, error) {
	out := map[string]data.Device{}
	err := scanEach(ctx, q, "devices", `SELECT `+deviceColumns+` FROM devices d LEFT JOIN donors o ON o.donor_id = d.donor_id
		WHERE d.device_id = ANY ($1)`, []any{ids}, func(r pgx.Rows) error {
		d, err := scanDevice(r)
		if err != nil {
			return err
		}
		out[d.ID] = d
		return nil
	})
	return out, err
}

// Liquidations returns every sale, oldest first, with its devices and
// replacements.
func (s *Store) Liquidations(ctx context.Context) ([]Liquidation, error) {
	return s.liquidations(ctx, 0)
}

// LiquidationByID returns one sale; a *data.NotFoundError when there is
// none.
func (s *Store) LiquidationByID(ctx context.Context, id int64) (Liquidation, error) {
	ls, err := s.liquidations(ctx, id)
	if err != nil {
		return Liquidation{}, err
	}
	if len(ls) == 0 {
		return Liquidation{}, &data.NotFoundError{Kind: "liquidation", ID: strconv.FormatInt(id, 10)}
	}
	return ls[0], nil
}

func (s *Store) liquidations(ctx context.Context, id int64) ([]Liquidation, error) {
	var out []Liquidation
	at := map[int64]int{}
	err := scanEach(ctx, s.pool, "liquidations", `SELECT id, sold_on, buyer, note, amount_vnd, actor, created_at FROM liquidations
		WHERE $1 = 0 OR id = $1 ORDER BY id`, []any{id}, func(r pgx.Rows) error {
		var l Liquidation
		var day pgtype.Date
		if err := r.Scan(&l.ID, &day, &l.Buyer, &l.Note, &l.AmountVND, &l.Actor, &l.CreatedAt); err != nil {
			return err
		}
		l.SoldOn, l.Devices, l.Replacements = day.Time, []LiquidatedDevice{}, []string{}
		at[l.ID] = len(out)
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = scanEach(ctx, s.pool, "liquidated devices", `SELECT liquidation_id, device_id, device_type, serial, coalesce(inspection_id, 0)
		FROM liquidation_devices WHERE $1 = 0 OR liquidation_id = $1 ORDER BY liquidation_id, device_id`, []any{id}, func(r pgx.Rows) error {
		var lid int64
		var d LiquidatedDevice
		if err := r.Scan(&lid, &d.DeviceID, &d.DeviceType, &d.Serial, &d.InspectionID); err != nil {
			return err
		}
		if i, ok := at[lid]; ok {
			out[i].Devices = append(out[i].Devices, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = scanEach(ctx, s.pool, "replacement devices", `SELECT liquidation_id, device_id FROM liquidation_replacements
		WHERE $1 = 0 OR liquidation_id = $1 ORDER BY liquidation_id, device_id`, []any{id}, func(r pgx.Rows) error {
		var lid int64
		var d string
		if err := r.Scan(&lid, &d); err != nil {
			return err
		}
		if i, ok := at[lid]; ok {
			out[i].Replacements = append(out[i].Replacements, d)
		}
		return nil
	})
	return out, err
}

// LinkReplacements, inside the transaction that imported the devices ids,
// gives them the donor data.DonorFromLiquidation and links them to sale
// liquidationID (each in the ledger as "replace", by actor). A sale that
// does not exist is a *data.NotFoundError.
func LinkReplacements(ctx context.Context, tx pgx.Tx, actor string, liquidationID int64, ids []string) error {
	if _, err := tx.Exec(ctx, `SELECT set_config('gapmap.actor', $1, true)`, actor); err != nil {
		return err
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM liquidations WHERE id = $1)`, liquidationID).Scan(&ok); err != nil {
		return fmt.Errorf("find liquidation %d: %w", liquidationID, missingTable(err))
	}
	if !ok {
		return &data.NotFoundError{Kind: "liquidation", ID: strconv.FormatInt(liquidationID, 10)}
	}
	if _, err := EnsureDonors(ctx, tx, []string{data.DonorFromLiquidation}); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `UPDATE devices SET donor_id = (SELECT donor_id FROM donors WHERE name = $2 OR donor_id = $3 ORDER BY donor_id = $3 DESC LIMIT 1)
		WHERE device_id = ANY ($1)`, ids, data.DonorFromLiquidation, DonorID(data.DonorFromLiquidation))
	if err != nil {
		return fmt.Errorf("give the replacements their donor: %w", err)
	}
	if int(tag.RowsAffected()) != len(ids) {
		return fmt.Errorf("%d of %d replacement devices are in the devices table", tag.RowsAffected(), len(ids))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO liquidation_replacements (device_id, liquidation_id)
		SELECT u, $2 FROM unnest($1::text[]) AS u ORDER BY u`, ids, liquidationID); err != nil {
		return fmt.Errorf("link the replacements to liquidation %d: %w", liquidationID, err)
	}
	return nil
}
