package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// syncWriter lets the test read what serve prints while it runs.
type lineWriter struct{ lines chan string }

func (w lineWriter) Write(p []byte) (int, error) {
	sc := bufio.NewScanner(strings.NewReader(string(p)))
	for sc.Scan() {
		select {
		case w.lines <- sc.Text():
		default:
		}
	}
	return len(p), nil
}

// On SIGTERM (the cancelled context of main's signal.NotifyContext),
// gapmap serve lets a request in flight complete, refuses new ones, ends
// a running coverage job as cancelled, and returns without error.
func TestServeGracefulShutdown(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := gen.Generate(ctx, gen.Options{Seed: 5, Scale: 0.2, OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	devices, err := os.ReadFile(filepath.Join(dir, "devices.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// The devices arrive later, by upload, during the shutdown.
	if err := os.Remove(filepath.Join(dir, "devices.csv")); err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewURL(t)
	e, _, stderr := allocTestEnv(map[string]string{"DATABASE_URL": url})
	if err := run(ctx, []string{"import", dir}, e); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	st, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, data.User{Name: "root", Role: data.RoleAdmin}, "")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := st.NewToken(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}

	// Serve on a free port; the first line printed gives the address.
	lines := make(chan string, 16)
	se, _, serr := allocTestEnv(map[string]string{"DATABASE_URL": url})
	se.stdout = lineWriter{lines}
	sctx, sigterm := context.WithCancel(ctx)
	defer sigterm()
	served := make(chan error, 1)
	go func() { served <- run(sctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "text"}, se) }()
	var base string
	select {
	case l := <-lines:
		base = strings.TrimPrefix(l, "serve: listening on ")
	case err := <-served:
		t.Fatalf("serve ended early: %v\n%s", err, serr)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("serve printed %q", base)
	}
	call := func(method, path string, body io.Reader, contentType string) (*http.Response, error) {
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		return http.DefaultClient.Do(req)
	}

	// An upload whose body is still on its way when SIGTERM comes.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	uploaded := make(chan *http.Response, 1)
	uploadErr := make(chan error, 1)
	go func() {
		res, err := call("POST", "/api/v1/allocation/inventory", pr, mw.FormDataContentType())
		if err != nil {
			uploadErr <- err
			return
		}
		uploaded <- res
	}()
	part, err := mw.CreateFormFile("devices", "devices.csv")
	if err != nil {
		t.Fatal(err)
	}
	half := len(devices) / 2
	if _, err := part.Write(devices[:half]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the server is reading the body

	// A coverage run in the background, still reading when SIGTERM comes.
	res, err := call("POST", "/api/v1/coverage/runs", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		ID int64 `json:"id"`
	}
	if err := json.NewDecoder(res.Body).Decode(&job); err != nil || res.StatusCode != http.StatusAccepted {
		t.Fatalf("start a coverage run: %d %v", res.StatusCode, err)
	}
	res.Body.Close()

	sigterm()
	time.Sleep(300 * time.Millisecond) // shutdown has begun
	if res, err := http.Get(base + "/healthz"); err == nil {
		res.Body.Close()
		t.Errorf("a new request during shutdown got %d, want a refused connection", res.StatusCode)
	}
	if _, err := part.Write(devices[half:]); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	pw.Close()

	select {
	case res := <-uploaded:
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"device_status"`) {
			t.Fatalf("the upload in flight: %d %s", res.StatusCode, b)
		}
	case err := <-uploadErr:
		t.Fatalf("the upload in flight failed: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("the upload in flight never completed")
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, serr)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}

	j, err := st.JobByID(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != data.JobCancelled || j.FinishedAt == nil {
		t.Fatalf("the coverage job after SIGTERM: %s (%s)", j.Status, j.Error)
	}
	var runs, devs int
	if err := st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM coverage_runs), (SELECT count(*) FROM devices)`).Scan(&runs, &devs); err != nil {
		t.Fatal(err)
	}
	if runs != 0 {
		t.Errorf("a cancelled coverage run stored %d run(s)", runs)
	}
	if want := strings.Count(strings.TrimSpace(string(devices)), "\n"); devs != want {
		t.Errorf("devices after the upload in flight: %d, want %d", devs, want)
	}
	fmt.Fprint(io.Discard, serr)
}
