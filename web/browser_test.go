package web_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/accounts"
	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/gapmap/gapmap/internal/realdata"
	"github.com/gapmap/gapmap/web"
)

// browserUser is an account the browser tests log in with.
type browserUser struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
	Operator string `json:"operator,omitempty"`
	AreaCode string `json:"area_code,omitempty"`
}

// TestBrowser runs the browser tests (web/test/*.test.mjs: node's test
// runner driving Debian's headless Chromium with playwright-core) against
// a real gapmap server on 127.0.0.1 with a generated, analysed province in
// a fresh PostGIS database. `make test` builds the app first (make web).
func TestBrowser(t *testing.T) {
	runBrowserTests(t, gen.Options{Seed: 1, Scale: 0.2}, true, nil)
}

// TestBrowserBacGiang measures the map on a real province's size: Bắc
// Giang's 230 communes with its census count of homes (477,487), analysed,
// then the map test's timing (idle after load and after a zoom) in the
// browser. The figures are in README.
func TestBrowserBacGiang(t *testing.T) {
	areas := realdata.Path(t, "bac_giang", "communes.geojson")
	runBrowserTests(t, gen.Options{Seed: 1, AreasPath: areas}, false, []string{"test/timing.bg.mjs"})
}

// browserICCID is the ICCID of the SIM the fixture hands over (19 digits,
// the last its Luhn check digit; test/sims.test.mjs looks for it).
const browserICCID = "8984020000000000011"

// runBrowserTests starts a server on a generated province and runs the
// browser tests (files, or every test/*.test.mjs), after an allocation
// commit with two handovers and a SIM handed over when allocate is set.
func runBrowserTests(t *testing.T, genOpts gen.Options, allocate bool, files []string) {
	assets, err := web.Assets()
	if err != nil {
		t.Fatalf("%v: run `make web` (or `make test`) first", err)
	}
	for _, need := range []string{"node_modules/playwright-core/package.json"} {
		if _, err := os.Stat(need); err != nil {
			t.Fatalf("%s is missing: run `make web` (npm ci) first", need)
		}
	}
	chromium := os.Getenv("GAPMAP_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("Chromium not found at %s: `make setup` installs Debian's chromium (or set GAPMAP_CHROMIUM)", chromium)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found: `make setup` installs Debian's nodejs")
	}

	ctx := context.Background()
	st := pgtest.New(t)
	dir := t.TempDir()
	genOpts.OutDir = dir
	if _, err := gen.Generate(ctx, genOpts); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.ImportDir(ctx, st, dir, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := coveragerun.Analyze(ctx, st, coveragerun.Options{Settings: coverage.DefaultSettings()}); err != nil {
		t.Fatal(err)
	}
	if allocate {
		// A committed allocation run with two devices handed over, for the
		// reports' devices and SIMs.
		allocs := &runs.Service{Store: st}
		committed, err := allocs.Commit(ctx, runs.Options{Settings: allocation.DefaultSettings(), Actor: "test"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(committed.View.Allocations) < 2 {
			t.Fatalf("the committed allocation run allocated %d devices", len(committed.View.Allocations))
		}
		for _, a := range committed.View.Allocations[:2] {
			if err := allocs.Handover(ctx, "test", a.StudentID, "", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		// And one SIM handed over with its ICCID, which opens its service
		// period: the "SIMs ending soon" list and its renewal have a row.
		withSim := ""
		for _, a := range committed.View.Allocations[2:] {
			if a.SimPackageID != "" {
				withSim = a.StudentID
				break
			}
		}
		if withSim == "" {
			t.Fatal("the committed allocation run gave no SIM beyond its first two devices")
		}
		if err := allocs.Handover(ctx, "test", withSim, browserICCID, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	var province string
	if err := st.Pool().QueryRow(ctx, `SELECT code FROM areas WHERE coalesce(parent_code, '') = '' ORDER BY code LIMIT 1`).Scan(&province); err != nil {
		t.Fatal(err)
	}
	users := []browserUser{
		{Name: "planner", Role: "planner"},
		{Name: "viettel", Role: "operator", Operator: "viettel"},
		{Name: "officer", Role: "officer", AreaCode: province},
		{Name: "viewer", Role: "viewer"},
	}
	acc := accounts.New(st)
	for i := range users {
		users[i].Password = "browser-test-" + users[i].Name
		u := users[i]
		if _, err := acc.AddUser(ctx, "test", "", accounts.NewUser{Name: u.Name, Role: u.Role, Operator: u.Operator, AreaCode: u.AreaCode, Password: u.Password}); err != nil {
			t.Fatal(err)
		}
	}

	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Every test logs in from 127.0.0.1: the login limit must not get in
	// the way (its own tests are in package api).
	cfg := api.DefaultConfig()
	cfg.LoginLimit = 100000
	srv := api.NewServer(sctx, api.Deps{Store: st, Web: assets, Version: "browser-test", Config: cfg})
	defer srv.Close(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()

	shots := os.Getenv("GAPMAP_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	usersJSON, _ := json.Marshal(users)
	tctx, tcancel := context.WithTimeout(ctx, 10*time.Minute)
	defer tcancel()
	if files == nil {
		// GAPMAP_BROWSER_TESTS=test/a.test.mjs,test/b.test.mjs runs only
		// those files (while working on a page); default: every test.
		if only := os.Getenv("GAPMAP_BROWSER_TESTS"); only != "" {
			files = strings.Split(only, ",")
		} else {
			files, _ = filepath.Glob("test/*.test.mjs")
		}
	}
	if len(files) == 0 {
		t.Fatal("no browser tests in web/test")
	}
	cmd := exec.CommandContext(tctx, node, append([]string{"--test", "--test-concurrency=1", "--test-reporter=spec"}, files...)...)
	cmd.Env = append(os.Environ(),
		"GAPMAP_URL=http://"+ln.Addr().String(),
		"GAPMAP_USERS="+string(usersJSON),
		"GAPMAP_CHROMIUM="+chromium,
		"GAPMAP_SCREENSHOTS="+shots,
		"GAPMAP_PROVINCE="+province,
	)
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}
}
