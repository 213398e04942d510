package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/allocation/runs"
)

const simsSynopsis = `sims ending [--within DAYS] [--on YYYY-MM-DD] [--area CODE] [--school ID] [--out FILE.csv|FILE.xlsx]
       gapmap sims renew --student ID --package P [--date YYYY-MM-DD] [--actor NAME]

SIM service periods. A SIM handed over with a device is activated on the handover day (or the
day given with gapmap handover --activated) and serves for its package's months. "sims ending"
lists the SIMs whose service ends within DAYS days (default 30) from --on (default today), soonest
first, with student ids: internal to the education office. "sims renew" records a renewal (top-up,
gia hạn) as a new SIM benefit of the same student: one SIM of package P is taken from its stock
(refused when none is left), the service is extended by P's months from the later of the renewal
day and the current end, and the ledger records it. The package must meet the SIM minimum and be
of the SIM's operator; the student needs a SIM handed over.`

// cmdSims reports SIMs ending soon and records renewals.
func cmdSims(ctx context.Context, e *env, args []string) error {
	sub, args, err := subcommand(e, args, simsSynopsis, "sims needs one of ending, renew")
	if sub == "" {
		return err
	}
	fs := newFlags(e, "sims "+sub, simsSynopsis)
	within := fs.Int("within", 30, "ending: days from --on (both days included)")
	onFlag := fs.String("on", "", "ending: the first day of the window, YYYY-MM-DD (default: today)")
	area := fs.String("area", "", "ending: only schools in this area and below")
	school := fs.String("school", "", "ending: only this school")
	out := fs.String("out", "", "ending: write the list to FILE.csv or FILE.xlsx (default: a table on standard output)")
	student := fs.String("student", "", "renew: the student id")
	pkg := fs.String("package", "", "renew: the SIM package id to take the SIM from")
	date := fs.String("date", "", "renew: the renewal day, YYYY-MM-DD (default: today)")
	actor := fs.String("actor", "", "renew: who records it (default $GAPMAP_ACTOR, else $USER)")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return usageError{"sims " + sub + " takes flags only"}
	}
	switch sub {
	case "ending":
		if *student != "" || *pkg != "" || *date != "" {
			return usageError{"--student, --package and --date go with sims renew"}
		}
	case "renew":
		if *onFlag != "" || *area != "" || *school != "" || *out != "" {
			return usageError{"--on, --area, --school and --out go with sims ending"}
		}
		if strings.TrimSpace(*student) == "" || strings.TrimSpace(*pkg) == "" {
			return usageError{"sims renew needs --student ID and --package P"}
		}
	default:
		return usageError{fmt.Sprintf("sims %s: use ending or renew", sub)}
	}
	st, err := openStore(ctx, e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := &runs.Service{Store: st}
	if sub == "renew" {
		on, err := dayFlag("date", *date, time.Time{})
		if err != nil {
			return err
		}
		who := firstNonEmpty(*actor, e.getenv("GAPMAP_ACTOR"), e.getenv("USER"), "gapmap")
		r, err := svc.Renew(ctx, who, runs.Renewal{StudentID: *student, PackageID: *pkg, On: on})
		if err != nil {
			return err
		}
		p := r.Period
		fmt.Fprintf(e.stdout, "sims: renewed the %s SIM of %s with package %s (%d month(s)): service from %s until %s (%d renewal(s))\n",
			p.Operator, p.StudentID, p.PackageID, p.Months, p.StartsOn.Format("2006-01-02"), p.EndsOn.Format("2006-01-02"), len(r.Periods)-1)
		return nil
	}
	on, err := dayFlag("on", *onFlag, time.Time{})
	if err != nil {
		return err
	}
	if on.IsZero() {
		on = time.Now().In(time.FixedZone("ICT", 7*3600))
	}
	rows, err := svc.SimsEnding(ctx, *within, on, runs.Scope{AreaCode: strings.TrimSpace(*area), SchoolID: strings.TrimSpace(*school)})
	if err != nil {
		return err
	}
	title := fmt.Sprintf("SIM hết hạn trong %d ngày kể từ %s (nội bộ: có mã học sinh)", *within, on.Format("02/01/2006"))
	if *out != "" {
		if err := writeExportFile(*out, e.stdout, func(w io.Writer) error { return report.WriteSimsEnding(w, *out, rows, title) }); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "sims: %s ending within %d day(s) from %s written to %s (student ids inside: internal)\n",
			plural(len(rows), "SIM"), *within, on.Format("2006-01-02"), *out)
		return nil
	}
	fmt.Fprintf(e.stdout, "%-12s %-8s %-10s %-4s %-10s %-10s %5s %s\n", "student", "school", "operator", "net", "activated", "ends", "days", "renewals")
	for _, r := range rows {
		fmt.Fprintf(e.stdout, "%-12s %-8s %-10s %-4s %-10s %-10s %5d %d\n", r.StudentID, r.SchoolID, r.Operator, r.Network,
			r.ActivatedOn.Format("2006-01-02"), r.EndsOn.Format("2006-01-02"), r.DaysLeft, r.Renewals)
	}
	fmt.Fprintf(e.stdout, "sims: %s ending within %d day(s) from %s\n", plural(len(rows), "SIM"), *within, on.Format("2006-01-02"))
	return nil
}
