// Package postgis is gapmap's system of record: PostgreSQL with PostGIS,
// reached through a pgx pool with the go-geom codec (pgx-geom) registered.
// It runs the embedded migrations (goose), bulk-writes every kind with
// binary COPY inside a caller's transaction, and streams tables back into
// the in-memory domain types the engine works on.
//
// Geometry is SRID 4326 (lon/lat). Point rows also store their H3 cell at
// the analysis resolution as a bigint, computed in Go (there is no h3-pg).
package postgis

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxgeom "github.com/twpayne/pgx-geom"
)

// DefaultURL is the database used when neither a URL nor DATABASE_URL is
// given.
const DefaultURL = "postgres://postgres:gapmap@127.0.0.1:5432/gapmap?sslmode=disable"

// URL returns the database URL to use: explicit when not empty, else
// getenv("DATABASE_URL"), else DefaultURL. getenv may be nil (os.Getenv).
func URL(explicit string, getenv func(string) string) string {
	if explicit != "" {
		return explicit
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	if u := getenv("DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Store is the PostGIS store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	name string // host:port/dbname, for messages
}

// DefaultConnectTimeout bounds the connection to the server (TCP connect,
// TLS, startup and authentication) and the first query Open sends, when
// the URL sets no connect_timeout (a positive number of seconds) and
// PGCONNECT_TIMEOUT is not set. Without it a server that accepts the
// connection and never answers would make every command wait forever.
const DefaultConnectTimeout = 10 * time.Second

// ParseConfig parses url (see URL) into the pool configuration Open uses:
// the options applied, at least 4 connections, and the connect timeout of
// the URL or DefaultConnectTimeout.
func ParseConfig(url string, opts ...Option) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL %q is not valid (expected postgres://user:password@host:port/dbname?sslmode=disable): %w", redact(url), redactErr(err))
	}
	if cfg.ConnConfig.ConnectTimeout <= 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	for _, o := range opts {
		o(cfg)
	}
	if cfg.MaxConns < 4 {
		cfg.MaxConns = 4
	}
	return cfg, nil
}

// Describe names the database of url for messages: host:port/dbname
// (never the user's password), e.g. "127.0.0.1:5432/gapmap"; a URL that
// does not parse is described as "an invalid DATABASE_URL".
func Describe(url string) string {
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		return "an invalid DATABASE_URL"
	}
	return describe(cfg)
}

func describe(cfg *pgconn.Config) string {
	host := cfg.Host
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "/") {
		host = "[" + host + "]" // IPv6
	}
	return fmt.Sprintf("%s:%d/%s", host, cfg.Port, cfg.Database)
}

// Open connects to the database at url (see URL) and checks that it
// answers within the connect timeout (see ParseConfig). The go-geom codec
// is registered on every connection of the pool once PostGIS is installed
// (Migrate installs it and refreshes the pool). The errors name the
// database as Describe does, never the password; a server that cannot be
// reached or does not answer in time is ErrUnreachable.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := ParseConfig(url, opts...)
	if err != nil {
		return nil, err
	}
	cfg.AfterConnect = registerGeom
	name := describe(&cfg.ConnConfig.Config)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the database %s: %w", name, redactErr(err))
	}
	// The connection, the PostGIS check of AfterConnect and the ping all
	// answer within the connect timeout.
	timeout := cfg.ConnConfig.ConnectTimeout
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, openError(ctx, name, cfg.ConnConfig.User, timeout, redactErr(err))
	}
	return &Store{pool: pool, name: name}, nil
}

// openError explains why the database name could not be used.
func openError(ctx context.Context, name, user string, timeout time.Duration, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("connect to the database %s: %w", name, cerr)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01", "28000":
			return fmt.Errorf("the database %s refused user %s: %s: %w", name, user, pe.Message, ErrAuth)
		case "3D000":
			return fmt.Errorf("the database %s does not exist: %w", name, ErrNoDatabase)
		}
		return fmt.Errorf("the database %s refused the connection: %w", name, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return fmt.Errorf("cannot reach the database %s: no answer within %s (set connect_timeout=SECONDS in DATABASE_URL to wait longer): %w", name, timeout, ErrUnreachable)
	}
	return fmt.Errorf("cannot reach the database %s: %w: %w", name, ErrUnreachable, err)
}

// ErrUnreachable is matched (errors.Is) by the error of Open when the
// server does not answer.
var ErrUnreachable = errors.New("database unreachable")

// ErrAuth is matched (errors.Is) by the error of Open when the server
// refuses the user or password.
var ErrAuth = errors.New("authentication failed")

// ErrNoDatabase is matched (errors.Is) by the error of Open when the
// server has no database of that name.
var ErrNoDatabase = errors.New("no such database")

// Database names the store's database: host:port/dbname (see Describe).
func (s *Store) Database() string { return s.name }

// Option tunes the connection pool.
type Option func(*pgxpool.Config)

// WithStatementTimeout makes the server cancel any statement that runs
// longer than d (0: no limit).
func WithStatementTimeout(d time.Duration) Option {
	return func(c *pgxpool.Config) {
		if d > 0 {
			c.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(d.Milliseconds(), 10)
		}
	}
}

// WithDefaultStatementTimeout is WithStatementTimeout unless the URL sets
// statement_timeout itself (e.g. ?statement_timeout=600000, milliseconds),
// which then wins.
func WithDefaultStatementTimeout(d time.Duration) Option {
	return func(c *pgxpool.Config) {
		if _, ok := c.ConnConfig.RuntimeParams["statement_timeout"]; !ok {
			WithStatementTimeout(d)(c)
		}
	}
}

// StatementTimeout is the statement_timeout the connections of cfg set
// (0: none).
func StatementTimeout(cfg *pgxpool.Config) time.Duration {
	v, ok := cfg.ConnConfig.RuntimeParams["statement_timeout"]
	if !ok {
		return 0
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(ms) * time.Millisecond
	}
	return -1 // a unit the server parses ("5min"): set, but not known here
}

// WithMaxConns sets the pool size (at least 4).
func WithMaxConns(n int32) Option {
	return func(c *pgxpool.Config) {
		if n > c.MaxConns {
			c.MaxConns = n
		}
	}
}

// registerGeom registers the pgx-geom codec for geometry and geography when
// PostGIS is installed in the database; before the first migration it is
// not, and the connection works without the codec.
func registerGeom(ctx context.Context, conn *pgx.Conn) error {
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT to_regtype('geometry') IS NOT NULL AND to_regtype('geography') IS NOT NULL").Scan(&ok); err != nil {
		return fmt.Errorf("check for PostGIS: %w", err)
	}
	if !ok {
		return nil
	}
	if err := pgxgeom.Register(ctx, conn); err != nil {
		return fmt.Errorf("register the PostGIS geometry codec: %w", err)
	}
	return nil
}

// Close closes every connection of the pool.
func (s *Store) Close() { s.pool.Close() }

// Pool returns the underlying pool, for queries the store does not wrap.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Begin starts a transaction tuned for bulk writes: synchronous_commit is
// off for it (a crash may lose the last commits but never corrupts data;
// an import that was not acknowledged is simply run again).
func (s *Store) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin a transaction: %w", err)
	}
	if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
		_ = tx.Rollback(ctx)
		return nil, fmt.Errorf("tune the transaction: %w", err)
	}
	return tx, nil
}

// Tables lists the tables of the store in dependency order (a table only
// references tables before it).
func Tables() []string {
	return []string{"areas", "area_successors", "schools", "households", "students", "sites", "fiber_nodes", "fiber_routes", "donors", "devices", "sim_packages", "coverage_polygons", "measurements"}
}

// Counts returns the number of rows of every table (see Tables).
func (s *Store) Counts(ctx context.Context) (map[string]int64, error) {
	return counts(ctx, s.pool)
}

// CountsTx is Counts as seen inside tx.
func CountsTx(ctx context.Context, tx pgx.Tx) (map[string]int64, error) {
	return counts(ctx, tx)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func counts(ctx context.Context, q querier) (map[string]int64, error) {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, t := range Tables() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "(SELECT count(*) FROM %s)", pgx.Identifier{t}.Sanitize())
	}
	n := make([]int64, len(Tables()))
	dst := make([]any, len(n))
	for i := range n {
		dst[i] = &n[i]
	}
	if err := q.QueryRow(ctx, b.String()).Scan(dst...); err != nil {
		return nil, fmt.Errorf("count rows: %w%s", err, hintMigrate(err))
	}
	out := make(map[string]int64, len(n))
	for i, t := range Tables() {
		out[t] = n[i]
	}
	return out, nil
}

// hintMigrate tells the user to migrate when err is a missing table.
func hintMigrate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" {
		return " (the schema is missing or out of date)"
	}
	return ""
}

// redact hides the password of a database URL (key=value strings too);
// a URL that does not parse loses everything between :// and @.
func redact(url string) string {
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		return userinfo.ReplaceAllString(kvPassword.ReplaceAllString(url, "password=***"), "://***@")
	}
	if cfg.Password == "" {
		return url
	}
	return strings.ReplaceAll(kvPassword.ReplaceAllString(url, "password=***"), ":"+cfg.Password+"@", ":***@")
}

var (
	userinfo   = regexp.MustCompile(`://[^/?#]*@`)
	kvPassword = regexp.MustCompile(`password=('[^']*'|\S*)`)
)

// redactErr removes passwords from err's message (pgx's errors redact
// them already; this is a second guard).
func redactErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := userinfo.ReplaceAllString(kvPassword.ReplaceAllString(msg, "password=***"), "://***@")
	if clean == msg {
		return err
	}
	return redactedError{msg: clean, err: err}
}

// redactedError is err with a cleaned message; errors.Is/As still see err.
type redactedError struct {
	msg string
	err error
}

func (r redactedError) Error() string { return r.msg }
func (r redactedError) Unwrap() error { return r.err }

// commit commits tx unless ctx is already done. Once sent, the commit is not
// cancelled with ctx: a cancellation arriving during COMMIT would otherwise
// leave the caller told "cancelled" about a transaction the server applied.
func commit(ctx context.Context, tx pgx.Tx) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return tx.Commit(context.WithoutCancel(ctx))
}
