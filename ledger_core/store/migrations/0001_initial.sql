-- The team ledger, version 1.
--
-- Entries are split in two tables: `entries` holds the narrow, indexed columns the report
-- queries scan; `entry_docs` holds each entry's document exactly as it was hashed. The document
-- is `json`, not `jsonb`, because `json` keeps the input text byte for byte, so verify can
-- recompute the hash; `jsonb` would renormalise numbers and reject \u0000.

CREATE TABLE chain_head (
    id        smallint PRIMARY KEY CHECK (id = 1),
    next_seq  bigint   NOT NULL,
    hash      text     NOT NULL
);
INSERT INTO chain_head (id, next_seq, hash) VALUES (1, 0, repeat('0', 64));

CREATE TABLE entries (
    seq         bigint      PRIMARY KEY,
    id          text        NOT NULL UNIQUE,
    ts          timestamptz NOT NULL,
    workflow    text        NOT NULL,
    line        text        NOT NULL,
    kind        text        NOT NULL,
    cost_usd    numeric     NOT NULL,
    minutes     numeric     NOT NULL,
    count       bigint      NOT NULL,
    tok_input   bigint      NOT NULL,
    tok_output  bigint      NOT NULL,
    tok_cw5m    bigint      NOT NULL,
    tok_cw1h    bigint      NOT NULL,
    tok_read    bigint      NOT NULL,
    unpriced    boolean     NOT NULL,
    reversal    boolean     NOT NULL,
    session     text,
    source      text        NOT NULL,
    source_ref  text,
    hash        text        NOT NULL UNIQUE,
    CONSTRAINT entries_idempotency UNIQUE (source, source_ref)
);
CREATE INDEX entries_workflow_seq ON entries (workflow, seq);
CREATE INDEX entries_ts ON entries (ts);

CREATE TABLE entry_docs (
    seq  bigint PRIMARY KEY REFERENCES entries (seq),
    doc  json   NOT NULL
);

CREATE TABLE workflows (
    key         text        PRIMARY KEY,
    team        text,
    created_at  timestamptz NOT NULL,
    doc         json        NOT NULL
);
CREATE INDEX workflows_team ON workflows (team);

CREATE TABLE regions (
    id          text        PRIMARY KEY,
    workflow    text        NOT NULL,
    path        text        NOT NULL,
    start_line  integer     NOT NULL,
    created_at  timestamptz NOT NULL,
    doc         json        NOT NULL
);
CREATE INDEX regions_path ON regions (path);
CREATE INDEX regions_workflow ON regions (workflow);

CREATE TABLE incidents (
    id          text        PRIMARY KEY,
    source      text        NOT NULL,
    source_ref  text,
    opened_at   timestamptz NOT NULL,
    workflows   text[]      NOT NULL,
    doc         json        NOT NULL,
    CONSTRAINT incidents_idempotency UNIQUE (source, source_ref)
);
CREATE INDEX incidents_workflows ON incidents USING gin (workflows);

CREATE TABLE kv (
    namespace  text  NOT NULL,
    key        text  NOT NULL,
    value      json,
    PRIMARY KEY (namespace, key)
);

-- Bumped after every committed write; version() reads it without touching any table.
CREATE SEQUENCE ledger_changes;
