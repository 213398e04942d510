package main

import (
	"context"
	"flag"
	"fmt"
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

const deviceSynopsis = `device inspect --device ID --result ok|repair|liquidate [--date YYYY-MM-DD] [--reasons CODE,CODE] [--note TEXT]
       gapmap device history --device ID [--csv]
       gapmap device liquidate --devices ID,ID --amount VND [--date YYYY-MM-DD] [--buyer NAME] [--note TEXT]
       gapmap device replace --liquidation N --devices FILE.csv
       gapmap device liquidations

The lifecycle of a device after a return. A returned device waits for an inspection:
"ok" puts it back in stock (a later allocation run may give it to another student; the
student who returned it never gets a second one), "repair" keeps it out until a later
inspection, "liquidate" until it is sold. "liquidate" records a sale (thanh lý): the
devices sold (inspected "liquidate", or in stock and below the minimum beyond repair),
the day, the buyer and the money raised (VND). "replace" imports the devices bought
with that money (the devices.csv format, every check of gapmap import; each must meet the
minimum specs) with the donor "Từ thanh lý", linked to the sale. "liquidations" writes
every sale, its money and its replacements as CSV to standard output. "history" prints
every allocation, handover, return, inspection, sale of a device from the ledger, in order.
Every change is in the ledger with its actor ($GAPMAP_ACTOR, else $USER, or --actor).`

// cmdDevice records inspections, sales and replacements, and prints a
// device's history and the sales.
func cmdDevice(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(e.stderr, "Usage: gapmap %s\n", deviceSynopsis)
		if len(args) == 0 {
			return usageError{"device needs one of inspect, history, liquidate, replace, liquidations"}
		}
		return nil
	}
	sub, args := args[0], args[1:]
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
	actor := fs.String("actor", "", "who records it (default $GAPMAP_ACTOR, else $USER)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	allowed := map[string][]string{
		"inspect":      {"device", "result", "date", "reasons", "note", "actor"},
		"history":      {"device", "csv"},
		"liquidate":    {"devices", "amount", "date", "buyer", "note", "actor"},
		"replace":      {"liquidation", "devices", "actor"},
		"liquidations": {},
	}
	ok, known := allowed[sub]
	if !known {
		return usageError{fmt.Sprintf("device %s: use inspect, history, liquidate, replace or liquidations", sub)}
	}
	for name := range set {
		if !slices.Contains(ok, name) {
			return usageError{fmt.Sprintf("device %s takes no --%s", sub, name)}
		}
	}
	on := time.Time{}
	if *date != "" {
		d, err := time.Parse("2006-01-02", *date)
		if err != nil {
			return usageError{fmt.Sprintf("--date %q: write the day as YYYY-MM-DD", *date)}
		}
		on = d
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
		in, err := svc.Inspect(ctx, who, runs.InspectRequest{DeviceID: *device, Result: *result, Date: on, Reasons: strings.Split(*reasons, ","), Note: *note})
		if err != nil {
			return err
		}
		what := map[string]string{"ok": "back in stock: a later allocation run may give it to another student",
			"repair": "in repair: inspect it again when repaired", "liquidate": "to be sold: record the sale with gapmap device liquidate"}[in.Result]
		fmt.Fprintf(e.stdout, "device %s inspected on %s by %s: %s, %s\n", in.DeviceID, in.InspectedOn.Format("2006-01-02"), in.Inspector, in.Result, what)
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
		return runs.WriteLiquidationsCSV(e.stdout, ls)
	}
	return nil
}
