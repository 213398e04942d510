package api

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
)

// tableLabels names each table in Vietnamese first, English second.
func tableLabels() map[string][2]string {
	return map[string][2]string{
		"areas":        {"Đơn vị hành chính", "Administrative areas"},
		"schools":      {"Trường học", "Schools"},
		"households":   {"Hộ gia đình", "Households"},
		"students":     {"Học sinh", "Students"},
		"sites":        {"Trạm BTS (sector)", "Base-station sectors"},
		"fiber_nodes":  {"Điểm truy nhập cáp quang", "Fiber access nodes"},
		"fiber_routes": {"Tuyến cáp quang", "Fiber routes"},
		"donors":       {"Nhà tài trợ", "Donors"},
		"devices":      {"Thiết bị được tặng", "Donated devices"},
		"sim_packages": {"Gói SIM data", "SIM-data packages"},
	}
}

const homeHTML = (`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>gapmap — Sóng và máy tính cho em</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:52rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}.en{color:#666;font-size:.9em}</style></head>
<body><h1>gapmap <span class="en">— Sóng và máy tính cho em</span></h1>
<p>Dữ liệu đã nạp <span class="en">/ Loaded data</span></p>
<table id="summary"><tr><th>Bảng <span class="en">/ Table</span></th><th>Số bản ghi <span class="en">/ Rows</span></th></tr>
{{range .}}<tr><td>{{.VI}} <span class="en">/ {{.EN}}</span></td><td class="n" data-table="{{.Table}}">{{.Count}}</td></tr>{{end}}
</table></body></html>`)

type homeRow struct {
	Table, VI, EN string
	Count         string
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	c, err := s.deps.Store.Counts(r.Context())
	if err != nil {
		return errUnavailable("cannot read the database", err)
	}
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	sort.Strings(names)
	labels := tableLabels()
	rows := make([]homeRow, 0, len(names))
	for _, n := range names {
		l, ok := labels[n]
		if !ok {
			l = [2]string{n, n}
		}
		rows = append(rows, homeRow{Table: n, VI: l[0], EN: l[1], Count: fmt.Sprintf("%d", c[n])})
	}
	var buf bytes.Buffer
	if err := s.homePage.Execute(&buf, rows); err != nil {
		return fmt.Errorf("render the home page: %w", err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = buf.WriteTo(w)
	return err
}
