package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// waitingQueries counts the statements of the service's pool waiting on a
// lock for the areas table.
func waitingQueries(ctx context.Context, t *testing.T, st *postgis.Store) int {
	t.Helper()
	var n int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%areas%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A request whose client goes away cancels its query at once; a statement
// that runs past the statement timeout ends the request with 503.
func TestCancelledRequestCancelsItsQuery(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	st, err := postgis.Open(ctx, url, postgis.WithStatementTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, data.User{Name: "p", Role: data.RolePlanner}, "")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := st.NewToken(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(ctx, Deps{Store: st})
	defer s.Close(ctx)
	hs := httptest.NewServer(s)
	defer hs.Close()

	// Another session holds the areas table: reading it waits.
	locker, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	tx, err := locker.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE areas IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	rctx, cancel := context.WithCancel(ctx)
	req, _ := http.NewRequestWithContext(rctx, "GET", hs.URL+"/api/v1/areas", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	deadline := time.Now().Add(2 * time.Second)
	for waitingQueries(ctx, t, locker) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the request's query never waited on the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel() // the client goes away
	<-done
	deadline = time.Now().Add(time.Second)
	for waitingQueries(ctx, t, locker) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the query of a cancelled request still runs a second later")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The statement timeout: the same request, left to wait, ends with 503.
	req2, _ := http.NewRequest("GET", hs.URL+"/api/v1/areas", nil)
	req2.Header.Set("Authorization", "Bearer "+tok)
	start := time.Now()
	res, err := http.DefaultClient.Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a statement past the timeout answered %d, want 503", res.StatusCode)
	}
	if d := time.Since(start); d < 2900*time.Millisecond || d > 10*time.Second {
		t.Fatalf("the statement timeout took %v, want ≈ 3 s", d)
	}
}
