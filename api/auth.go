package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/data"
)

type principalKey struct{}

// principal returns the authenticated user of a request (nil when none).
func principal(ctx context.Context) *data.User {
	u, _ := ctx.Value(principalKey{}).(*data.User)
	return u
}

func withPrincipal(ctx context.Context, u *data.User) context.Context {
	return context.WithValue(ctx, principalKey{}, u)
}

// authenticate puts the user of a request in its context: from an API
// token (Authorization: Bearer TOKEN) or from the web session cookie. A
// request with a bad token is refused; one with no credentials (or an
// expired session, or the session of a disabled user) goes on anonymously
// (requireUser refuses it where a user is needed). Without a token, an
// unsafe request must pass the cross-origin check, and one authenticated by
// the session must carry its CSRF token (sessions.go); else 403.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || strings.TrimSpace(tok) == "" {
				s.writeError(w, r, errUnauthorized("send the API token as: Authorization: Bearer TOKEN"))
				return
			}
			u, err := s.userByToken(r.Context(), r, strings.TrimSpace(tok))
			if errors.Is(err, data.ErrNotFound) {
				s.writeError(w, r, errUnauthorized("the API token is not valid (revoked, or its user is disabled)"))
				return
			}
			if err != nil {
				s.writeError(w, r, errUnavailable("cannot check the API token", err))
				return
			}
			next.ServeHTTP(w, r.WithContext(withPrincipal(r.Context(), &u)))
			return
		}
		// No token: a browser, perhaps with a session cookie. Refuse
		// cross-origin state changes first (CSRF, login CSRF included).
		unsafe := !isSafeMethod(r.Method)
		if unsafe {
			if err := s.sess.cop.Check(r); err != nil {
				s.writeError(w, r, errCSRF("cross-origin request refused: state changes come from the site itself or carry an API token", err))
				return
			}
		}
		c, err := r.Cookie(sessionCookieName)
		if err != nil || c.Value == "" || s.deps.Store == nil {
			next.ServeHTTP(w, r)
			return
		}
		ctx, err := s.sess.sm.Load(r.Context(), c.Value)
		if err != nil {
			s.writeError(w, r, errUnavailable("cannot read the session", err))
			return
		}
		ctx = context.WithValue(ctx, sessionLoadedKey{}, false)
		id := s.sess.sm.GetInt64(ctx, sessKeyUserID)
		if id == 0 { // expired, logged out or unknown: anonymous
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		u, err := s.deps.Store.UserByID(ctx, id)
		if errors.Is(err, data.ErrNotFound) || (err == nil && u.Disabled) {
			next.ServeHTTP(w, r.WithContext(ctx)) // the user is gone or disabled: anonymous
			return
		}
		if err != nil {
			s.writeError(w, r, errUnavailable("cannot check the session's user", err))
			return
		}
		if unsafe && r.URL.Path != loginPath {
			if err := s.sess.checkCSRFToken(ctx, r); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		ctx = context.WithValue(ctx, sessionLoadedKey{}, true)
		next.ServeHTTP(w, r.WithContext(withPrincipal(ctx, &u)))
	})
}

// requireUser refuses anonymous requests with 401.
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if principal(r.Context()) == nil {
			s.writeError(w, r, errUnauthorized("log in first (POST /api/v1/login) or send an API token"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireRole lets through only users with one of roles (admin always).
func (s *Server) requireRole(roles ...data.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u := principal(r.Context())
			if u == nil {
				s.writeError(w, r, errUnauthorized("log in first (POST /api/v1/login) or send an API token"))
				return
			}
			if u.Role != data.RoleAdmin && !slices.Contains(roles, u.Role) {
				s.writeError(w, r, errForbidden("your role ("+string(u.Role)+") may not use this"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// actorName is who the audit log and the ledgers name for a request.
func actorName(r *http.Request) string {
	if u := principal(r.Context()); u != nil {
		return u.Name
	}
	return "anonymous"
}
