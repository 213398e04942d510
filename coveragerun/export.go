package coveragerun

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/export"
	"github.com/gapmap/gapmap/data/postgis"
)

// ExportQuery selects an export of uncovered points.
type ExportQuery struct {
	// RunID is the coverage run (0: the latest).
	RunID int64
	// View is export.ViewOperator (points without Operator's 4G) or
	// export.ViewNoNetwork (points without any 4G or fiber). Empty: the
	// operator view when Operator is set, else no network.
	View     string
	Operator string
	// AreaCode keeps the points of one area and below ("" for all).
	AreaCode string
	// Format is one of export.Formats (default csv).
	Format string
	// K is the privacy threshold: every exported cell holds at least K
	// households (default export.DefaultK).
	K int
}

// ExportStats describes a prepared export.
type ExportStats struct {
	RunID    int64  `json:"run_id"`
	View     string `json:"view"`
	Operator string `json:"operator,omitempty"`
	AreaCode string `json:"area_code,omitempty"`
	Format   string `json:"format"`
	K        int    `json:"k"`
	Cells    int    `json:"cells"`
	Schools  int    `json:"schools"`
	// Households in the exported cells, and those withheld because a whole
	// resolution-0 cell held fewer than K (0 in any real province).
	Households         int `json:"households"`
	WithheldHouseholds int `json:"withheld_households"`
}

// Export is a prepared export: validated, its cells merged under the
// privacy rule; WriteTo streams it.
type Export struct {
	st    *postgis.Store // nil for an offline run
	q     ExportQuery
	cells []export.Point
	// schools of an offline run (a stored run's are read while writing).
	schools []export.Point
	Stats   ExportStats
}

// PrepareExport checks q against the run and loads and merges its cells.
// Problems with q are a *data.ValidationError listing each; a missing run
// or area is a *data.NotFoundError.
func PrepareExport(ctx context.Context, st *postgis.Store, q ExportQuery) (*Export, error) {
	q, err := checkQuery(q)
	if err != nil {
		return nil, err
	}
	var verr data.ValidationError
	run, err := st.CoverageRun(ctx, q.RunID)
	if err != nil {
		return nil, err
	}
	q.RunID = run.ID
	if q.View == export.ViewOperator && !slices.Contains(run.Operators, q.Operator) && !slices.Contains(mobileOperators(), q.Operator) {
		verr.Add(data.FieldError{Column: "operator", Value: q.Operator, Reason: "not a mobile operator of this coverage run (" + strings.Join(run.Operators, ", ") + ")"})
		return nil, &verr
	}
	if q.AreaCode != "" {
		ok, err := st.AreaExists(ctx, q.AreaCode)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &data.NotFoundError{Kind: "area", ID: q.AreaCode}
		}
	}
	rows, err := postgis.UncoveredCells(ctx, st.Pool(), run.ID, runResolution(run), q.Operator, q.AreaCode)
	if err != nil {
		return nil, err
	}
	cells := make([]export.Cell, len(rows))
	for i, r := range rows {
		cells[i] = export.Cell{Cell: r.Cell, AreaCode: r.AreaCode, AreaName: r.AreaName, Households: r.Households,
			Students: r.Students, Unconnected: r.Unconnected, GapID: r.GapID, GapRank: r.GapRank, GapScore: r.GapScore, Nearest4GM: r.GapNearest4GM}
	}
	pts, withheld, err := export.Merge(cells, q.K)
	if err != nil {
		return nil, err
	}
	e := &Export{st: st, q: q, cells: pts, Stats: ExportStats{RunID: run.ID, View: q.View, Operator: q.Operator, AreaCode: q.AreaCode,
		Format: q.Format, K: q.K, Cells: len(pts), WithheldHouseholds: withheld.Households}}
	for i := range pts {
		e.Stats.Households += pts[i].Households
	}
	return e, nil
}

func mobileOperators() []string {
	return []string{data.OpViettel, data.OpVinaphone, data.OpMobifone, data.OpVietnamobile, data.OpGmobile}
}

// runResolution is the analysis resolution recorded with a run.
func runResolution(run postgis.CoverageRun) int {
	var params struct {
		Resolution *int `json:"resolution"`
	}
	if err := json.Unmarshal(run.Parameters, &params); err == nil && params.Resolution != nil {
		return *params.Resolution
	}
	return coverage.DefaultSettings().Resolution
}

// ContentType is the media type of the export's format.
func (e *Export) ContentType() string { return export.ContentType(e.q.Format) }

// FileName is a file name for the export, e.g. uncovered_run3_viettel.kml.
func (e *Export) FileName() string {
	name := "uncovered"
	if e.Stats.RunID != 0 {
		name += "_run" + strconv.FormatInt(e.Stats.RunID, 10)
	}
	if e.q.Operator != "" {
		name += "_" + e.q.Operator
	} else {
		name += "_no_network"
	}
	if e.q.AreaCode != "" {
		name += "_" + e.q.AreaCode
	}
	return name + "." + e.q.Format
}

// WriteTo streams the export to w: the merged cells, then the schools as
// they are read. It fills Stats.Schools.
func (e *Export) WriteTo(ctx context.Context, w io.Writer) error {
	wr, err := export.NewWriter(w, e.q.Format, export.Options{K: e.q.K, View: e.q.View, Operator: e.q.Operator})
	if err != nil {
		return err
	}
	for i := range e.cells {
		if err := wr.Write(&e.cells[i]); err != nil {
			return err
		}
	}
	if e.st == nil {
		for i := range e.schools {
			if err := wr.Write(&e.schools[i]); err != nil {
				return err
			}
		}
		return wr.Close()
	}
	e.Stats.Schools = 0
	err = postgis.EachUncoveredSchool(ctx, e.st.Pool(), e.Stats.RunID, e.q.Operator, e.q.AreaCode, func(s postgis.UncoveredSchoolRow) error {
		e.Stats.Schools++
		p := export.Point{Kind: export.KindSchool, H3: s.Cell.String(), Res: s.Cell.Res(), SchoolID: s.SchoolID, Name: s.Name, Level: s.Level,
			Lat: s.Lat, Lon: s.Lon, AreaCode: s.AreaCode, AreaName: s.AreaName, SchoolStudents: s.Students, Connectivity: s.Connectivity,
			Nearest4GM: s.Nearest4GM, GapID: s.GapID, GapRank: s.GapRank, GapScore: s.GapScore}
		if p.GapRank <= 0 {
			p.GapScore = math.NaN()
		}
		return wr.Write(&p)
	})
	if err != nil {
		return err
	}
	return wr.Close()
}

// checkQuery normalises q and lists its problems.
func checkQuery(q ExportQuery) (ExportQuery, error) {
	var verr data.ValidationError
	q.Format = strings.ToLower(strings.TrimSpace(q.Format))
	if q.Format == "" {
		q.Format = "csv"
	}
	if !slices.Contains(export.Formats(), q.Format) {
		verr.Add(data.FieldError{Column: "format", Value: q.Format, Reason: "use one of " + strings.Join(export.Formats(), ", ")})
	}
	if q.K == 0 {
		q.K = export.DefaultK
	}
	if q.K < 1 {
		verr.Add(data.FieldError{Column: "k", Reason: "the privacy threshold must be 1 or more"})
	}
	q.Operator = coverage.NormalizeOperator(q.Operator)
	q.View = strings.ToLower(strings.TrimSpace(q.View))
	if q.View == "" {
		q.View = export.ViewNoNetwork
		if q.Operator != "" {
			q.View = export.ViewOperator
		}
	}
	switch q.View {
	case export.ViewOperator:
		if q.Operator == "" {
			verr.Add(data.FieldError{Column: "operator", Reason: "the operator view needs an operator (viettel, vinaphone, mobifone, vietnamobile, gmobile)"})
		}
	case export.ViewNoNetwork:
		q.Operator = ""
	default:
		verr.Add(data.FieldError{Column: "view", Value: q.View, Reason: "use one of " + strings.Join(export.Views(), ", ")})
	}
	return q, verr.Err()
}
