package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gapmap/gapmap/allocation/runs"
)

// cmdHandover records what happens to a committed allocation at the school:
// the device (and SIM) handed over, a device returned, or an allocation
// cancelled before hand-over. Every change goes to the ledger with its actor
// and reason.
func cmdHandover(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "handover", "handover STUDENT_ID [--iccid ICCID] [--date YYYY-MM-DD] [--activated YYYY-MM-DD] [--actor NAME]\n"+
		"       gapmap handover STUDENT_ID --return --reason TEXT [--date YYYY-MM-DD]\n"+
		"       gapmap handover STUDENT_ID --cancel --reason TEXT\n\n"+
		"Records, for a student of a committed allocation (gapmap allocate --commit), that the device and\n"+
		"SIM were handed over (with the SIM's ICCID), that the device came back, or cancels an allocation\n"+
		"that was not handed over yet (the device and SIM return to stock; the student can be served again).\n"+
		"A handover is final: the database refuses to cancel or reassign it. Every change is in the ledger.\n\n"+
		"The ICCID has 19 or 20 digits, the last its Luhn check digit (ITU-T E.118). The day may not be\n"+
		"before the programme began (2021-09-01), before the allocation's run date, in the future, or (a\n"+
		"return) before the handover. The SIM's service runs from its activation (--activated, default the\n"+
		"handover day) for its package's months: see gapmap sims.")
	iccid := fs.String("iccid", "", "ICCID of the SIM handed over (printed on the SIM card: 19 or 20 digits)")
	date := fs.String("date", "", "day of the handover or return, YYYY-MM-DD (default: today)")
	activated := fs.String("activated", "", "day the SIM was activated, YYYY-MM-DD (default: the handover day)")
	ret := fs.Bool("return", false, "record that the student returned the device")
	cancel := fs.Bool("cancel", false, "cancel an allocation that was not handed over")
	reason := fs.String("reason", "", "why (required with --return and --cancel; kept in the ledger)")
	actor := fs.String("actor", "", "who records it (default $GAPMAP_ACTOR, else $USER)")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{"handover needs one STUDENT_ID"}
	}
	student := strings.TrimSpace(fs.Arg(0))
	if *ret && *cancel {
		return usageError{"choose one of --return and --cancel"}
	}
	if (*ret || *cancel) && strings.TrimSpace(*reason) == "" {
		return usageError{"--return and --cancel need --reason TEXT (it is kept in the ledger)"}
	}
	if *cancel && (*iccid != "" || *date != "") {
		return usageError{"--cancel takes no --iccid or --date"}
	}
	if (*cancel || *ret) && *activated != "" {
		return usageError{"--activated goes with a handover"}
	}
	act, err := dayFlag("activated", *activated, time.Time{})
	if err != nil {
		return err
	}
	on, err := dayFlag("date", *date, time.Now())
	if err != nil {
		return err
	}
	if err := runs.CheckICCID("handover", strings.TrimSpace(*iccid)); err != nil {
		return err // before the database; the service checks it again
	}
	who := firstNonEmpty(*actor, e.getenv("GAPMAP_ACTOR"), e.getenv("USER"), "gapmap")
	st, err := openStore(ctx, e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := &runs.Service{Store: st}
	switch {
	case *cancel:
		n, err := svc.Cancel(ctx, who, student, strings.TrimSpace(*reason))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "handover: cancelled the allocation of %s (%d row(s)); the device and SIM are back in stock\n", student, n)
	case *ret:
		if err := svc.Return(ctx, who, student, strings.TrimSpace(*reason), on); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "handover: %s returned the device on %s\n", student, on.Format("2006-01-02"))
	default:
		if err := svc.HandoverActivated(ctx, who, student, strings.TrimSpace(*iccid), on, act); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "handover: %s received the device on %s\n", student, on.Format("2006-01-02"))
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
