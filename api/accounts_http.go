package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gapmap/gapmap/accounts"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/go-chi/chi/v5"
)

// loginAnswer is the answer to a successful login.
type loginAnswer struct {
	User      data.User `json:"user"`
	CSRFToken string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// login checks {name, password}, starts a new web session (a fresh token:
// no session fixation) and answers the user and the session's CSRF token.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	// The address limit counts every attempt, well-formed or not.
	if err := s.sess.limitLogin(w, r); err != nil {
		return err
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.sess.limitLoginName(w, r, in.Name); err != nil {
		return err
	}
	u, err := s.sess.accounts.Login(r.Context(), in.Name, in.Password, r.RemoteAddr)
	if errors.Is(err, accounts.ErrBadCredentials) {
		return errUnauthorized("wrong user name or password")
	}
	if err != nil {
		return err
	}
	sm := s.sess.sm
	ctx, err := sm.Load(r.Context(), "") // keeps the session authenticate loaded, if any
	if err != nil {
		return err
	}
	if err := sm.RenewToken(ctx); err != nil {
		return err
	}
	csrf := newCSRFToken()
	sm.Put(ctx, sessKeyUserID, u.ID)
	sm.Put(ctx, sessKeyCSRF, csrf)
	tok, exp, err := sm.Commit(ctx)
	if err != nil {
		return err
	}
	sm.WriteSessionCookie(ctx, w, tok, exp)
	writeJSON(w, http.StatusOK, loginAnswer{User: u, CSRFToken: csrf, ExpiresAt: exp.UTC()})
	return nil
}

// logout ends the web session (its row is deleted) and clears the cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if sessionLoaded(ctx) {
		if err := s.sess.sm.Destroy(ctx); err != nil {
			return err
		}
		if u := principal(ctx); u != nil && viaSession(ctx) {
			if err := s.sess.accounts.Logout(ctx, u.Name, r.RemoteAddr); err != nil {
				return err
			}
		}
	}
	s.sess.sm.WriteSessionCookie(ctx, w, "", time.Time{})
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// meAnswer describes who is asking.
type meAnswer struct {
	User data.User `json:"user"`
	// Auth is "session" or "token".
	Auth string `json:"auth"`
	// CSRFToken is the session's token for X-CSRF-Token (sessions only).
	CSRFToken string `json:"csrf_token,omitempty"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := meAnswer{User: *principal(ctx), Auth: "token"}
	if viaSession(ctx) {
		a.Auth = "session"
		a.CSRFToken = s.sess.sm.GetString(ctx, sessKeyCSRF)
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.sess.accounts.List(r.Context())
	if err != nil {
		return err
	}
	if us == nil {
		us = []data.User{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": us})
	return nil
}

// createUser adds a user: {name, role, operator?, area_code?, password?}
// (no password: an account for API tokens only).
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var in accounts.NewUser
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.sess.accounts.AddUser(r.Context(), actorName(r), r.RemoteAddr, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request) error {
	name := chi.URLParam(r, "name")
	if me := principal(r.Context()); me != nil && me.Name == name {
		return &apiError{status: http.StatusConflict, code: codeConflict, msg: "you cannot disable your own account"}
	}
	u, err := s.sess.accounts.Disable(r.Context(), actorName(r), r.RemoteAddr, name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// createToken issues a new API token for a user; it is shown once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	tok, u, err := s.sess.accounts.NewToken(r.Context(), actorName(r), r.RemoteAddr, chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "user": u})
	return nil
}

// auditLog lists the audit log, newest first: ?limit (≤ 1000, default
// 100), ?before (an id, to page back), ?actor, ?action, ?object.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := postgis.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Object: q.Get("object"), Limit: 100}
	var v data.ValidationError
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			v.Add(data.FieldError{File: "query", Column: "limit", Value: l, Reason: "limit is a whole number from 1 to 1000"})
		}
		f.Limit = n
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			v.Add(data.FieldError{File: "query", Column: "before", Value: b, Reason: "before is the id of an audit entry"})
		}
		f.BeforeID = n
	}
	if err := v.Err(); err != nil {
		return err
	}
	es, err := s.deps.Store.AuditLogPage(r.Context(), f)
	if err != nil {
		return err
	}
	if es == nil {
		es = []postgis.AuditEntry{}
	}
	ans := map[string]any{"entries": es}
	if len(es) == f.Limit {
		ans["next_before"] = es[len(es)-1].ID
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}
