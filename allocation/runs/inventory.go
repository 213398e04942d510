package runs

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/importer"
)

// InventoryFile is one uploaded inventory file: Kind is format.KindDevices
// or format.KindSimPackages, Name the file name as uploaded (its extension
// says CSV, XLSX or gzipped CSV).
type InventoryFile struct {
	Kind string
	Name string
	Body io.Reader
}

// DeviceResult is the intake check of one registered device.
type DeviceResult struct {
	allocation.DeviceCheck
	Type   string `json:"type"`
	Action string `json:"action"`
}

// SimResult is the check of one registered SIM package.
type SimResult struct {
	allocation.SimCheck
	Operator string `json:"operator"`
	Quantity int    `json:"quantity"`
}

// Imported is one file written by an inventory import.
type Imported struct {
	Kind     string   `json:"kind"`
	File     string   `json:"file"`
	Rows     int64    `json:"rows"`
	Inserted int64    `json:"inserted"`
	Warnings []string `json:"warnings,omitempty"` // problems that did not stop the import
}

// Inventory is what an inventory import wrote and what the intake check
// found.
type Inventory struct {
	Imports     []Imported     `json:"imports"`
	Devices     []DeviceResult `json:"devices"`
	SimPackages []SimResult    `json:"sim_packages"`
	// Counts of devices by status (ok, repair, inspect, liquidate).
	DeviceStatus map[string]int `json:"device_status"`
}

// ImportInventory imports devices and SIM-package files (through the
// importer: every check, all files in one transaction, nothing written on
// any error, a *data.ValidationError naming the files as uploaded) and
// checks every device and package against the minimum specs of settings.
func (s *Service) ImportInventory(ctx context.Context, files []InventoryFile, settings allocation.Settings) (*Inventory, error) {
	if len(files) == 0 {
		return nil, &data.ValidationError{Errors: []data.FieldError{{File: "inventory", Reason: "upload a devices file, a sim_packages file, or both"}}}
	}
	dir, err := os.MkdirTemp("", "gapmap-inventory-")
	if err != nil {
		return nil, fmt.Errorf("store the upload: %w", err)
	}
	defer os.RemoveAll(dir)
	names := map[string]string{} // stored name → uploaded name
	seen := map[string]bool{}
	paths := map[string]string{}
	for _, f := range files {
		if f.Kind != format.KindDevices && f.Kind != format.KindSimPackages {
			return nil, &data.ValidationError{Errors: []data.FieldError{{File: f.Name, Reason: fmt.Sprintf("kind %q is not inventory: upload devices or sim_packages", f.Kind)}}}
		}
		if seen[f.Kind] {
			return nil, &data.ValidationError{Errors: []data.FieldError{{File: f.Name, Reason: "one " + f.Kind + " file per upload"}}}
		}
		seen[f.Kind] = true
		ext := inventoryExt(f.Name)
		if ext == "" {
			return nil, &data.ValidationError{Errors: []data.FieldError{{File: f.Name, Reason: "upload a .csv, .xlsx or .csv.gz file"}}}
		}
		stored := f.Kind + ext
		path := filepath.Join(dir, stored)
		out, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("store the upload: %w", err)
		}
		if _, err := io.Copy(out, f.Body); err != nil {
			out.Close()
			return nil, fmt.Errorf("store the upload %s: %w", f.Name, err)
		}
		if err := out.Close(); err != nil {
			return nil, fmt.Errorf("store the upload: %w", err)
		}
		names[stored] = f.Name
		paths[f.Kind] = path
	}
	sums, err := importer.ImportDir(ctx, s.Store, dir, importer.Options{})
	if err != nil {
		return nil, renameFiles(err, names)
	}
	inv := &Inventory{DeviceStatus: map[string]int{allocation.StatusOK: 0, allocation.StatusRepair: 0, allocation.StatusLiquidate: 0, allocation.StatusInspect: 0}}
	for _, sum := range sums {
		file := sum.File
		if n, ok := names[file]; ok {
			file = n
		}
		im := Imported{Kind: sum.Kind, File: file, Rows: sum.Rows, Inserted: sum.Inserted}
		for _, w := range sum.Warnings {
			w.File = file
			im.Warnings = append(im.Warnings, w.Error())
		}
		inv.Imports = append(inv.Imports, im)
	}
	errs := &data.ValidationError{}
	if p := paths[format.KindDevices]; p != "" {
		err := format.ReadDevices(ctx, p, errs, func(_ int, d data.Device) error {
			c := allocation.CheckDevice(d, settings)
			inv.Devices = append(inv.Devices, DeviceResult{DeviceCheck: allocation.DeviceCheck{DeviceID: d.ID, SpecResult: c}, Type: d.Type, Action: report.DeviceAction(c.Status)})
			inv.DeviceStatus[c.Status]++
			return nil
		})
		if err != nil {
			return nil, renameFiles(err, names)
		}
	}
	if p := paths[format.KindSimPackages]; p != "" {
		err := format.ReadSimPackages(ctx, p, errs, func(_ int, sp data.SimPackage) error {
			inv.SimPackages = append(inv.SimPackages, SimResult{SimCheck: allocation.SimCheck{PackageID: sp.ID, SimResult: allocation.CheckSim(sp, settings)},
				Operator: sp.Operator, Quantity: sp.Quantity})
			return nil
		})
		if err != nil {
			return nil, renameFiles(err, names)
		}
	}
	return inv, nil
}

func inventoryExt(name string) string {
	n := strings.ToLower(name)
	for _, ext := range []string{".csv.gz", ".csv", ".xlsx"} {
		if strings.HasSuffix(n, ext) {
			return ext
		}
	}
	return ""
}

// renameFiles puts the uploaded names back into a validation error.
func renameFiles(err error, names map[string]string) error {
	ve, ok := err.(*data.ValidationError)
	if !ok {
		return err
	}
	for i := range ve.Errors {
		if n, ok := names[ve.Errors[i].File]; ok {
			ve.Errors[i].File = n
		}
	}
	return ve
}
