package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data"
)

const deviceSynopsis = `device inspect --device ID [--result ok|repair|liquidate] [--charger yes|no] [--av yes|no] [--screen yes|no]
              [--keyboard yes|no] [--monitor yes|no] [--wifi yes|no] [--headphones yes|no] [--battery yes|no]
              [--date YYYY-MM-DD] [--reasons CODE,CODE] [--note TEXT]
       gapmap device list [--status awaiting_inspection|in_stock|allocated|repair|to_liquidate|liquidated]
       gapmap device history --device ID [--csv]
       gapmap device liquidate --devices ID,ID --amount VND [--date YYYY-MM-DD] [--buyer NAME] [--note TEXT]
       gapmap device replace --liquidation N --devices FILE.csv
       gapmap device liquidations [--out FILE.xlsx|FILE.csv]

The lifecycle of a device after a return. A returned device waits for an inspection:
"ok" puts it back in stock (a later allocation run may give it to another student; the
student who returned it never gets a second one), "repair" keeps it out until a later
inspection, "liquidate" until it is sold. "liquidate" records a sale (thanh lý): the
devices sold (inspected "liquidate", or in stock and below the minimum beyond repair),
the day, the buyer and the money raised (VND). "replace" imports the devices bought
with that money (the devices.csv format, every check of gapmap import; each must meet the
minimum specs) with the donor "Từ thanh lý", linked to the sale. "liquidations" writes
every sale, its money and its replacements as CSV to standard output, or with --out to a
file (.xlsx: a workbook with Vietnamese headers, a sheet of sales and one of devices sold).
"history" prints every allocation, handover, return, inspection, sale of a device from the
ledger, in order.

Intake inspections: a device whose devices file left a required condition unknown (status
"inspect") is never allocated until an inspector checks it. "inspect" with the conditions
checked (--charger yes --screen yes …; yes/no, có/không) records them with the inspection,
applies them to the device and, without --result, takes the result from the intake check:
ok (the next allocation run may allocate it), repair or liquidate (never allocated). A later
devices import keeps them: a condition the file leaves empty takes the inspected value.
"list" prints the devices by status; awaiting_inspection is the inspectors' work list.
Every change is in the ledger with its actor ($GAPMAP_ACTOR, else $USER, or --actor).`

// cmdDevice records inspections, sales and replacements, and prints a
// device's history and the sales.
func cmdDevice(ctx context.Context, e *env, args []string) error {
	sub, args, err := subcommand(e, args, deviceSynopsis, "device needs one of inspect, list, history, liquidate, replace, liquidations")
	if sub == "" {
		return err
	}
	fs := newFlags(e, "device "+sub, deviceSynopsis)
	device := fs.String("device", "", "inspect, history: the device id")
	result := fs.String("result", "", "inspect: ok, repair or liquidate")
	date := fs.String("date", "", "inspect, liquidate: the day, YYYY-MM-DD (default: today)")
	reasons := fs.String("reasons", "", "inspect: what is wrong, short codes separated by commas")
	note := fs.String("note", "", "inspect, liquidate: a note kept with the record")
	devices := fs.String("devices", "", "liquidate: the device ids sold, separated by commas; replace: the devices file (CSV, XLSX)")
	amount := fs.String("amount", "", "liquidate: the money raised, VND (an integer)")
	buyer := fs.String("buyer", "", "liquidate: who bought the devices")
	liquidation := fs.Int64("liquidation", 0, "replace: the sale whose money bought the devices")
	asCSV := fs.Bool("csv", false, "history: write CSV to standard output instead of a table")
	status := fs.String("status", "", "list: only devices with this status")
	out := fs.String("out", "", "liquidations: write to FILE (.xlsx or .csv) instead of CSV to standard output")
	condFlags := map[string]*string{}
	for _, c := range deviceConditionFlags() {
		condFlags[c.flag] = fs.String(c.flag, "", "inspect: "+c.help+" (yes or no)")
	}
	actor := fs.String("actor", "", "who records it (default $GAPMAP_ACTOR, else $USER)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	allowed := map[string][]string{
		"inspect":      {"device", "result", "date", "reasons", "note", "actor", "charger", "av", "screen", "keyboard", "monitor", "wifi", "headphones", "battery"},
		"list":         {"status"},
		"history":      {"device", "csv"},
		"liquidate":    {"devices", "amount", "date", "buyer", "note", "actor"},
		"replace":      {"liquidation", "devices", "actor"},
		"liquidations": {"out"},
	}
	ok, known := allowed[sub]
	if !known {
		return usageError{fmt.Sprintf("device %s: use inspect, list, history, liquidate, replace or liquidations", sub)}
	}
	for name := range set {
		if !slices.Contains(ok, name) {
			return usageError{fmt.Sprintf("device %s takes no --%s", sub, name)}
		}
	}
	on, err := dayFlag("date", *date, time.Time{})
	if err != nil {
		return err
	}
	switch sub {
	case "inspect", "history":
		if strings.TrimSpace(*device) == "" {
			return usageError{"device " + sub + " needs --device ID"}
		}
	case "liquidate":
		if strings.TrimSpace(*devices) == "" || *amount == "" {
			return usageError{"device liquidate needs --devices ID,ID and --amount VND"}
		}
	case "replace":
		if *liquidation <= 0 || *devices == "" {
			return usageError{"device replace needs --liquidation N and --devices FILE.csv"}
		}
	}
	conditions := map[string]bool{}
	for _, c := range deviceConditionFlags() {
		if !set[c.flag] {
			continue
		}
		v, ok := data.ParseYesNo(*condFlags[c.flag])
		if !ok {
			return usageError{fmt.Sprintf("--%s %q: write yes or no", c.flag, *condFlags[c.flag])}
		}
		conditions[c.column] = v
	}
	if sub == "inspect" && *result == "" && len(conditions) == 0 {
		return usageError{"device inspect needs --result ok|repair|liquidate, or the conditions checked (--charger yes …)"}
	}
	if sub == "liquidations" && *out != "" && !strings.HasSuffix(strings.ToLower(*out), ".xlsx") && !strings.HasSuffix(strings.ToLower(*out), ".csv") {
		return usageError{fmt.Sprintf("--out %s: write a .xlsx or .csv file", *out)}
	}
	var vnd int64
	if sub == "liquidate" {
		v, err := strconv.ParseInt(strings.ReplaceAll(strings.ReplaceAll(*amount, ".", ""), ",", ""), 10, 64)
		if err != nil {
			return usageError{fmt.Sprintf("--amount %q: the money raised in VND, an integer (e.g. 1500000)", *amount)}
		}
		vnd = v
	}
	who := firstNonEmpty(*actor, e.getenv("GAPMAP_ACTOR"), e.getenv("USER"), "gapmap")
	st, err := openStore(ctx, e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := &runs.Service{Store: st}
	switch sub {
	case "inspect":
		in, err := svc.Inspect(ctx, who, runs.InspectRequest{DeviceID: *device, Result: *result, Date: on, Reasons: strings.Split(*reasons, ","), Note: *note,
			Conditions: conditions})
		if err != nil {
			return err
		}
		what := map[string]string{"ok": "back in stock: a later allocation run may give it to another student",
			"repair": "in repair: inspect it again when repaired", "liquidate": "to be sold: record the sale with gapmap device liquidate"}[in.Result]
		if in.Intake() {
			what = map[string]string{"ok": "passes the intake check: the next allocation run may allocate it",
				"repair":    "in repair (" + strings.Join(in.Reasons, ", ") + "): never allocated until inspected again",
				"liquidate": "below the minimum beyond repair (" + strings.Join(in.Reasons, ", ") + "): record its sale with gapmap device liquidate"}[in.Result]
		}
		kind := "inspected"
		if in.Intake() {
			kind = "inspected at intake"
		}
		fmt.Fprintf(e.stdout, "device %s %s on %s by %s: %s, %s\n", in.DeviceID, kind, in.InspectedOn.Format("2006-01-02"), in.Inspector, in.Result, what)
	case "list":
		items, err := svc.Devices(ctx, *status, allocation.DefaultSettings())
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DEVICE\tTYPE\tSTATUS\tCHECK\tAREA\tREASONS")
		for _, it := range items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", it.DeviceID, it.Type, it.Status, it.Check, it.AreaCode, strings.Join(it.Reasons, ", "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "%d device(s)\n", len(items))
	case "history":
		h, err := svc.History(ctx, *device)
		if err != nil {
			return err
		}
		if *asCSV {
			return runs.WriteHistoryCSV(e.stdout, h)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AT (UTC)\tACTION\tACTOR\tRUN\tSTUDENT\tREASON")
		for _, x := range h {
			run := ""
			if x.RunID != 0 {
				run = strconv.FormatInt(x.RunID, 10)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", x.At.UTC().Format("2006-01-02 15:04"), x.Action, x.Actor, run, x.StudentID, x.Reason)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "device %s: %d ledger entries\n", *device, len(h))
	case "liquidate":
		l, err := svc.Liquidate(ctx, who, runs.LiquidateRequest{DeviceIDs: strings.Split(*devices, ","), Date: on, AmountVND: vnd, Buyer: *buyer, Note: *note},
			allocation.DefaultSettings())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "liquidation %d: %d device(s) sold on %s for %d VND; record the devices bought with it: gapmap device replace --liquidation %d --devices FILE.csv\n",
			l.ID, len(l.Devices), l.SoldOn.Format("2006-01-02"), l.AmountVND, l.ID)
	case "replace":
		f, err := os.Open(*devices)
		if err != nil {
			return err
		}
		defer f.Close()
		r, err := svc.Replace(ctx, who, *liquidation, *devices, f, allocation.DefaultSettings())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "liquidation %d: %d replacement device(s) in stock (donor %q): %s\n",
			*liquidation, r.Imported.Inserted, data.DonorFromLiquidation, strings.Join(r.Liquidation.Replacements, ", "))
	case "liquidations":
		ls, err := svc.Liquidations(ctx)
		if err != nil {
			return err
		}
		switch {
		case *out == "":
			return runs.WriteLiquidationsCSV(e.stdout, ls)
		case strings.HasSuffix(strings.ToLower(*out), ".xlsx"):
			err = writeExportFile(*out, e.stdout, func(w io.Writer) error { return runs.WriteLiquidationsXLSX(w, ls) })
		default:
			err = writeExportFile(*out, e.stdout, func(w io.Writer) error { return runs.WriteLiquidationsCSV(w, ls) })
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "%d liquidation(s) written to %s\n", len(ls), *out)
	}
	return nil
}

// deviceConditionFlags are the flags of device inspect for the conditions
// checked, with their devices columns.
func deviceConditionFlags() []struct{ flag, column, help string } {
	return []struct{ flag, column, help string }{
		{"charger", "has_charger", "the charger is there"},
		{"av", "av_ok", "speaker, microphone and camera work"},
		{"screen", "screen_ok", "the screen works"},
		{"keyboard", "keyboard_ok", "the keyboard works"},
		{"monitor", "has_monitor", "desktop: monitor, mouse, keyboard and headset are there"},
		{"wifi", "wifi", "desktop: a Wi-Fi adapter is there"},
		{"headphones", "headphones", "phone, tablet: headphones are included"},
		{"battery", "battery_ok", "laptop: the battery holds a charge"},
	}
}
