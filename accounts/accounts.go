// Package accounts holds the use cases of gapmap's accounts, shared by the
// command line (gapmap user …) and the API (/api/v1/login, /users): adding
// a user with a checked role binding and an argon2id password hash,
// disabling a user, issuing API tokens, and checking a login. Every change
// and every login attempt goes to the audit log.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
)

// Audit actions written by this package.
const (
	ActionLogin       = "login"
	ActionLoginFailed = "login_failed"
	ActionLogout      = "logout"
	ActionUserAdd     = "user_add"
	ActionUserDisable = "user_disable"
	ActionTokenCreate = "token_create"
)

// ErrBadCredentials is returned by Login for an unknown user, a wrong
// password, a disabled user or an account without a password: the caller
// cannot tell them apart (the audit log can).
var ErrBadCredentials = errors.New("wrong user name or password")

// Service runs the account use cases on a store.
type Service struct {
	Store *postgis.Store

	dummyOnce sync.Once
	dummy     string
}

// New returns the account use cases on st.
func New(st *postgis.Store) *Service { return &Service{Store: st} }

// NewUser is what it takes to add a user. Password "" makes an account that
// uses API tokens only.
type NewUser struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Operator string `json:"operator,omitempty"`
	AreaCode string `json:"area_code,omitempty"`
	Password string `json:"password,omitempty"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// Validate checks in and returns the user to create, or a
// *data.ValidationError listing every problem. The operator is
// normalised; the area must exist.
func (s *Service) Validate(ctx context.Context, in NewUser) (data.User, error) {
	var v data.ValidationError
	bad := func(col, val, reason string) {
		v.Add(data.FieldError{File: "user", Column: col, Value: val, Reason: reason})
	}
	u := data.User{Name: strings.TrimSpace(in.Name)}
	if !nameRE.MatchString(u.Name) {
		bad("name", in.Name, "a user name is 1 to 64 letters, digits or . _ @ -")
	}
	role, err := data.ParseRole(in.Role)
	if err != nil {
		bad("role", in.Role, err.Error())
	}
	u.Role = role
	op, area := strings.TrimSpace(in.Operator), strings.TrimSpace(in.AreaCode)
	switch {
	case role == data.RoleOperator && op == "":
		bad("operator", "", "an operator user needs its operator (one of "+strings.Join(format.AccountOperators(), ", ")+")")
	case role == data.RoleOperator:
		if n, ok := format.NormalizeOperator(op); ok {
			u.Operator = n
		} else {
			bad("operator", op, "operator is not known: use one of "+strings.Join(format.AccountOperators(), ", "))
		}
	case op != "" && role != "":
		bad("operator", op, "only an operator user is bound to an operator")
	}
	switch {
	case role == data.RoleOfficer && area == "":
		bad("area_code", "", "an officer needs the code of the area they work for")
	case role == data.RoleOfficer:
		ok, err := s.Store.AreaExists(ctx, area)
		if err != nil {
			return data.User{}, err
		}
		if !ok {
			bad("area_code", area, "no area has this code (import the areas first)")
		}
		u.AreaCode = area
	case area != "" && role != "":
		bad("area_code", area, "only an officer is bound to an area")
	}
	if in.Password != "" {
		if why := CheckPassword(in.Password); why != "" {
			bad("password", "", why) // never echo the password
		}
	}
	if err := v.Err(); err != nil {
		return data.User{}, err
	}
	return u, nil
}

// AddUser validates in, hashes its password and creates the user. actor
// and remote name who asked, for the audit log. A taken name is a
// *data.ConflictError.
func (s *Service) AddUser(ctx context.Context, actor, remote string, in NewUser) (data.User, error) {
	u, err := s.Validate(ctx, in)
	if err != nil {
		return data.User{}, err
	}
	hash := ""
	if in.Password != "" {
		if hash, err = HashPassword(in.Password); err != nil {
			return data.User{}, err
		}
	}
	out, err := s.Store.CreateUser(ctx, u, hash)
	if err != nil {
		return data.User{}, err
	}
	detail := map[string]any{"role": out.Role, "password": hash != ""}
	if out.Operator != "" {
		detail["operator"] = out.Operator
	}
	if out.AreaCode != "" {
		detail["area_code"] = out.AreaCode
	}
	return out, s.Store.Audit(ctx, actor, ActionUserAdd, out.Name, detail, remote)
}

// List returns every user by name.
func (s *Service) List(ctx context.Context) ([]data.User, error) { return s.Store.ListUsers(ctx) }

// Disable disables a user: its tokens and sessions stop working at once. A
// missing user is a *data.NotFoundError.
func (s *Service) Disable(ctx context.Context, actor, remote, name string) (data.User, error) {
	if err := s.Store.SetUserDisabled(ctx, name, true); err != nil {
		return data.User{}, err
	}
	if err := s.Store.Audit(ctx, actor, ActionUserDisable, name, nil, remote); err != nil {
		return data.User{}, err
	}
	u, _, err := s.Store.UserByName(ctx, name)
	return u, err
}

// NewToken issues a new API token for a user and returns it (it cannot be
// read back later). A disabled user gets none: a *data.ConflictError.
func (s *Service) NewToken(ctx context.Context, actor, remote, name string) (string, data.User, error) {
	u, _, err := s.Store.UserByName(ctx, name)
	if err != nil {
		return "", data.User{}, err
	}
	if u.Disabled {
		return "", data.User{}, &data.ConflictError{Reason: fmt.Sprintf("user %q is disabled: it gets no new token", name)}
	}
	tok, err := s.Store.NewToken(ctx, u.ID)
	if err != nil {
		return "", data.User{}, err
	}
	return tok, u, s.Store.Audit(ctx, actor, ActionTokenCreate, u.Name, nil, remote)
}

// burn verifies pw against a throwaway hash when there is no real hash to
// check, so a login for an unknown user costs the same time as one with a
// wrong password.
func (s *Service) burn(pw string) {
	s.dummyOnce.Do(func() { s.dummy, _ = HashPassword("gapmap: no such user") })
	_, _ = VerifyPassword(s.dummy, pw)
}

// Login checks a user name and password. Success and failure are both
// audited (never the password); every failure is ErrBadCredentials.
func (s *Service) Login(ctx context.Context, name, password, remote string) (data.User, error) {
	name = strings.TrimSpace(name)
	fail := func(reason string) (data.User, error) {
		if err := s.Store.Audit(ctx, name, ActionLoginFailed, name, map[string]string{"reason": reason}, remote); err != nil {
			return data.User{}, err
		}
		return data.User{}, ErrBadCredentials
	}
	if name == "" || password == "" || len(password) > 4*MaxPasswordLen {
		return fail("empty name or password, or a password too long")
	}
	u, hash, err := s.Store.UserByName(ctx, name)
	if errors.Is(err, data.ErrNotFound) {
		s.burn(password)
		return fail("unknown user")
	}
	if err != nil {
		return data.User{}, err
	}
	if hash == "" {
		s.burn(password)
		return fail("account has no password (API tokens only)")
	}
	ok, err := VerifyPassword(hash, password)
	if err != nil {
		return data.User{}, fmt.Errorf("user %q: %w", name, err)
	}
	if !ok {
		return fail("wrong password")
	}
	if u.Disabled {
		return fail("user disabled")
	}
	return u, s.Store.Audit(ctx, u.Name, ActionLogin, u.Name, nil, remote)
}

// Logout records the end of a web session.
func (s *Service) Logout(ctx context.Context, actor, remote string) error {
	return s.Store.Audit(ctx, actor, ActionLogout, actor, nil, remote)
}
