package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/api/apitest"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

func TestServeHealthAndSummary(t *testing.T) {
	st := pgtest.New(t)
	ctx := t.Context()
	if _, err := st.Pool().Exec(ctx, `INSERT INTO areas (code, name, level) VALUES ('24', 'Bắc Giang', 'province')`); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(apitest.Validating(t, api.NewServer(ctx, api.Deps{Store: st})))
	defer srv.Close()

	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz = %d %s", code, body)
	}
	code, body := get("/api/summary")
	if code != 200 {
		t.Fatalf("summary = %d %s", code, body)
	}
	var sum struct{ Tables map[string]int64 }
	if err := json.Unmarshal([]byte(body), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Tables["areas"] != 1 || sum.Tables["households"] != 0 {
		t.Fatalf("summary tables = %v", sum.Tables)
	}
	code, body = get("/")
	if code != 200 || !strings.Contains(body, "Đơn vị hành chính") || !strings.Contains(body, "Administrative areas") {
		t.Fatalf("home page = %d %s", code, body)
	}
}
