package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/go-chi/chi/v5"
)

// importView is the answer to an upload.
type importView struct {
	Kind              string        `json:"kind"`
	File              string        `json:"file"`
	Rows              int64         `json:"rows"`
	Inserted          int64         `json:"inserted"`
	DryRun            bool          `json:"dry_run"`
	Replace           bool          `json:"replace"`
	Operator          string        `json:"operator,omitempty"`
	AreaCode          string        `json:"area_code,omitempty"`
	DurationMS        int64         `json:"duration_ms"`
	Warnings          []fieldDetail `json:"warnings"`
	WarningsTruncated int           `json:"warnings_truncated,omitempty"`
}

// uploadKinds is what each role may upload (admin and planner: every kind).
func uploadKinds(role data.Role) []string {
	switch role {
	case data.RoleOperator:
		return []string{format.KindSites, format.KindFiberNodes, format.KindFiberRoutes, format.KindCoveragePolygons, format.KindMeasurements}
	case data.RoleOfficer:
		return []string{format.KindSchools, format.KindHouseholds, format.KindStudents}
	case data.RoleAdmin, data.RolePlanner:
		return format.Kinds()
	}
	return nil
}

// importFile: POST /api/v1/imports/{kind}?replace=true&dry_run=true&operator=OP
// with a multipart/form-data body whose part "file" is the file (its name
// picks the format: .csv, .csv.gz, .xlsx, .geojson). All or nothing: any
// problem answers 422 with every problem (file, row, column, value,
// reason) and writes nothing.
//
// An operator uploads its own network only (sites, fiber_nodes,
// fiber_routes, coverage_polygons, measurements): a row of another
// operator is a row error and replace=true replaces only its rows. An
// officer uploads schools, households and students of its area: a row
// outside the area is a row error and replace=true replaces only the
// area's rows. A planner or admin uploads any kind; operator=OP scopes the
// upload (and replace) to one operator. Every upload is audited.
func (s *Server) importFile(w http.ResponseWriter, r *http.Request) error {
	u := principal(r.Context())
	kind := chi.URLParam(r, "kind")
	if !slices.Contains(format.Kinds(), kind) {
		return errNotFound("unknown import kind " + strconv.Quote(kind) + ": use one of " + strings.Join(format.Kinds(), ", "))
	}
	if !slices.Contains(uploadKinds(u.Role), kind) {
		return errForbidden("your role (" + string(u.Role) + ") may not upload " + kind)
	}
	q := r.URL.Query()
	if err := textParams(map[string]string{"operator": q.Get("operator")}); err != nil {
		return err
	}
	opts := importer.Options{}
	var err error
	if opts.Replace, err = boolParam(q.Get("replace")); err != nil {
		return errBadRequest("replace must be true or false", err)
	}
	if opts.DryRun, err = boolParam(q.Get("dry_run")); err != nil {
		return errBadRequest("dry_run must be true or false", err)
	}
	if opts.Date, err = dateParam(r); err != nil {
		return err
	}
	switch u.Role {
	case data.RoleOperator:
		if op := q.Get("operator"); op != "" && !data.SameOperator(u.Operator, op) {
			return errForbidden("an operator account uploads only its own network (" + u.Operator + ")")
		}
		opts.Operator = u.Operator
	case data.RoleOfficer:
		opts.AreaCode = u.AreaCode
	default:
		opts.Operator = strings.ToLower(strings.TrimSpace(q.Get("operator")))
	}
	name, body, err := uploadedFile(w, r, s.deps.Config.MaxUploadBytes)
	if err != nil {
		return err
	}
	start := time.Now()
	sum, ierr := importer.ImportReader(r.Context(), s.deps.Store, kind, name, body, opts)
	detail := map[string]any{"kind": kind, "file": name, "replace": opts.Replace, "dry_run": opts.DryRun,
		"operator": opts.Operator, "area_code": opts.AreaCode, "rows": sum.Rows, "inserted": sum.Inserted}
	var ve *data.ValidationError
	switch {
	case errors.As(ierr, &ve):
		detail["errors"] = ve.Len()
	case ierr != nil:
		detail["error"] = "failed"
	}
	action := "import"
	if ierr != nil {
		action = "import_failed"
	}
	// Recorded even when the client went away during the import.
	if err := s.deps.Store.Audit(context.WithoutCancel(r.Context()), u.Name, action, kind, detail, r.RemoteAddr); err != nil {
		return err
	}
	if ierr != nil {
		return ierr
	}
	v := importView{Kind: kind, File: sum.File, Rows: sum.Rows, Inserted: sum.Inserted, DryRun: opts.DryRun, Replace: opts.Replace,
		Operator: opts.Operator, AreaCode: opts.AreaCode, DurationMS: time.Since(start).Milliseconds(),
		Warnings: []fieldDetail{}, WarningsTruncated: sum.WarningsTruncated}
	for _, e := range sum.Warnings {
		v.Warnings = append(v.Warnings, fieldDetail{File: e.File, Row: e.Row, Column: e.Column, Value: e.Value, Reason: e.Reason})
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func boolParam(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	return strconv.ParseBool(s)
}

// uploadedFile returns the part "file" of a multipart/form-data body,
// streaming (the body is bounded by limit).
func uploadedFile(w http.ResponseWriter, r *http.Request, limit int64) (string, io.Reader, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return "", nil, errBadRequest("send the file as multipart/form-data in a part named \"file\"", err)
	}
	if limit > 0 {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, errBadRequest("the multipart body cannot be read", err)
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return "", nil, errBadRequest("the body has no part named \"file\"", nil)
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return "", nil, err
			}
			return "", nil, errBadRequest("the multipart body cannot be read", err)
		}
		if p.FormName() != "file" {
			continue
		}
		if p.FileName() == "" {
			return "", nil, errBadRequest("the part \"file\" has no file name: send it as a file (e.g. sites.csv)", nil)
		}
		return p.FileName(), p, nil
	}
}

// upload is one file field of a multipart upload, read into memory.
type upload struct {
	Field, Name string
	Body        *bytes.Buffer
}

// readUploads reads the file fields of a multipart/form-data body into
// memory, one after the other, within Config.MaxUploadBytes (over it: the
// *http.MaxBytesError, a 413). Parts without a file name are skipped; a
// file field not among fields is a 400.
func (s *Server) readUploads(w http.ResponseWriter, r *http.Request, fields ...string) ([]upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.deps.Config.MaxUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errBadRequest("send the files as multipart/form-data with file fields "+strings.Join(fields, " and/or "), err)
	}
	var out []upload
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		if err != nil {
			return nil, errBadRequest("the multipart body cannot be read", err)
		}
		if p.FileName() == "" {
			p.Close()
			continue
		}
		if !slices.Contains(fields, p.FormName()) {
			p.Close()
			return nil, errBadRequest(fmt.Sprintf("file field %q is not known: use %s", p.FormName(), strings.Join(fields, " or ")), nil)
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(p)
		p.Close()
		if errors.As(err, &mbe) {
			return nil, err
		}
		if err != nil {
			return nil, errBadRequest("the upload was cut short", err)
		}
		out = append(out, upload{Field: p.FormName(), Name: p.FileName(), Body: &buf})
	}
}
