package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/internal/atomicfile"
	"github.com/gapmap/gapmap/reports"
)

const reportSynopsis = `report progress|donors|handovers|connectivity [flags] --out FILE.xlsx|.csv|.json|-

Báo cáo định kỳ lên cấp trên (chỉ số lượng, không có dữ liệu cá nhân); mỗi
báo cáo ghi rõ dữ liệu nguồn (các lượt chạy, kỳ, ngày số liệu, phiên bản).
The reports owed upward (counts only, no personal data); each states the
data it was made from (runs with ids and dates, period, as-of day, gapmap
version) and is reproducible: the same flags on the same data give the same
CSV and JSON bytes.

  progress      progress to date per area and period: students in need by
                tier, devices and SIMs allocated and handed over (in the
                period and to date), unmet, % of tier 1–2 students equipped,
                resources received by donor and kind
                  --from DAY --to DAY --period month|quarter|year --area CODE --levels N
                  --preview-run N: add what preview run N would allocate
                  (devices, SIMs and 3G SIMs planned, unmet and % tier 1–2
                  equipped after the plan) on the last period's rows
  donors        the donor trail: each donor's devices and SIMs to areas and
                schools (publishable)        --to DAY (as-of) --area CODE
  handovers     devices handed over per month and area, flagging areas below
                a target   --from DAY --to DAY --area CODE --level LEVEL --monthly-target N
  connectivity  the Sở TTTT measure: homes without mobile Internet (no 4G/3G
                of any operator) per area and operator, closed and opened
                since a baseline run   --run ID --baseline-run ID --as-of DAY --target-date DAY --area CODE --levels N

Days are YYYY-MM-DD; --to defaults to today (Vietnam), --from to 1 January
of --to's year. The format comes from the --out extension (.xlsx, .csv,
.json); --out - writes CSV to standard output. The API serves the same
reports: GET /api/v1/reports/{progress,donors,handovers,connectivity}.`

type reportFlags struct {
	from, to, asOf, target, period, area, level, out string
	levels, monthlyTarget                            int
	run, baseline, previewRun                        int64
}

func cmdReport(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlags(e, "report", reportSynopsis)
		if err := fs.Parse(args); err != nil {
			return err
		}
		return usageError{"report needs a kind: gapmap report progress|donors|handovers|connectivity --out FILE (see gapmap report --help)"}
	}
	kind := args[0]
	known := false
	for _, k := range reports.Kinds() {
		known = known || k == kind
	}
	if !known {
		return usageError{fmt.Sprintf("unknown report %q: use progress, donors, handovers or connectivity", kind)}
	}
	var f reportFlags
	fs := newFlags(e, "report "+kind, reportSynopsis)
	fs.StringVar(&f.out, "out", "", "output file: .xlsx, .csv or .json (- for CSV on standard output)")
	fs.StringVar(&f.area, "area", "", "area code: that area and the areas below it (default: all)")
	switch kind {
	case reports.KindProgress, reports.KindHandovers:
		fs.StringVar(&f.from, "from", "", "first day of the report, YYYY-MM-DD (default: 1 January of --to's year)")
		fs.StringVar(&f.to, "to", "", "last day of the report, YYYY-MM-DD (default: today, Vietnam time)")
	case reports.KindDonors:
		fs.StringVar(&f.to, "to", "", "as-of day, YYYY-MM-DD (default: today, Vietnam time)")
	}
	switch kind {
	case reports.KindProgress:
		fs.StringVar(&f.period, "period", reports.PeriodMonth, "month, quarter or year")
		fs.IntVar(&f.levels, "levels", 0, "levels of the area tree to list from the top (0: all)")
		fs.Int64Var(&f.previewRun, "preview-run", 0, "id of a preview allocation run whose planned allocations are added (0: none)")
	case reports.KindHandovers:
		fs.StringVar(&f.level, "level", "", "only areas of this level, e.g. commune (default: every level)")
		fs.IntVar(&f.monthlyTarget, "monthly-target", 0, "devices an area should hand over each month; months below are flagged (0: none)")
	case reports.KindConnectivity:
		fs.Int64Var(&f.run, "run", 0, "coverage run id (default: the newest)")
		fs.Int64Var(&f.baseline, "baseline-run", -1, "baseline coverage run id (default: the run before --run; 0: none)")
		fs.Int64Var(&f.baseline, "baseline", -1, "the same as --baseline-run")
		fs.StringVar(&f.asOf, "as-of", "", "day whose areas the figures are rolled into (default: the run's day)")
		fs.StringVar(&f.target, "target-date", "", "day by which every point should have mobile Internet, YYYY-MM-DD")
		fs.IntVar(&f.levels, "levels", 0, "levels of the area tree to list from the top (0: all)")
	}
	if err := parseNoArgs(fs, args[1:]); err != nil {
		return err
	}
	if f.out == "" {
		return usageError{"--out FILE is required (.xlsx, .csv or .json; - for CSV on standard output)"}
	}
	format, err := reports.FormatOf(f.out)
	if err != nil {
		return usageError{err.Error()}
	}
	o, err := reportOptions(kind, f, time.Now())
	if err != nil {
		return err
	}
	if f.out != "-" {
		if err := atomicfile.Check(f.out); err != nil {
			return fmt.Errorf("--out %s: %w", f.out, err)
		}
	}
	st, err := openStore(ctx, e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := &reports.Service{Store: st, Version: buildVersion()}
	rep, err := svc.Make(ctx, kind, o)
	if err != nil {
		return err
	}
	if err := writeExportFile(f.out, e.stdout, func(w io.Writer) error { return reports.Write(w, rep, format) }); err != nil {
		return err
	}
	if f.out != "-" {
		fmt.Fprintf(e.stdout, "%s report written to %s (%s)\n", kind, f.out, format)
	}
	return nil
}

// reportOptions turns the flags into options; days default from now (in
// Vietnam time).
func reportOptions(kind string, f reportFlags, now time.Time) (reports.Options, error) {
	o := reports.Options{Period: f.period, Area: strings.TrimSpace(f.area), Level: f.level, Levels: f.levels,
		MonthlyTarget: f.monthlyTarget, Run: f.run, Baseline: f.baseline, PreviewRun: f.previewRun}
	var err error
	if o.From, err = reports.ParseDay("from", f.from); err != nil {
		return o, err
	}
	if o.To, err = reports.ParseDay("to", f.to); err != nil {
		return o, err
	}
	if o.AsOf, err = reports.ParseDay("as-of", f.asOf); err != nil {
		return o, err
	}
	if o.TargetDate, err = reports.ParseDay("target-date", f.target); err != nil {
		return o, err
	}
	o.DefaultDays(kind, now)
	if f.levels < 0 {
		return o, usageError{"--levels must be 0 (all) or more"}
	}
	if f.previewRun < 0 {
		return o, usageError{"--preview-run must be a preview run id (0: none)"}
	}
	return o, nil
}

// printPreviewProgress prints, after an allocation preview, the progress
// report of the top level from 1 January of the run date's year to the
// run date (one period) with the preview's plan, as CSV.
func printPreviewProgress(ctx context.Context, e *env, st *postgis.Store, runID int64, date time.Time) error {
	y, m, d := date.In(time.FixedZone("ICT", 7*3600)).Date()
	to := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	o := reports.Options{From: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), To: to, Period: reports.PeriodYear, Levels: 1, PreviewRun: runID}
	svc := &reports.Service{Store: st, Version: buildVersion()}
	rep, err := svc.Make(ctx, reports.KindProgress, o)
	if err != nil {
		return fmt.Errorf("preview run %d is recorded, but its progress report failed: %w", runID, err)
	}
	fmt.Fprintf(e.stdout, "\nprogress with this preview (gapmap report progress --period year --levels 1 --to %s --preview-run %d --out -):\n", to.Format(time.DateOnly), runID)
	return reports.Write(e.stdout, rep, reports.FormatCSV)
}
