-- socialform state in PostgreSQL, schema version 2: managed Vonage
-- applications (issue 21). One row per application: the record as JSON
-- (address, id, name, messages, public_key_fingerprint,
-- other_capabilities). No key material beyond the public key's
-- fingerprint.

CREATE TABLE applications (
    state_name text NOT NULL REFERENCES states (name) ON DELETE CASCADE,
    address    text NOT NULL,
    record     jsonb NOT NULL,
    PRIMARY KEY (state_name, address)
);
