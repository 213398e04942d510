package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/accounts"
	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

const adminPW = "quản trị viên 2026"

// accTest is a server on a fresh database with an admin "root" (password
// adminPW) and a viewer "xem" (password adminPW), and a browser-like client
// with a cookie jar.
type accTest struct {
	t   *testing.T
	st  *postgis.Store
	srv *httptest.Server
	c   *http.Client
}

func newAccTest(t *testing.T, cfg api.Config) *accTest {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st := pgtest.New(t)
	svc := accounts.New(st)
	for _, u := range []accounts.NewUser{{Name: "root", Role: "admin", Password: adminPW}, {Name: "xem", Role: "viewer", Password: adminPW}} {
		if _, err := svc.AddUser(ctx, "test", "test", u); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(api.Validating(t, api.NewServer(ctx, api.Deps{Store: st, Config: cfg})))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &accTest{t: t, st: st, srv: srv, c: &http.Client{Jar: jar}}
}

// resp is an answer with its body decoded.
type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r resp) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// do sends a request with the client (its cookies); h holds extra headers.
func (a *accTest) do(c *http.Client, method, path string, body any, h map[string]string) resp {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.srv.URL+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, header: res.Header, raw: string(b)}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out.body); err != nil {
			a.t.Fatalf("%s %s: the answer is not JSON: %q", method, path, b)
		}
	}
	if out.status >= 400 && out.errCode() == "" {
		a.t.Fatalf("%s %s: %d without the JSON error: %s", method, path, out.status, b)
	}
	return out
}

func (a *accTest) login(c *http.Client, name, pw string) resp {
	a.t.Helper()
	return a.do(c, "POST", "/api/v1/login", map[string]string{"name": name, "password": pw}, nil)
}

// loginOK logs c in and returns the CSRF token.
func (a *accTest) loginOK(c *http.Client, name, pw string) string {
	a.t.Helper()
	r := a.login(c, name, pw)
	if r.status != http.StatusOK {
		a.t.Fatalf("login %s: %d %s", name, r.status, r.raw)
	}
	tok, _ := r.body["csrf_token"].(string)
	if len(tok) < 40 {
		a.t.Fatalf("login answer without a CSRF token: %s", r.raw)
	}
	return tok
}

func (a *accTest) token(name string) string {
	a.t.Helper()
	u, _, err := a.st.UserByName(context.Background(), name)
	if err != nil {
		a.t.Fatal(err)
	}
	tok, err := a.st.NewToken(context.Background(), u.ID)
	if err != nil {
		a.t.Fatal(err)
	}
	return tok
}

func (a *accTest) sessionCookie(c *http.Client) *http.Cookie {
	for _, ck := range c.Jar.Cookies(mustURL(a.srv.URL)) {
		if ck.Name == "gapmap_session" {
			return ck
		}
	}
	return nil
}

func (a *accTest) sessionRows() int {
	var n int
	if err := a.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

func (a *accTest) auditActions() []string {
	log, err := a.st.AuditLog(context.Background(), 1000)
	if err != nil {
		a.t.Fatal(err)
	}
	var out []string
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].Actor != "test" {
			out = append(out, log[i].Action+" "+log[i].Actor+" "+log[i].Object)
		}
	}
	return out
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func TestLoginMeLogout(t *testing.T) {
	cfg := api.DefaultConfig()
	cfg.SecureCookies = false
	a := newAccTest(t, cfg)

	// The Set-Cookie header: HttpOnly, SameSite=Lax, Path=/, not Secure.
	r := a.login(a.c, "root", adminPW)
	if r.status != http.StatusOK {
		t.Fatalf("login: %d %s", r.status, r.raw)
	}
	sc := r.header.Get("Set-Cookie")
	for _, want := range []string{"gapmap_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(sc, want) {
			t.Fatalf("Set-Cookie %q lacks %s", sc, want)
		}
	}
	if strings.Contains(sc, "Secure") {
		t.Fatalf("Set-Cookie %q is Secure without SecureCookies", sc)
	}
	user, _ := r.body["user"].(map[string]any)
	if user["name"] != "root" || user["role"] != "admin" {
		t.Fatalf("login answer %s", r.raw)
	}
	csrf, _ := r.body["csrf_token"].(string)
	exp, err := time.Parse(time.RFC3339, r.body["expires_at"].(string))
	if err != nil || exp.Sub(time.Now()) < 11*time.Hour || exp.Sub(time.Now()) > 12*time.Hour+time.Minute {
		t.Fatalf("expires_at %v (%v): want 12 h from now", r.body["expires_at"], err)
	}
	first := a.sessionCookie(a.c)
	if first == nil || a.sessionRows() != 1 {
		t.Fatalf("after login: cookie %v, %d session rows", first, a.sessionRows())
	}

	me := a.do(a.c, "GET", "/api/v1/me", nil, nil)
	mu, _ := me.body["user"].(map[string]any)
	if me.status != 200 || mu["name"] != "root" || mu["role"] != "admin" || me.body["auth"] != "session" || me.body["csrf_token"] != csrf {
		t.Fatalf("me: %d %s", me.status, me.raw)
	}
	// A token user sees itself with no CSRF token.
	mt := a.do(http.DefaultClient, "GET", "/api/v1/me", nil, bearer(a.token("xem")))
	mtu, _ := mt.body["user"].(map[string]any)
	if mt.status != 200 || mtu["name"] != "xem" || mtu["role"] != "viewer" || mt.body["auth"] != "token" || mt.body["csrf_token"] != nil {
		t.Fatalf("me by token: %d %s", mt.status, mt.raw)
	}

	// Logging in again renews the session token: the old one is gone.
	csrf2 := a.loginOK(a.c, "root", adminPW)
	second := a.sessionCookie(a.c)
	if second.Value == first.Value || csrf2 == csrf || a.sessionRows() != 1 {
		t.Fatalf("login did not renew the session: %q → %q, %d rows", first.Value, second.Value, a.sessionRows())
	}
	old := &http.Client{Jar: newJar(t, a.srv.URL, first)}
	if r := a.do(old, "GET", "/api/v1/me", nil, nil); r.status != 401 {
		t.Fatalf("the session before renewal still works: %d", r.status)
	}

	// Logout: 204, the cookie cleared, the row deleted, the old cookie dead.
	lo := a.do(a.c, "POST", "/api/v1/logout", nil, map[string]string{"X-CSRF-Token": csrf2})
	if lo.status != http.StatusNoContent || !strings.Contains(lo.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %v", lo.status, lo.header)
	}
	if a.sessionRows() != 0 || a.sessionCookie(a.c) != nil {
		t.Fatalf("after logout: %d session rows, cookie %v", a.sessionRows(), a.sessionCookie(a.c))
	}
	if r := a.do(a.c, "GET", "/api/v1/me", nil, nil); r.status != 401 || r.errCode() != "unauthorized" {
		t.Fatalf("me after logout: %d %s", r.status, r.raw)
	}
	replay := &http.Client{Jar: newJar(t, a.srv.URL, second)}
	if r := a.do(replay, "GET", "/api/v1/me", nil, nil); r.status != 401 {
		t.Fatalf("the logged-out session still works: %d", r.status)
	}
	want := []string{"login root root", "login root root", "logout root root"}
	if got := a.auditActions(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("audit %q, want %q", got, want)
	}

	// Behind TLS the cookie is Secure.
	cfg.SecureCookies = true
	b := newAccTest(t, cfg)
	if sc := b.login(b.c, "root", adminPW).header.Get("Set-Cookie"); !strings.Contains(sc, "; Secure") {
		t.Fatalf("Set-Cookie %q is not Secure with SecureCookies", sc)
	}
}

func TestLoginRefused(t *testing.T) {
	a := newAccTest(t, api.DefaultConfig())
	for _, try := range []map[string]string{
		{"name": "root", "password": "not the password"},
		{"name": "nobody", "password": adminPW},
		{"name": "root", "password": ""},
	} {
		r := a.do(a.c, "POST", "/api/v1/login", try, nil)
		if r.status != 401 || r.errCode() != "unauthorized" || a.sessionCookie(a.c) != nil {
			t.Fatalf("login %v: %d %s", try, r.status, r.raw)
		}
	}
	if r := a.do(a.c, "POST", "/api/v1/login", map[string]any{"name": "root", "pass": 1}, nil); r.status != 400 {
		t.Fatalf("a malformed login: %d %s", r.status, r.raw)
	}
	if a.sessionRows() != 0 {
		t.Fatalf("%d sessions after failed logins", a.sessionRows())
	}
	log, err := a.st.AuditLogPage(context.Background(), postgis.AuditFilter{Action: "login_failed", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 3 || log[2].Object != "root" || log[1].Object != "nobody" || !strings.Contains(string(log[2].Detail), "wrong password") {
		t.Fatalf("audit of failed logins: %+v", log)
	}
	for _, e := range log {
		if strings.Contains(string(e.Detail), "not the password") || strings.Contains(string(e.Detail), adminPW) {
			t.Fatalf("the audit log holds a password: %s", e.Detail)
		}
		if !strings.HasPrefix(e.Remote, "127.0.0.1") {
			t.Fatalf("audit remote %q", e.Remote)
		}
	}
}

func TestDisabledUserLosesSessionAndToken(t *testing.T) {
	a := newAccTest(t, api.DefaultConfig())
	admin := a.token("root")
	ctx := context.Background()
	if _, err := accounts.New(a.st).AddUser(ctx, "test", "test", accounts.NewUser{Name: "pl", Role: "planner", Password: adminPW}); err != nil {
		t.Fatal(err)
	}
	tok := a.token("pl")
	a.loginOK(a.c, "pl", adminPW)
	if r := a.do(a.c, "GET", "/api/v1/me", nil, nil); r.status != 200 {
		t.Fatalf("me: %d", r.status)
	}
	if r := a.do(http.DefaultClient, "GET", "/api/v1/me", nil, bearer(tok)); r.status != 200 {
		t.Fatalf("me by token: %d", r.status)
	}
	d := a.do(http.DefaultClient, "POST", "/api/v1/users/pl/disable", nil, bearer(admin))
	if d.status != 200 || d.body["disabled"] != true || d.body["name"] != "pl" {
		t.Fatalf("disable: %d %s", d.status, d.raw)
	}
	if r := a.do(a.c, "GET", "/api/v1/me", nil, nil); r.status != 401 || r.errCode() != "unauthorized" {
		t.Fatalf("a disabled user's session: %d %s", r.status, r.raw)
	}
	if r := a.do(http.DefaultClient, "GET", "/api/v1/me", nil, bearer(tok)); r.status != 401 || r.errCode() != "unauthorized" {
		t.Fatalf("a disabled user's token: %d %s", r.status, r.raw)
	}
	if r := a.login(a.c, "pl", adminPW); r.status != 401 {
		t.Fatalf("a disabled user logs in: %d", r.status)
	}
	if r := a.do(http.DefaultClient, "POST", "/api/v1/users/pl/tokens", nil, bearer(admin)); r.status != 409 {
		t.Fatalf("a token for a disabled user: %d %s", r.status, r.raw)
	}
	if r := a.do(http.DefaultClient, "POST", "/api/v1/users/root/disable", nil, bearer(admin)); r.status != 409 {
		t.Fatalf("the admin disables itself: %d %s", r.status, r.raw)
	}
	if r := a.do(http.DefaultClient, "POST", "/api/v1/users/ghost/disable", nil, bearer(admin)); r.status != 404 || r.errCode() != "not_found" {
		t.Fatalf("disable an unknown user: %d %s", r.status, r.raw)
	}
}

func TestUnauthenticated(t *testing.T) {
	a := newAccTest(t, api.DefaultConfig())
	for _, p := range [][2]string{{"GET", "/api/v1/me"}, {"GET", "/api/v1/users"}, {"POST", "/api/v1/users"}, {"GET", "/api/v1/audit"}, {"GET", "/api/v1/jobs"}, {"POST", "/api/v1/users/root/tokens"}} {
		r := a.do(http.DefaultClient, p[0], p[1], nil, nil)
		if r.status != 401 || r.errCode() != "unauthorized" {
			t.Fatalf("%v without credentials: %d %s", p, r.status, r.raw)
		}
	}
	if r := a.do(http.DefaultClient, "GET", "/api/v1/me", nil, bearer("gapmap_forged")); r.status != 401 {
		t.Fatalf("a forged token: %d", r.status)
	}
	junk := &http.Client{Jar: newJar(t, a.srv.URL, &http.Cookie{Name: "gapmap_session", Value: "no-such-session"})}
	if r := a.do(junk, "GET", "/api/v1/me", nil, nil); r.status != 401 {
		t.Fatalf("an unknown session cookie: %d", r.status)
	}
}

func TestCSRF(t *testing.T) {
	a := newAccTest(t, api.DefaultConfig())
	csrf := a.loginOK(a.c, "root", adminPW)
	newUser := func(name string) map[string]string { return map[string]string{"name": name, "role": "viewer"} }
	forged := []struct {
		name string
		h    map[string]string
	}{
		{"no token", nil},
		{"wrong token", map[string]string{"X-CSRF-Token": "AAAA" + csrf[4:]}},
		{"token of another session", map[string]string{"X-CSRF-Token": newCSRFOf(t, a)}},
		{"cross-origin Origin", map[string]string{"X-CSRF-Token": csrf, "Origin": "https://evil.example"}},
		{"cross-site fetch", map[string]string{"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"}},
	}
	for i, f := range forged {
		name := "forged" + string(rune('a'+i))
		r := a.do(a.c, "POST", "/api/v1/users", newUser(name), f.h)
		if r.status != 403 || r.errCode() != "csrf_failed" {
			t.Fatalf("%s: %d %s", f.name, r.status, r.raw)
		}
		if _, _, err := a.st.UserByName(context.Background(), name); err == nil {
			t.Fatalf("%s: the forged request created the user", f.name)
		}
	}
	// The same request with the token (and a same-origin Origin) passes.
	r := a.do(a.c, "POST", "/api/v1/users", newUser("ok1"), map[string]string{"X-CSRF-Token": csrf, "Origin": a.srv.URL, "Sec-Fetch-Site": "same-origin"})
	if r.status != 201 || r.body["name"] != "ok1" || r.body["role"] != "viewer" {
		t.Fatalf("with the token: %d %s", r.status, r.raw)
	}
	// Logout without the token is refused too; safe methods need none.
	if r := a.do(a.c, "POST", "/api/v1/logout", nil, nil); r.status != 403 {
		t.Fatalf("logout without the token: %d", r.status)
	}
	if r := a.do(a.c, "GET", "/api/v1/users", nil, map[string]string{"Origin": "https://evil.example"}); r.status != 200 {
		t.Fatalf("a GET: %d", r.status)
	}
	// A Bearer token carries no ambient credential: exempt.
	r = a.do(http.DefaultClient, "POST", "/api/v1/users", newUser("ok2"), map[string]string{"Authorization": "Bearer " + a.token("root"), "Origin": "https://evil.example"})
	if r.status != 201 {
		t.Fatalf("a token request: %d %s", r.status, r.raw)
	}
	// Login CSRF: a cross-site login form is refused.
	other := &http.Client{}
	if r := a.do(other, "POST", "/api/v1/login", map[string]string{"name": "root", "password": adminPW}, map[string]string{"Sec-Fetch-Site": "cross-site"}); r.status != 403 {
		t.Fatalf("a cross-site login: %d", r.status)
	}
}

// newCSRFOf logs in a second browser and returns its CSRF token.
func newCSRFOf(t *testing.T, a *accTest) string {
	jar, _ := cookiejar.New(nil)
	return a.loginOK(&http.Client{Jar: jar}, "xem", adminPW)
}

func TestLoginLimit(t *testing.T) {
	cfg := api.DefaultConfig()
	cfg.LoginLimit, cfg.LoginWindow = 3, time.Minute
	a := newAccTest(t, cfg)
	for i := range 3 {
		if r := a.login(a.c, "root", "wrong password"); r.status != 401 {
			t.Fatalf("attempt %d: %d", i+1, r.status)
		}
	}
	r := a.login(a.c, "root", adminPW) // the right password, over the limit
	if r.status != 429 || r.errCode() != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %v %s", r.status, r.header.Get("Retry-After"), r.raw)
	}
	if a.sessionCookie(a.c) != nil {
		t.Fatal("a limited login got a session")
	}
	// The window slides: two windows later the counters are clear. (One
	// attempt per 2 s window, so the hashing time of a loaded machine does
	// not let an attempt slip into the next window.)
	short := api.DefaultConfig()
	short.LoginLimit, short.LoginWindow = 1, 2*time.Second
	c := newAccTest(t, short)
	if r := c.login(c.c, "root", "wrong password"); r.status != 401 {
		t.Fatalf("first attempt: %d", r.status)
	}
	if r := c.login(c.c, "root", adminPW); r.status != 429 {
		t.Fatalf("second attempt in the window: %d %s", r.status, r.raw)
	}
	time.Sleep(4*time.Second + 100*time.Millisecond)
	if r := c.login(c.c, "root", adminPW); r.status != 200 {
		t.Fatalf("after the window: %d %s", r.status, r.raw)
	}

	// Per user name, whatever the address; per address, whatever the name.
	cfg.LoginWindow = time.Minute
	b := newAccTest(t, cfg)
	h := b.srv.Config.Handler
	try := func(addr, name string) int {
		req := httptest.NewRequest("POST", "/api/v1/login", strings.NewReader(`{"name":"`+name+`","password":"wrong password"}`))
		req.RemoteAddr = addr + ":40000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	for i, addr := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"} {
		if c := try(addr, "Root"); c != 401 {
			t.Fatalf("name attempt %d: %d", i+1, c)
		}
	}
	if c := try("10.0.0.4", "root"); c != 429 {
		t.Fatalf("a fourth address for the same name: %d", c)
	}
	if c := try("10.0.0.4", "xem"); c != 401 {
		t.Fatalf("another name from a fresh address: %d", c)
	}
	// 10.0.0.4 has made two attempts (root, refused by the name limit, and xem).
	if c := try("10.0.0.4", "a1"); c != 401 {
		t.Fatalf("third attempt from one address: %d", c)
	}
	if c := try("10.0.0.4", "a2"); c != 429 {
		t.Fatalf("a fourth name from one address: %d", c)
	}
}

func TestUserAdminRoutes(t *testing.T) {
	a := newAccTest(t, api.DefaultConfig())
	ctx := context.Background()
	if _, err := a.st.Pool().Exec(ctx, `INSERT INTO areas (code, name, level) VALUES ('24', 'Bắc Giang', 'province')`); err != nil {
		t.Fatal(err)
	}
	admin, viewer := bearer(a.token("root")), bearer(a.token("xem"))

	// A viewer may not manage users or read the audit log.
	for _, p := range [][2]string{{"GET", "/api/v1/users"}, {"POST", "/api/v1/users"}, {"POST", "/api/v1/users/root/disable"}, {"POST", "/api/v1/users/root/tokens"}, {"GET", "/api/v1/audit"}} {
		var body any
		if p[0] == "POST" {
			body = map[string]string{"name": "x", "role": "admin"}
		}
		if r := a.do(http.DefaultClient, p[0], p[1], body, viewer); r.status != 403 || r.errCode() != "forbidden" {
			t.Fatalf("viewer %v: %d %s", p, r.status, r.raw)
		}
	}
	if _, _, err := a.st.UserByName(ctx, "x"); err == nil {
		t.Fatal("the viewer created a user")
	}

	r := a.do(http.DefaultClient, "POST", "/api/v1/users", map[string]string{"name": "vnpt.bg", "role": "operator", "operator": "VNPT", "password": "mật khẩu vnpt bg"}, admin)
	if r.status != 201 || r.body["operator"] != "vinaphone" || r.body["role"] != "operator" {
		t.Fatalf("create operator: %d %s", r.status, r.raw)
	}
	r = a.do(http.DefaultClient, "POST", "/api/v1/users", map[string]string{"name": "lan", "role": "officer", "area_code": "24"}, admin)
	if r.status != 201 || r.body["area_code"] != "24" {
		t.Fatalf("create officer: %d %s", r.status, r.raw)
	}
	r = a.do(http.DefaultClient, "POST", "/api/v1/users", map[string]string{"name": "bad name", "role": "officer", "area_code": "99", "password": "short"}, admin)
	if r.status != 422 || r.errCode() != "validation_failed" {
		t.Fatalf("invalid user: %d %s", r.status, r.raw)
	}
	details, _ := r.body["error"].(map[string]any)["details"].([]any)
	var cols []string
	for _, d := range details {
		cols = append(cols, d.(map[string]any)["column"].(string))
	}
	if strings.Join(cols, ",") != "name,area_code,password" {
		t.Fatalf("validation details %s", r.raw)
	}
	if r := a.do(http.DefaultClient, "POST", "/api/v1/users", map[string]string{"name": "lan", "role": "viewer"}, admin); r.status != 409 {
		t.Fatalf("a taken name: %d %s", r.status, r.raw)
	}
	l := a.do(http.DefaultClient, "GET", "/api/v1/users", nil, admin)
	users, _ := l.body["users"].([]any)
	var names []string
	for _, u := range users {
		names = append(names, u.(map[string]any)["name"].(string))
	}
	if l.status != 200 || strings.Join(names, ",") != "lan,root,vnpt.bg,xem" {
		t.Fatalf("users: %d %s", l.status, l.raw)
	}
	for _, u := range users {
		if _, ok := u.(map[string]any)["password_hash"]; ok {
			t.Fatal("the user list shows password hashes")
		}
	}

	// A new token is shown once and works.
	tk := a.do(http.DefaultClient, "POST", "/api/v1/users/lan/tokens", nil, admin)
	tok, _ := tk.body["token"].(string)
	if tk.status != 201 || !strings.HasPrefix(tok, "gapmap_") {
		t.Fatalf("token: %d %s", tk.status, tk.raw)
	}
	me := a.do(http.DefaultClient, "GET", "/api/v1/me", nil, bearer(tok))
	if mu, _ := me.body["user"].(map[string]any); me.status != 200 || mu["name"] != "lan" || mu["role"] != "officer" || mu["area_code"] != "24" {
		t.Fatalf("me with the new token: %d %s", me.status, me.raw)
	}
	if r := a.do(http.DefaultClient, "POST", "/api/v1/users/ghost/tokens", nil, admin); r.status != 404 {
		t.Fatalf("a token for an unknown user: %d", r.status)
	}

	// The audit log, newest first, filtered and paged.
	au := a.do(http.DefaultClient, "GET", "/api/v1/audit?limit=2", nil, admin)
	es, _ := au.body["entries"].([]any)
	if au.status != 200 || len(es) != 2 || es[0].(map[string]any)["action"] != "token_create" || es[0].(map[string]any)["object"] != "lan" ||
		es[0].(map[string]any)["actor"] != "root" || es[1].(map[string]any)["action"] != "user_add" || au.body["next_before"] == nil {
		t.Fatalf("audit: %d %s", au.status, au.raw)
	}
	before := int64(au.body["next_before"].(float64))
	au = a.do(http.DefaultClient, "GET", "/api/v1/audit?action=user_add&before="+itoa(before), nil, admin)
	es, _ = au.body["entries"].([]any)
	if au.status != 200 || len(es) != 3 || es[0].(map[string]any)["object"] != "vnpt.bg" { // vnpt.bg, then the fixture's two
		t.Fatalf("audit page: %d %s", au.status, au.raw)
	}
	if r := a.do(http.DefaultClient, "GET", "/api/v1/audit?limit=0&before=x", nil, admin); r.status != 422 {
		t.Fatalf("bad audit query: %d", r.status)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
