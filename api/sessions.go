package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/gapmap/gapmap/accounts"
	"github.com/go-chi/httprate"
)

// Web sessions. A browser logs in with POST /api/v1/login and gets an
// HttpOnly, SameSite=Lax cookie (Secure with Config.SecureCookies) naming a
// server-side session in the sessions table (scs with pgxstore). The
// session holds the user's id and a CSRF token; the user is read again on
// every request, so disabling a user ends its sessions at once.
//
// CSRF: every unsafe request (not GET, HEAD, OPTIONS) without a Bearer
// token passes Go's http.CrossOriginProtection (Sec-Fetch-Site / Origin
// against Host), and when it is authenticated by the session cookie it must
// also carry the session's token in the X-CSRF-Token header (given by the
// login answer and GET /api/v1/me). Requests with a Bearer token carry no
// ambient credentials and are exempt.

const (
	sessionCookieName = "gapmap_session"
	csrfHeader        = "X-CSRF-Token"
	sessKeyUserID     = "user_id"
	sessKeyCSRF       = "csrf"
	codeCSRF          = "csrf_failed"
	loginPath         = "/api/v1/login"
)

// sessionAuth is the server's session, CSRF and login-limit machinery.
type sessionAuth struct {
	sm          *scs.SessionManager
	cop         *http.CrossOriginProtection
	loginByAddr *httprate.RateLimiter
	loginByName *httprate.RateLimiter
	window      time.Duration
	accounts    *accounts.Service
}

// newSessionAuth sets up sessions on the store's sessions table; expired
// sessions are deleted every few minutes until ctx ends.
func newSessionAuth(ctx context.Context, d Deps) *sessionAuth {
	def := DefaultConfig()
	lifetime, limit, window := d.Config.SessionLifetime, d.Config.LoginLimit, d.Config.LoginWindow
	if lifetime <= 0 {
		lifetime = def.SessionLifetime
	}
	if limit <= 0 {
		limit = def.LoginLimit
	}
	if window <= 0 {
		window = def.LoginWindow
	}
	sm := scs.New()
	sm.Lifetime = lifetime
	sm.Cookie.Name = sessionCookieName
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = d.Config.SecureCookies
	sm.Cookie.Path = "/"
	a := &sessionAuth{
		sm:          sm,
		cop:         http.NewCrossOriginProtection(),
		loginByAddr: httprate.NewRateLimiter(limit, window),
		loginByName: httprate.NewRateLimiter(limit, window),
		window:      window,
	}
	if d.Store != nil {
		sm.Store = pgxstore.NewWithCleanupInterval(d.Store.Pool(), 0) // cleaned below, stopped with ctx
		a.accounts = accounts.New(d.Store)
		go func() {
			t := time.NewTicker(5 * time.Minute)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if _, err := d.Store.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
						d.Logger.Warn("delete expired sessions", "err", err)
					}
				}
			}
		}()
	}
	return a
}

type sessionLoadedKey struct{}

// viaSession reports whether the request's principal comes from the
// session cookie (not from a Bearer token).
func viaSession(ctx context.Context) bool {
	v, _ := ctx.Value(sessionLoadedKey{}).(bool)
	return v
}

// sessionLoaded reports whether authenticate loaded a session for the
// request (a cookie was sent), whatever it held.
func sessionLoaded(ctx context.Context) bool {
	_, ok := ctx.Value(sessionLoadedKey{}).(bool)
	return ok
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func errCSRF(msg string, cause error) error {
	return &apiError{status: http.StatusForbidden, code: codeCSRF, msg: msg, cause: cause}
}

// checkCSRFToken compares the request's X-CSRF-Token with the session's in
// constant time.
func (a *sessionAuth) checkCSRFToken(ctx context.Context, r *http.Request) error {
	want := a.sm.GetString(ctx, sessKeyCSRF)
	got := strings.TrimSpace(r.Header.Get(csrfHeader))
	if got == "" {
		return errCSRF("this change needs the session's CSRF token in the "+csrfHeader+" header (from the login answer or GET /api/v1/me)", nil)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errCSRF("the "+csrfHeader+" header does not match this session's CSRF token", nil)
	}
	return nil
}

func newCSRFToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// limitLogin counts one login attempt for the client address; over the
// limit it answers 429 with Retry-After.
func (a *sessionAuth) limitLogin(w http.ResponseWriter, r *http.Request) error {
	addr := r.RemoteAddr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h
	}
	if a.loginByAddr.OnLimit(w, r, "addr:"+httprate.CanonicalizeIP(addr)) {
		return a.tooMany(w, "from this address")
	}
	return nil
}

// limitLoginName counts one login attempt for a user name.
func (a *sessionAuth) limitLoginName(w http.ResponseWriter, r *http.Request, name string) error {
	if name = strings.ToLower(strings.TrimSpace(name)); name != "" && a.loginByName.OnLimit(w, r, "name:"+name) {
		return a.tooMany(w, "for this user name")
	}
	return nil
}

func (a *sessionAuth) tooMany(w http.ResponseWriter, what string) error {
	secs := int(math.Ceil(a.window.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return &apiError{status: http.StatusTooManyRequests, code: codeRateLimited,
		msg: "too many login attempts " + what + "; try again in " + strconv.Itoa(secs) + " s"}
}
