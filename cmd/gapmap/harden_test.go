package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/gapmap/gapmap/internal/termsafe"
)

// blackHole listens on a loopback port, accepts every connection and never
// answers (nor closes) until the test ends.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// A database that accepts the connection and never answers: migrate and a
// read command fail within the connect timeout, the error names the
// database (host:port/name) and never the password, and the advice says
// what to check.
func TestBlackHoleDatabaseTimesOut(t *testing.T) {
	addr := blackHole(t)
	url := "postgres://gapmap:s3cr3t-pw@" + addr + "/blackdb?sslmode=disable&connect_timeout=1"
	for _, args := range [][]string{{"migrate"}, {"user", "list"}, {"import", "households", "nowhere.csv"}} {
		e, _, stderr := allocTestEnv(map[string]string{"DATABASE_URL": url})
		start := time.Now()
		err := run(context.Background(), args, e)
		took := time.Since(start)
		if !errors.Is(err, postgis.ErrUnreachable) {
			t.Fatalf("%v: err = %v, want ErrUnreachable", args, err)
		}
		if took > 5*time.Second {
			t.Errorf("%v took %s with connect_timeout=1", args, took)
		}
		want := "cannot reach the database " + addr + "/blackdb: no answer within 1s"
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v: %q does not say %q", args, err, want)
		}
		if got := stderr.String(); got != "database: "+addr+"/blackdb\n" {
			t.Errorf("%v: stderr = %q", args, got)
		}
		var out bytes.Buffer
		e.stderr = &out
		if code := exitStatus(e, args, err); code != 1 {
			t.Errorf("%v: exit %d", args, code)
		}
		if s := out.String(); strings.Contains(s, "s3cr3t") || !strings.Contains(s, "is PostgreSQL running there?") {
			t.Errorf("%v: printed %q", args, s)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%v: the password is in %q", args, err)
		}
	}
}

// The default connect timeout applies when the URL sets none; the URL's
// wins; the CLI's statement timeout is DefaultStatementTimeout, unless the
// URL or GAPMAP_STATEMENT_TIMEOUT says otherwise.
func TestConnectionSettings(t *testing.T) {
	const base = "postgres://u:p@db.example:5433/gm?sslmode=disable"
	cases := []struct {
		url, env       string
		connect, stmt  time.Duration
		describe       string
		wantUsageError bool
	}{
		{url: base, connect: postgis.DefaultConnectTimeout, stmt: DefaultStatementTimeout, describe: "db.example:5433/gm"},
		{url: base + "&connect_timeout=3", connect: 3 * time.Second, stmt: DefaultStatementTimeout, describe: "db.example:5433/gm"},
		{url: base + "&statement_timeout=5000", connect: postgis.DefaultConnectTimeout, stmt: 5 * time.Second, describe: "db.example:5433/gm"},
		{url: base + "&statement_timeout=5000", env: "2h", connect: postgis.DefaultConnectTimeout, stmt: 2 * time.Hour, describe: "db.example:5433/gm"},
		{url: base, env: "0", connect: postgis.DefaultConnectTimeout, stmt: 0, describe: "db.example:5433/gm"},
		{url: "host=/run/postgresql dbname=x user=y password=z", connect: postgis.DefaultConnectTimeout, stmt: DefaultStatementTimeout, describe: "/run/postgresql:5432/x"},
		{url: base, env: "soon", wantUsageError: true},
	}
	for _, c := range cases {
		e, _, _ := allocTestEnv(map[string]string{"DATABASE_URL": c.url, "GAPMAP_STATEMENT_TIMEOUT": c.env})
		opts, err := dbOptions(e)
		var ue usageError
		if c.wantUsageError {
			if !errors.As(err, &ue) {
				t.Errorf("GAPMAP_STATEMENT_TIMEOUT=%q: %v, want a usage error", c.env, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := postgis.ParseConfig(databaseURL(e), opts...)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.ConnConfig.ConnectTimeout != c.connect || postgis.StatementTimeout(cfg) != c.stmt {
			t.Errorf("%s (env %q): connect %s, statement %s; want %s, %s", c.url, c.env, cfg.ConnConfig.ConnectTimeout, postgis.StatementTimeout(cfg), c.connect, c.stmt)
		}
		if d := postgis.Describe(c.url); d != c.describe {
			t.Errorf("Describe(%s) = %q, want %q", c.url, d, c.describe)
		}
	}
	// A URL that does not parse is not printed with its password.
	_, err := postgis.Open(context.Background(), "postgres://u:hunter2@host:notaport/db")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("invalid URL: %v", err)
	}
}

// Every command that touches the database says which one, first, on
// stderr; the statement timeout is in force on its connections.
func TestCommandsNameTheirDatabase(t *testing.T) {
	url := pgtest.NewURL(t)
	name := postgis.Describe(url)
	if !regexp.MustCompile(`^127\.0\.0\.1:5432/gapmap_test_\w+$`).MatchString(name) {
		t.Fatalf("Describe = %q", name)
	}
	path := filepath.Join(t.TempDir(), "measurements.csv")
	if err := os.WriteFile(path, []byte("operator,technology,lat,lon,rsrp_dbm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"migrate"}, {"user", "list"}, {"import", "measurements", path, "--dry-run"}} {
		e, _, stderr := allocTestEnv(map[string]string{"DATABASE_URL": url})
		if err := run(context.Background(), args, e); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if first, _, _ := strings.Cut(stderr.String(), "\n"); first != "database: "+name {
			t.Errorf("%v: first stderr line %q", args, first)
		}
		if strings.Contains(stderr.String(), "gapmap@") || strings.Contains(stderr.String(), ":gapmap") {
			t.Errorf("%v: stderr shows credentials: %q", args, stderr)
		}
	}
	e, _, _ := allocTestEnv(map[string]string{"DATABASE_URL": url})
	st, err := openDB(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Database() != name {
		t.Errorf("Database() = %q", st.Database())
	}
	var v string
	if err := st.Pool().QueryRow(context.Background(), "SHOW statement_timeout").Scan(&v); err != nil || v != "30min" {
		t.Errorf("statement_timeout = %q, %v; want 30min", v, err)
	}
}

// Stray arguments are refused with a usage error (exit 2) before anything
// runs; commands that take arguments check their count.
func TestStrayArgumentsRefused(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "extra"}, {"serve", "--addr", "127.0.0.1:0", "extra"}, {"migrate", "x"}, {"gen", "--out", "d", "x"},
		{"analyze", "foo"}, {"plan", "foo"}, {"allocate", "foo"}, {"export", "uncovered", "--out", "x.csv", "foo"},
		{"bench", "coverage", "x"}, {"bench", "allocation", "x"}, {"bench", "http", "x"}, {"bench", "import", "x"},
		{"import"}, {"import", "a", "b", "c"}, {"import", "f.csv", "households"}, {"handover"}, {"handover", "a", "b"},
		{"user", "list", "x"}, {"user", "add", "a", "b"},
	} {
		// The database URL points nowhere: none of these may reach it.
		e, _, _ := allocTestEnv(map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"})
		err := run(context.Background(), args, e)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
			continue
		}
		if code := exitStatus(e, args, err); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
	e, _, _ := allocTestEnv(nil)
	err := run(context.Background(), []string{"serve", "extra", "more"}, e)
	if err == nil || err.Error() != `serve takes no arguments (got "extra" "more"): flags start with --` {
		t.Errorf("serve extra more: %v", err)
	}
	err = run(context.Background(), []string{"import", "f.csv", "households"}, e)
	if err == nil || err.Error() != "the kind comes first: gapmap import households f.csv" {
		t.Errorf("import f.csv households: %v", err)
	}
}

// serve listens on loopback unless told otherwise.
func TestServeListensOnLoopbackByDefault(t *testing.T) {
	for env, want := range map[string]string{"": `(default "127.0.0.1:8080")`, ":9090": `(default ":9090")`} {
		e, _, stderr := allocTestEnv(map[string]string{"GAPMAP_ADDR": env})
		if err := run(context.Background(), []string{"serve", "--help"}, e); !errors.Is(err, flag.ErrHelp) {
			t.Fatal(err)
		}
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("GAPMAP_ADDR=%q: usage does not say %s:\n%s", env, want, stderr)
		}
	}
	if defaultServeAddr != "127.0.0.1:8080" {
		t.Errorf("defaultServeAddr = %q", defaultServeAddr)
	}
	mk, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mk), "\nADDR ?= 127.0.0.1:8080\n") {
		t.Errorf("make demo does not serve on loopback by default")
	}
}

// Whatever the error, what the CLI prints carries no raw control
// character: ESC, NUL, CR, C1 controls and bytes that are not UTF-8 are
// escaped; lines stay lines, but a line feed inside a value does not start
// a new line.
func TestErrorsArePrintedSafely(t *testing.T) {
	ve := &data.ValidationError{}
	ve.Add(data.FieldError{File: "a\x1b]0;pwned\x07.csv", Row: 2, Column: "name\x1b[2J", Value: "\x1b[31mred\x00", Reason: "bad\nvalue \x1b[31m\x00\r\u009b\xff"})
	for _, err := range []error{
		fmt.Errorf("wrapped: %w", ve),
		errors.New("plain \x1b[31mred\x00 error\r\nsecond line \u202egnp.exe"),
	} {
		var out bytes.Buffer
		e, _, _ := allocTestEnv(nil)
		e.stderr = &out
		e.cwd = t.TempDir()
		if code := exitStatus(e, []string{"import"}, err); code != 1 {
			t.Errorf("exit %d", code)
		}
		s := out.String()
		for _, bad := range []string{"\x1b", "\x00", "\r", "\x07", "\u009b", "\xff", "\u202e"} {
			if strings.Contains(s, bad) {
				t.Errorf("printed a raw %q: %q", bad, s)
			}
		}
		for _, want := range []string{`\x1b`, `\x00`} {
			if !strings.Contains(s, want) {
				t.Errorf("printed %q, want %s in it", s, want)
			}
		}
		if errors.As(err, new(*data.ValidationError)) {
			// one problem line, one gapmap: line (the problem's own line
			// feed is escaped, by data.FieldError itself).
			if lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], `a\x1b]0;pwned\a.csv:2: column name\x1b[2J: value "\x1b[31mred\x00": bad\nvalue`) {
				t.Errorf("lines %q", lines)
			}
		} else if !strings.Contains(s, "error\\x0d\nsecond line") {
			t.Errorf("line structure lost: %q", s)
		}
	}
	// The writer of main: split UTF-8 kept, controls escaped.
	var out bytes.Buffer
	w := termsafe.NewWriter(&out)
	for _, p := range []string{"Tr\xe1\xba", "\xa7n \x1b[1mH\u01b0ng\n", "\xc2", "\x9b\n"} {
		if _, err := w.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if got := out.String(); got != "Trần \\x1b[1mHưng\n\\u009b\n" {
		t.Errorf("writer: %q", got)
	}
}

// importFixture generates a small province, imports it, and returns its
// directory, the database URL and the row counts after the import.
func importFixture(t *testing.T) (dir, url string, counts map[string]int64) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	if _, err := gen.Generate(ctx, gen.Options{Seed: 3, Scale: 0.05, OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	url = pgtest.NewURL(t)
	e, _, stderr := allocTestEnv(map[string]string{"DATABASE_URL": url})
	if err := run(ctx, []string{"import", dir}, e); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	return dir, url, tableCounts(t, url)
}

func tableCounts(t *testing.T, url string) map[string]int64 {
	t.Helper()
	st, err := postgis.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A failed import prints the first 20 problems and a count, writes them all
// to a CSV file it names, recognises the common mistake in one line, and
// its "nothing was written" is true: every table holds what it held.
func TestImportProblemsAndHints(t *testing.T) {
	ctx := context.Background()
	dir, url, before := importFixture(t)
	households := filepath.Join(dir, "households.csv")
	nh := before["households"]
	if nh < 100 {
		t.Fatalf("only %d households", nh)
	}
	importErr := func(args ...string) (error, string) {
		t.Helper()
		e, _, stderr := allocTestEnv(map[string]string{"DATABASE_URL": url})
		err := run(ctx, append([]string{"import"}, args...), e)
		if err == nil {
			t.Fatalf("import %v succeeded", args)
		}
		if !strings.Contains(err.Error(), "; nothing was written") {
			t.Errorf("import %v: %v", args, err)
		}
		if after := tableCounts(t, url); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("import %v said nothing was written, but the counts went from %v to %v", args, before, after)
		}
		return err, stderr.String()
	}

	// 1. The same file again: every id exists.
	err, stderr := importErr("households", households)
	want := fmt.Sprintf("all %s ids of households.csv already exist in the database: did you mean --replace?", commas(int(nh)))
	if !strings.HasSuffix(err.Error(), "\n"+want) {
		t.Errorf("err = %q, want it to end with %q", err, want)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if lines[0] != "database: "+postgis.Describe(url) {
		t.Errorf("first line %q", lines[0])
	}
	problemLines := lines[1 : len(lines)-1]
	if len(problemLines) != maxShownProblems {
		t.Fatalf("%d problem lines printed, want %d:\n%s", len(problemLines), maxShownProblems, stderr)
	}
	m := regexp.MustCompile(`^… and ([\d,]+) more problems \(([\d,]+) in all\): the whole list is in (.+)$`).FindStringSubmatch(lines[len(lines)-1])
	if m == nil || m[1] != commas(int(nh)-20) || m[2] != commas(int(nh)) {
		t.Fatalf("last line %q", lines[len(lines)-1])
	}
	if filepath.Dir(m[3]) != dir || !regexp.MustCompile(`^gapmap-errors-households-\d{8}T\d{6}Z\.csv$`).MatchString(filepath.Base(m[3])) {
		t.Errorf("errors file %q, want gapmap-errors-households-TIME.csv in %s", m[3], dir)
	}
	b, rerr := os.ReadFile(m[3])
	if rerr != nil {
		t.Fatal(rerr)
	}
	if !bytes.HasPrefix(b, []byte("\ufefffile,row,column,value,reason\n")) {
		t.Errorf("errors file starts %q", b[:min(60, len(b))])
	}
	recs, rerr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if rerr != nil {
		t.Fatal(rerr)
	}
	if int64(len(recs)-1) != nh {
		t.Errorf("errors file has %d rows, want %d", len(recs)-1, nh)
	}
	first := strings.Split(readLines(t, households)[1], ",")
	if r := recs[1]; r[0] != "households.csv" || r[1] != "2" || r[2] != "household_id" || r[3] != first[0] || !strings.Contains(r[4], "already exists in the database") {
		t.Errorf("first record %q (file row 2 is %q)", r, first)
	}
	// The same lines on the screen as in the file.
	if want := "households.csv:2: column household_id: value " + strconv.Quote(first[0]) + ": " + recs[1][4]; problemLines[0] != want {
		t.Errorf("first problem line %q, want %q", problemLines[0], want)
	}

	// 2. A --replace that fails leaves the table as it was (the delete is
	// rolled back with the rest); --errors names the file.
	students := filepath.Join(dir, "students.csv")
	sl := readLines(t, students)
	if !strings.HasPrefix(sl[0], "\ufeffstudent_id,household_id,school_id,grade,") {
		t.Fatalf("students header %q", sl[0])
	}
	badRow := strings.Split(sl[1], ",")
	badRow[0], badRow[3] = "STBAD", "x"
	bad := append(append([]string(nil), sl...), strings.Join(badRow, ","))
	badPath := filepath.Join(t.TempDir(), "students.csv")
	writeLines(t, badPath, bad)
	to := filepath.Join(t.TempDir(), "list.csv")
	err, stderr = importErr("students", badPath, "--replace", "--errors", to)
	if !strings.HasSuffix(err.Error(), ": fix them and run it again") || !strings.Contains(stderr, "1 problem(s): the whole list is in "+to) {
		t.Errorf("err %q, stderr %q", err, stderr)
	}
	if l := readLines(t, to); len(l) != 2 || !strings.HasPrefix(l[1], fmt.Sprintf("students.csv,%d,grade,x,", len(bad))) {
		t.Errorf("--errors file %q", l)
	}
	// The directory form: one bad file, everything rolled back.
	writeLines(t, students, bad)
	err, _ = importErr(dir, "--replace")
	if !strings.Contains(err.Error(), "import failed with 1 problem(s); nothing was written") {
		t.Errorf("dir: %v", err)
	}
	writeLines(t, students, sl)
	hl := readLines(t, households)

	// 3. A students file given as households.
	err, _ = importErr("households", filepath.Join(dir, "students.csv"))
	if !strings.Contains(err.Error(), "\nstudents.csv does not have the columns of its kind, but it reads as students: this looks like a students file (gapmap import students FILE)") {
		t.Errorf("students as households: %v", err)
	}

	// 4. Every coordinate swapped (new ids, so only the swap is wrong).
	sw := []string{hl[0]}
	cols := strings.Split(hl[0], ",")
	if cols[0] != "\ufeffhousehold_id" || cols[1] != "lat" || cols[2] != "lon" {
		t.Fatalf("households header %q", hl[0])
	}
	for i, l := range hl[1:6] {
		f := strings.Split(l, ",")
		f[0], f[1], f[2] = "HSW"+strconv.Itoa(i), f[2], f[1]
		sw = append(sw, strings.Join(f, ","))
	}
	swPath := filepath.Join(t.TempDir(), "households.csv")
	writeLines(t, swPath, sw)
	err, _ = importErr("households", swPath)
	if !strings.HasSuffix(err.Error(), "\nlatitude and longitude look swapped on every row of households.csv (5 rows): swap the two columns (or their headers) and import again") {
		t.Errorf("swapped: %v", err)
	}

	// 5. Escapes in a file never reach the terminal raw.
	esc := []string{hl[0], "H\x1b[31mX\x00,21.2,106.1,24,gps,poor,4", "HOK1,21.2,106.1,24,bogus\x1b]0;t\x07,poor,4"}
	escPath := filepath.Join(t.TempDir(), "households.csv")
	writeLines(t, escPath, esc)
	var term bytes.Buffer
	e, _, _ := allocTestEnv(map[string]string{"DATABASE_URL": url})
	e.stderr = &term
	err = run(ctx, []string{"import", "households", escPath}, e)
	if err == nil {
		t.Fatal("escapes imported")
	}
	exitStatus(e, []string{"import"}, err)
	if s := term.String(); strings.ContainsAny(s, "\x1b\x00\x07") || !strings.Contains(s, `\x1b`) {
		t.Errorf("printed %q", s)
	}
}

// Any command's validation problems: the first 20 printed, all of them in
// a CSV file in the working directory.
func TestManyProblemsOfAnyCommand(t *testing.T) {
	ve := &data.ValidationError{}
	for i := range 25 {
		ve.Add(data.FieldError{File: "in.csv", Row: i + 2, Column: "c", Reason: "wrong"})
	}
	var out bytes.Buffer
	e, _, _ := allocTestEnv(nil)
	e.stderr, e.cwd = &out, t.TempDir()
	if code := exitStatus(e, []string{"analyze"}, fmt.Errorf("the input files have problems: %w", ve)); code != 1 {
		t.Errorf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 22 || lines[19] != "in.csv:21: column c: wrong" {
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	m := regexp.MustCompile(`^… and 5 more problems \(25 in all\): the whole list is in (.+)$`).FindStringSubmatch(lines[20])
	if m == nil || filepath.Dir(m[1]) != e.cwd || !strings.HasPrefix(filepath.Base(m[1]), "gapmap-errors-analyze-") {
		t.Fatalf("line %q", lines[20])
	}
	if l := readLines(t, m[1]); len(l) != 26 || l[25] != "in.csv,26,c,,wrong" {
		t.Errorf("file %q", l)
	}
	if !strings.HasPrefix(lines[21], "gapmap: the input files have problems: 25 problems; nothing was written") {
		t.Errorf("last line %q", lines[21])
	}
}

// The file limits come from the environment and reach the readers: a
// line longer than GAPMAP_MAX_LINE_BYTES is refused with its limit.
func TestFileLimitsFromEnvironment(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	dir := t.TempDir()
	long := "HH1," + strings.Repeat("x", 3000) + ",21.0,105.8,,gps,poor,4\n"
	path := filepath.Join(dir, "households.csv")
	if err := os.WriteFile(path, []byte("household_id,note,lat,lon,area_code,location_precision,poverty,members\n"+long), 0o644); err != nil {
		t.Fatal(err)
	}
	areas := filepath.Join(dir, "areas.geojson")
	if err := os.WriteFile(areas, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"01","name":"Hà Nội","level":"province"},
		"geometry":{"type":"Polygon","coordinates":[[[105.7,20.9],[105.9,20.9],[105.9,21.1],[105.7,21.1],[105.7,20.9]]]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	e, _, stderr := allocTestEnv(map[string]string{"DATABASE_URL": url, "GAPMAP_MAX_LINE_BYTES": "2KiB"})
	if err := run(ctx, []string{"import", "areas", areas}, e); err != nil {
		t.Fatalf("areas: %v\n%s", err, stderr)
	}
	err := run(ctx, []string{"import", "households", path, "--dry-run"}, e)
	if err == nil || !strings.Contains(stderr.String(), "households.csv:2: the file is not read further: this line is longer than 2 KiB") {
		t.Fatalf("a 3 KB line with a 2 KiB limit: %v\n%s", err, stderr)
	}
	e, _, _ = allocTestEnv(map[string]string{"DATABASE_URL": url, "GAPMAP_MAX_LINE_BYTES": "lots"})
	if err := run(ctx, []string{"import", "households", path, "--dry-run"}, e); !isUsage(err) {
		t.Fatalf("a bad limit: %v", err)
	}
	for in, want := range map[string]int64{"123": 123, "64KiB": 64 << 10, "2MiB": 2 << 20, "4GiB": 4 << 30, "1k": 1024, "-1": -1} {
		if got, err := format.ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}
