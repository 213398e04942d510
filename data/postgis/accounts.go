package postgis

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const userColumns = `id, name, role, operator, area_code, disabled, created_at`

func scanUser(row pgx.Row, u *data.User, extra ...any) error {
	var role string
	dst := append([]any{&u.ID, &u.Name, &role, &u.Operator, &u.AreaCode, &u.Disabled, &u.CreatedAt}, extra...)
	if err := row.Scan(dst...); err != nil {
		return err
	}
	u.Role = data.Role(role)
	return nil
}

// CreateUser adds a user. passwordHash is the encoded hash ("" for an
// account that logs in with tokens only). A taken name is a
// *data.ConflictError.
func (s *Store) CreateUser(ctx context.Context, u data.User, passwordHash string) (data.User, error) {
	if u.Role != data.RoleOperator {
		u.Operator = ""
	}
	if u.Role != data.RoleOfficer {
		u.AreaCode = ""
	}
	row := s.pool.QueryRow(ctx, `INSERT INTO users (name, role, operator, area_code, password_hash)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+userColumns,
		u.Name, string(u.Role), strings.ToLower(u.Operator), u.AreaCode, passwordHash)
	var out data.User
	if err := scanUser(row, &out); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return data.User{}, &data.ConflictError{Reason: fmt.Sprintf("a user named %q already exists", u.Name)}
		}
		if errors.As(err, &pe) && pe.Code == "23514" {
			return data.User{}, fmt.Errorf("user %q is not valid (names are 1–64 letters, digits or . _ @ -; an operator user needs an operator, an officer an area): %w", u.Name, err)
		}
		return data.User{}, fmt.Errorf("create user %q: %w", u.Name, err)
	}
	return out, nil
}

// UserByName returns a user and its password hash; a missing user is a
// *data.NotFoundError.
func (s *Store) UserByName(ctx context.Context, name string) (data.User, string, error) {
	var u data.User
	var hash string
	err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE name = $1`, name), &u, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return data.User{}, "", &data.NotFoundError{Kind: "user", ID: name}
	}
	if err != nil {
		return data.User{}, "", fmt.Errorf("read user %q: %w", name, err)
	}
	return u, hash, nil
}

// UserByID returns a user; a missing user is a *data.NotFoundError.
func (s *Store) UserByID(ctx context.Context, id int64) (data.User, error) {
	var u data.User
	err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id), &u)
	if errors.Is(err, pgx.ErrNoRows) {
		return data.User{}, &data.NotFoundError{Kind: "user", ID: fmt.Sprint(id)}
	}
	if err != nil {
		return data.User{}, fmt.Errorf("read user %d: %w", id, err)
	}
	return u, nil
}

// ListUsers returns every user by name.
func (s *Store) ListUsers(ctx context.Context) ([]data.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []data.User
	for rows.Next() {
		var u data.User
		if err := scanUser(rows, &u); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetUserDisabled disables (or enables) a user; a disabled user's tokens
// and sessions stop working at once.
func (s *Store) SetUserDisabled(ctx context.Context, name string, disabled bool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET disabled = $2 WHERE name = $1`, name, disabled)
	if err != nil {
		return fmt.Errorf("update user %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return &data.NotFoundError{Kind: "user", ID: name}
	}
	return nil
}

// SetPassword replaces a user's password hash.
func (s *Store) SetPassword(ctx context.Context, name, passwordHash string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE name = $1`, name, passwordHash)
	if err != nil {
		return fmt.Errorf("update user %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return &data.NotFoundError{Kind: "user", ID: name}
	}
	return nil
}

// TokenPrefix starts every API token, so a leaked one is recognisable.
const TokenPrefix = "gapmap_"

// NewToken creates an API token for a user and returns it; only its
// SHA-256 is stored.
func (s *Store) NewToken(ctx context.Context, userID int64) (string, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	tok := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(tok))
	if _, err := s.pool.Exec(ctx, `INSERT INTO api_tokens (user_id, token_hash) VALUES ($1, $2)`, userID, sum[:]); err != nil {
		return "", fmt.Errorf("store the token: %w", err)
	}
	return tok, nil
}

// UserByToken returns the enabled user an API token belongs to; an unknown,
// revoked or disabled one is a *data.NotFoundError.
func (s *Store) UserByToken(ctx context.Context, token string) (data.User, error) {
	sum := sha256.Sum256([]byte(token))
	var u data.User
	// last_used is refreshed at most once a minute: a token used by many
	// concurrent requests (a map fetching tiles) must not serialise them
	// on one row lock and one commit each.
	err := scanUser(s.pool.QueryRow(ctx, `WITH t AS (
			SELECT t.id, t.last_used, u.id AS uid, u.name, u.role, u.operator, u.area_code, u.disabled, u.created_at
			FROM api_tokens t JOIN users u ON u.id = t.user_id
			WHERE t.token_hash = $1 AND NOT t.revoked AND NOT u.disabled),
		touch AS (UPDATE api_tokens a SET last_used = now() FROM t
			WHERE a.id = t.id AND (t.last_used IS NULL OR t.last_used < now() - interval '1 minute'))
		SELECT uid, name, role, operator, area_code, disabled, created_at FROM t`, sum[:]), &u)
	if errors.Is(err, pgx.ErrNoRows) {
		return data.User{}, &data.NotFoundError{Kind: "token"}
	}
	if err != nil {
		return data.User{}, fmt.Errorf("check the token: %w", err)
	}
	return u, nil
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID     int64           `json:"id"`
	At     string          `json:"at"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"` // e.g. login, import, export, coverage_run, allocation_commit
	Object string          `json:"object"`
	Detail json.RawMessage `json:"detail"`
	Remote string          `json:"remote"`
}

// Audit appends one line to the audit log. detail is stored as JSON.
func (s *Store) Audit(ctx context.Context, actor, action, object string, detail any, remote string) error {
	b := []byte("{}")
	if detail != nil {
		var err error
		if b, err = json.Marshal(detail); err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO audit_log (actor, action, object, detail, remote) VALUES ($1, $2, $3, $4, $5)`,
		actor, action, object, b, remote); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// AuditLog returns the newest entries first, at most limit.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	return s.AuditLogPage(ctx, AuditFilter{Limit: limit})
}

// AuditFilter selects lines of the audit log. Empty fields select all.
type AuditFilter struct {
	Actor  string
	Action string
	Object string
	// BeforeID pages back: only entries with a smaller id (0: from the newest).
	BeforeID int64
	Limit    int
}

// AuditLogPage returns the entries f selects, newest first.
func (s *Store) AuditLogPage(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := s.pool.Query(ctx, `SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), actor, action, object, detail, remote
		FROM audit_log
		WHERE ($2 = '' OR actor = $2) AND ($3 = '' OR action = $3) AND ($4 = '' OR object = $4) AND ($5 = 0 OR id < $5)
		ORDER BY id DESC LIMIT $1`, f.Limit, f.Actor, f.Action, f.Object, f.BeforeID)
	if err != nil {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Object, &e.Detail, &e.Remote)
		return e, err
	})
}

// AreaExists reports whether an area with this code exists.
func (s *Store) AreaExists(ctx context.Context, code string) (bool, error) {
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM areas WHERE code = $1)`, code).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up area %q: %w", code, err)
	}
	return ok, nil
}

// DeleteExpiredSessions removes the web sessions past their expiry and
// returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expiry < now()`)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
