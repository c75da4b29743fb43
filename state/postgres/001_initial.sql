-- socialform state in PostgreSQL, schema version 1.
--
-- Runs inside the configured schema (search_path is set to it), in one
-- transaction, under an advisory lock that serializes migrations. Every
-- table is keyed by state name: several configurations share one schema.
-- No table holds a page token; pages keep only a keyed fingerprint, under
-- the state's own fingerprint key.

CREATE TABLE states (
    name            text PRIMARY KEY,
    lineage         text NOT NULL,
    serial          bigint NOT NULL DEFAULT 0 CHECK (serial >= 0),
    fingerprint_key bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per managed page: the record as JSON (address, page_id, name,
-- token_fingerprint).
CREATE TABLE pages (
    state_name text NOT NULL REFERENCES states (name) ON DELETE CASCADE,
    address    text NOT NULL,
    record     jsonb NOT NULL,
    PRIMARY KEY (state_name, address)
);

-- One row per managed link: address, page_id, application.
CREATE TABLE links (
    state_name text NOT NULL REFERENCES states (name) ON DELETE CASCADE,
    address    text NOT NULL,
    record     jsonb NOT NULL,
    PRIMARY KEY (state_name, address)
);

-- Applies, imports and state edits, in the order they were written.
CREATE TABLE history (
    state_name text NOT NULL REFERENCES states (name) ON DELETE CASCADE,
    seq        bigserial,
    entry      jsonb NOT NULL,
    PRIMARY KEY (state_name, seq)
);

-- Who holds a state's lock, for the messages of those who wait. The lock
-- itself is a session-level advisory lock, which the server releases when
-- the holder's connection ends; a row left by a killed holder is simply
-- overwritten by the next one.
CREATE TABLE locks (
    state_name text PRIMARY KEY,
    pid        integer NOT NULL,
    command    text NOT NULL,
    who        text NOT NULL,
    since      text NOT NULL
);
