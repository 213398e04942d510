-- +goose Up
-- The service: accounts and roles, API tokens, web sessions, background jobs
-- and the audit log.

-- A user has one role. An operator user is bound to one operator and sees
-- only its own network; an officer is bound to one area and sees students
-- only in that area and below; a viewer sees aggregates only.
CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._@-]{1,64}$'),
    role          text NOT NULL CHECK (role IN ('admin', 'planner', 'operator', 'officer', 'viewer')),
    operator      text NOT NULL DEFAULT '',
    area_code     text NOT NULL DEFAULT '',
    password_hash text NOT NULL DEFAULT '',  -- argon2id, PHC string; '' = no password login
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'operator') = (operator <> '')),
    CHECK ((role = 'officer') = (area_code <> ''))
);

-- API tokens are random (256 bits) and stored as their SHA-256: a token
-- cannot be read back, only replaced.
CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_used   timestamptz,
    revoked     boolean NOT NULL DEFAULT false
);

-- Web sessions (the layout of scs's pgxstore).
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- Background jobs (coverage runs, allocation previews): one running job of a
-- kind at a time, enforced by the partial unique index.
CREATE TABLE jobs (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind <> ''),
    status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
    phase       text NOT NULL DEFAULT '',
    percent     double precision NOT NULL DEFAULT 0 CHECK (percent >= 0 AND percent <= 100),
    actor       text NOT NULL DEFAULT '',
    params      jsonb NOT NULL DEFAULT '{}',
    result      jsonb NOT NULL DEFAULT '{}',
    error       text NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE UNIQUE INDEX jobs_one_running_idx ON jobs (kind) WHERE status = 'running';

-- Who did what, when. Append-only.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL DEFAULT '',
    action     text NOT NULL CHECK (action <> ''),
    object     text NOT NULL DEFAULT '',
    detail     jsonb NOT NULL DEFAULT '{}',
    remote     text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE jobs;
DROP TABLE sessions;
DROP TABLE api_tokens;
DROP TABLE users;
