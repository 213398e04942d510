package api

// The device lifecycle over HTTP: inspections of returned devices, a
// device's history, sales (liquidations) and the replacements bought with
// their money. The rules are the use cases' (allocation/runs/lifecycle.go)
// and the database's. Education roles only: officers record, planners and
// officers read; operators and viewers never see a device's history (it
// names students).

import (
	"bytes"
	"net/http"
	"slices"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/go-chi/chi/v5"
)

// inspectionRequest is the body of POST /allocation/devices/{id}/inspections.
type inspectionRequest struct {
	Result  string   `json:"result,omitempty"`
	Date    string   `json:"date,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
	Note    string   `json:"note,omitempty"`
	// The conditions checked, named as the devices columns.
	HasCharger *bool `json:"has_charger,omitempty"`
	AVOK       *bool `json:"av_ok,omitempty"`
	ScreenOK   *bool `json:"screen_ok,omitempty"`
	KeyboardOK *bool `json:"keyboard_ok,omitempty"`
	HasMonitor *bool `json:"has_monitor,omitempty"`
	WiFi       *bool `json:"wifi,omitempty"`
	Headphones *bool `json:"headphones,omitempty"`
	BatteryOK  *bool `json:"battery_ok,omitempty"`
}

// conditions are the conditions the request states, by devices column.
func (q inspectionRequest) conditions() map[string]bool {
	out := map[string]bool{}
	for col, v := range map[string]*bool{"has_charger": q.HasCharger, "av_ok": q.AVOK, "screen_ok": q.ScreenOK, "keyboard_ok": q.KeyboardOK,
		"has_monitor": q.HasMonitor, "wifi": q.WiFi, "headphones": q.Headphones, "battery_ok": q.BatteryOK} {
		if v != nil {
			out[col] = *v
		}
	}
	return out
}

// inspectionJSON is an inspection as the API answers it.
type inspectionJSON struct {
	ID          int64    `json:"id"`
	DeviceID    string   `json:"device_id"`
	InspectedOn string   `json:"inspected_on"`
	Inspector   string   `json:"inspector"`
	Result      string   `json:"result"`
	Reasons     []string `json:"reasons"`
	Note        string   `json:"note"`
	// Intake: an inspection of a device in stock (not after a return).
	Intake     bool            `json:"intake"`
	Conditions map[string]bool `json:"conditions"`
	State      string          `json:"state"` // the device's state after it
}

// parseDay reads an optional YYYY-MM-DD (zero: today).
func parseDay(column, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return d, &data.ValidationError{Errors: []data.FieldError{{File: "request", Column: column, Value: s, Reason: "write the date as YYYY-MM-DD"}}}
	}
	return d, nil
}

// inspectDevice: POST /api/v1/allocation/devices/{id}/inspections.
func (s *Server) inspectDevice(w http.ResponseWriter, r *http.Request) error {
	var q inspectionRequest
	if err := decodeJSON(w, r, &q); err != nil {
		return err
	}
	day, err := parseDay("date", q.Date)
	if err != nil {
		return err
	}
	id, actor := chi.URLParam(r, "id"), actorName(r)
	// An officer inspects the devices returned in its area (as it records
	// their returns), and the devices in stock held in its area or in the
	// province stock (no area); elsewhere the device is not found.
	scope, err := s.allocScope(r)
	if err != nil {
		return err
	}
	if scope != nil {
		states, err := s.deps.Store.DeviceStates(r.Context(), []string{id})
		if err != nil {
			return err
		}
		if st, ok := states[id]; ok && st.AllocationID != 0 && !slices.Contains(scope, st.AreaCode) {
			return &data.NotFoundError{Kind: "device", ID: id}
		}
		if st, ok := states[id]; ok && st.AllocationID == 0 {
			devs, err := postgis.ReadDevices(r.Context(), s.deps.Store.Pool(), []string{id})
			if err != nil {
				return err
			}
			if d, ok := devs[id]; ok && d.AreaCode != "" && !slices.Contains(scope, d.AreaCode) {
				return &data.NotFoundError{Kind: "device", ID: id}
			}
		}
	}
	in, err := s.allocRuns().Inspect(r.Context(), actor, runs.InspectRequest{DeviceID: id, Result: q.Result, Date: day, Reasons: q.Reasons, Note: q.Note,
		Conditions: q.conditions()})
	if err != nil {
		return err
	}
	states, err := s.deps.Store.DeviceStates(r.Context(), []string{in.DeviceID})
	if err != nil {
		return err
	}
	_ = s.deps.Store.Audit(r.Context(), actor, "device_inspect", "device "+in.DeviceID,
		map[string]any{"result": in.Result, "date": in.InspectedOn.Format("2006-01-02"), "intake": in.Intake(), "conditions": in.Conditions}, r.RemoteAddr)
	reasons, conds := in.Reasons, in.Conditions
	if reasons == nil {
		reasons = []string{}
	}
	if conds == nil {
		conds = map[string]bool{}
	}
	writeJSON(w, http.StatusCreated, inspectionJSON{ID: in.ID, DeviceID: in.DeviceID, InspectedOn: in.InspectedOn.Format("2006-01-02"),
		Inspector: in.Inspector, Result: in.Result, Reasons: reasons, Note: in.Note, Intake: in.Intake(), Conditions: conds, State: states[in.DeviceID].State})
	return nil
}

// deviceHistory is a device's state and ledger entries.
type deviceHistory struct {
	DeviceID string `json:"device_id"`
	State    string `json:"state"`
	// Status, Check, Reasons: as in the devices list (a device in stock
	// follows its intake check).
	Status  string                `json:"status"`
	Check   string                `json:"check"`
	Reasons []string              `json:"reasons"`
	Entries []postgis.LedgerEntry `json:"entries"`
}

// getDeviceHistory: GET /api/v1/allocation/devices/{id}/history. An
// officer sees the student of an entry only when the allocation lies in
// its area.
func (s *Server) getDeviceHistory(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	entries, err := s.allocRuns().History(r.Context(), id)
	if err != nil {
		return err
	}
	scope, err := s.allocScope(r)
	if err != nil {
		return err
	}
	if scope != nil {
		for i := range entries {
			if !slices.Contains(scope, entries[i].AreaCode) {
				entries[i].StudentID = ""
			}
		}
	}
	it, err := s.allocRuns().Device(r.Context(), id, allocation.DefaultSettings())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deviceHistory{DeviceID: id, State: it.State, Status: it.Status, Check: it.Check, Reasons: it.Reasons, Entries: entries})
	return nil
}

// liquidationRequest is the body of POST /allocation/liquidations.
type liquidationRequest struct {
	Devices   []string `json:"devices"`
	Date      string   `json:"date,omitempty"`
	AmountVND *int64   `json:"amount_vnd"`
	Buyer     string   `json:"buyer,omitempty"`
	Note      string   `json:"note,omitempty"`
}

// liquidationJSON is a sale as the API answers it.
type liquidationJSON struct {
	ID           int64                      `json:"id"`
	SoldOn       string                     `json:"sold_on"`
	Buyer        string                     `json:"buyer"`
	Note         string                     `json:"note"`
	AmountVND    int64                      `json:"amount_vnd"`
	Actor        string                     `json:"actor"`
	Devices      []postgis.LiquidatedDevice `json:"devices"`
	Replacements []string                   `json:"replacements"`
}

func liquidationOut(l postgis.Liquidation) liquidationJSON {
	out := liquidationJSON{ID: l.ID, SoldOn: l.SoldOn.Format("2006-01-02"), Buyer: l.Buyer, Note: l.Note, AmountVND: l.AmountVND,
		Actor: l.Actor, Devices: l.Devices, Replacements: l.Replacements}
	if out.Devices == nil {
		out.Devices = []postgis.LiquidatedDevice{}
	}
	if out.Replacements == nil {
		out.Replacements = []string{}
	}
	return out
}

// createLiquidation: POST /api/v1/allocation/liquidations.
func (s *Server) createLiquidation(w http.ResponseWriter, r *http.Request) error {
	var q liquidationRequest
	if err := decodeJSON(w, r, &q); err != nil {
		return err
	}
	if q.AmountVND == nil {
		return &data.ValidationError{Errors: []data.FieldError{{File: "request", Column: "amount_vnd", Reason: "give the money raised, VND (0 when none)"}}}
	}
	day, err := parseDay("date", q.Date)
	if err != nil {
		return err
	}
	actor := actorName(r)
	l, err := s.allocRuns().Liquidate(r.Context(), actor, runs.LiquidateRequest{DeviceIDs: q.Devices, Date: day, AmountVND: *q.AmountVND, Buyer: q.Buyer, Note: q.Note},
		allocation.DefaultSettings())
	if err != nil {
		return err
	}
	_ = s.deps.Store.Audit(r.Context(), actor, "device_liquidate", "liquidation",
		map[string]any{"liquidation_id": l.ID, "devices": len(l.Devices), "amount_vnd": l.AmountVND}, r.RemoteAddr)
	writeJSON(w, http.StatusCreated, liquidationOut(l))
	return nil
}

// liquidationList is every sale with the totals.
type liquidationList struct {
	Liquidations   []liquidationJSON `json:"liquidations"`
	TotalAmountVND int64             `json:"total_amount_vnd"`
	DevicesSold    int               `json:"devices_sold"`
	Replacements   int               `json:"replacements"`
}

// listLiquidations: GET /api/v1/allocation/liquidations (?format=json,
// csv or xlsx).
func (s *Server) listLiquidations(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" && format != "xlsx" {
		return &data.ValidationError{Errors: []data.FieldError{{File: "request", Column: "format", Value: format, Reason: "the format is json, csv or xlsx"}}}
	}
	ls, err := s.allocRuns().Liquidations(r.Context())
	if err != nil {
		return err
	}
	switch format {
	case "xlsx":
		var buf bytes.Buffer
		if err := runs.WriteLiquidationsXLSX(&buf, ls); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="thanh_ly.xlsx"`)
		_, err := w.Write(buf.Bytes())
		return err
	case "csv":
		var buf bytes.Buffer
		if err := runs.WriteLiquidationsCSV(&buf, ls); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="thanh_ly.csv"`)
		_, err := w.Write(buf.Bytes())
		return err
	}
	out := liquidationList{Liquidations: make([]liquidationJSON, 0, len(ls))}
	for _, l := range ls {
		out.Liquidations = append(out.Liquidations, liquidationOut(l))
		out.TotalAmountVND += l.AmountVND
		out.DevicesSold += len(l.Devices)
		out.Replacements += len(l.Replacements)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// replacementsJSON is what a replacement upload wrote.
type replacementsJSON struct {
	Liquidation liquidationJSON     `json:"liquidation"`
	Imported    runs.Imported       `json:"imported"`
	Devices     []runs.DeviceResult `json:"devices"`
}

// uploadReplacements: POST /api/v1/allocation/liquidations/{id}/replacements,
// multipart/form-data with a file field "devices" (the devices.csv format).
func (s *Server) uploadReplacements(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	parts, err := s.readUploads(w, r, format.KindDevices)
	if err != nil {
		return err
	}
	if len(parts) != 1 {
		return errBadRequest("send one file field devices", nil)
	}
	name, buf := parts[0].Name, parts[0].Body
	actor := actorName(r)
	rep, err := s.allocRuns().Replace(r.Context(), actor, id, name, buf, allocation.DefaultSettings())
	if err != nil {
		return err
	}
	_ = s.deps.Store.Audit(r.Context(), actor, "device_replace", "liquidation",
		map[string]any{"liquidation_id": id, "devices": rep.Imported.Inserted, "file": name}, r.RemoteAddr)
	writeJSON(w, http.StatusCreated, replacementsJSON{Liquidation: liquidationOut(rep.Liquidation), Imported: rep.Imported, Devices: rep.Devices})
	return nil
}

// deviceList is the devices of one status.
type deviceList struct {
	Status  string            `json:"status"`
	Devices []runs.DeviceItem `json:"devices"`
}

// listDevices: GET /api/v1/allocation/devices?status=… (planner, officer).
// An officer sees the devices held (or, returned, allocated) in its area
// and the province stock.
func (s *Server) listDevices(w http.ResponseWriter, r *http.Request) error {
	status := r.URL.Query().Get("status")
	items, err := s.allocRuns().Devices(r.Context(), status, allocation.DefaultSettings())
	if err != nil {
		return err
	}
	scope, err := s.allocScope(r)
	if err != nil {
		return err
	}
	if scope != nil {
		kept := items[:0]
		for _, it := range items {
			if it.AreaCode == "" || slices.Contains(scope, it.AreaCode) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	writeJSON(w, http.StatusOK, deviceList{Status: status, Devices: items})
	return nil
}
