/// The database schema, as an ordered list of migrations. Applied in order, each
/// in its own transaction, recorded in `etl.schema_migrations` with a checksum so
/// an edited migration is caught instead of silently diverging.
///
/// Never edit a released migration: add a new one.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String
}

public enum Migrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "etl ledger, key store, audit log", sql: etlV1),
        Migration(version: 2, name: "patient vault and clinical patient", sql: patientV1),
        Migration(version: 3, name: "least-privilege roles: loader, analyst, auditor", sql: rolesV1),
        Migration(version: 4, name: "clinical event tables", sql: clinicalEventsV1),
        Migration(version: 5, name: "quarantine source references", sql: quarantineSourceV1),
        Migration(version: 6, name: "data key commitment, context and rotation", sql: keyCommitmentV1),
        Migration(version: 7, name: "research-ID crosswalk", sql: researchCrosswalkV1),
        Migration(version: 8, name: "coded observation values", sql: observationValueCodeV1),
        Migration(version: 9, name: "withdrawn and superseded batch rows", sql: batchRowsV1),
    ]

    static let etlV1 = """
    CREATE SCHEMA IF NOT EXISTS etl;

    -- Wrapped data keys. The plaintext of a key never reaches the database.
    CREATE TABLE etl.data_keys (
        key_id      uuid PRIMARY KEY,
        purpose     text NOT NULL CHECK (purpose IN ('batch', 'blind_index')),
        kek_id      text NOT NULL,
        wrapped     bytea NOT NULL,
        algorithm   text NOT NULL DEFAULT 'AES-256-GCM',
        created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
        shredded_at timestamptz
    );
    -- One live blind-index key for the whole store.
    CREATE UNIQUE INDEX data_keys_one_blind_index ON etl.data_keys (purpose) WHERE purpose = 'blind_index';

    CREATE TABLE etl.batches (
        batch_id            uuid PRIMARY KEY,
        pipeline            text NOT NULL,
        pipeline_version    integer NOT NULL,
        pipeline_sha256     text NOT NULL,
        idempotency_key     text NOT NULL,
        state               text NOT NULL CHECK (state IN ('registered', 'running', 'loaded', 'rejected', 'failed')),
        tool_version        text NOT NULL,
        data_key_id         uuid REFERENCES etl.data_keys (key_id),
        records_read        bigint,
        records_quarantined bigint,
        rows_loaded         jsonb,
        error_code          text,
        error_stage         text,
        error_detail        jsonb,
        timings             jsonb,
        registered_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
        started_at          timestamptz,
        finished_at         timestamptz,
        replay_of           uuid REFERENCES etl.batches (batch_id)
    );
    -- A file loads once: at most one loaded batch per idempotency key.
    CREATE UNIQUE INDEX batches_loaded_once ON etl.batches (idempotency_key) WHERE state = 'loaded';
    CREATE INDEX batches_by_state ON etl.batches (state, registered_at);

    CREATE TABLE etl.batch_inputs (
        batch_id  uuid NOT NULL REFERENCES etl.batches (batch_id),
        ordinal   integer NOT NULL,
        path      text NOT NULL,
        sha256    text NOT NULL,
        bytes     bigint NOT NULL,
        records   bigint,
        PRIMARY KEY (batch_id, ordinal)
    );

    -- Records set aside, with machine-readable reasons; the record itself only
    -- encrypted under the batch data key.
    CREATE TABLE etl.quarantine (
        batch_id       uuid NOT NULL REFERENCES etl.batches (batch_id),
        input_ordinal  integer NOT NULL,
        source_ordinal bigint NOT NULL,
        source_line    bigint NOT NULL,
        reasons        jsonb NOT NULL,
        payload        bytea,
        data_key_id    uuid REFERENCES etl.data_keys (key_id),
        PRIMARY KEY (batch_id, input_ordinal, source_ordinal)
    );

    -- The audit trail: append-only, each entry chained to the previous by SHA-256
    -- over (previous hash || canonical payload).
    CREATE TABLE etl.audit_log (
        seq         bigint PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        event       text NOT NULL,
        actor       text NOT NULL,
        batch_id    uuid,
        payload     text NOT NULL,
        prev_hash   bytea NOT NULL,
        entry_hash  bytea NOT NULL UNIQUE
    );
    CREATE FUNCTION etl.refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'etl.audit_log is append-only' USING ERRCODE = '42501';
    END
    $$;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON etl.audit_log
        FOR EACH ROW EXECUTE FUNCTION etl.refuse_audit_change();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON etl.audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION etl.refuse_audit_change();
    """

    static let patientV1 = """
    CREATE SCHEMA IF NOT EXISTS identity;
    CREATE SCHEMA IF NOT EXISTS clinical;

    -- Row-volume tables carry batch_id / data_key_id without FOREIGN KEY
    -- constraints on purpose: PostgreSQL checks a foreign key row by row with a
    -- trigger, which measured ~15 µs per row per key (a third of the merge time),
    -- while the loader writes these ids once per batch, from rows it has just
    -- inserted in the same transaction.

    -- The vault: who a patient is. Every identifier column holds an AES-256-GCM
    -- ciphertext (see IdentifierCiphertext) bound to this table, its column and
    -- the row's surrogate key. Analysts have no access to this schema.
    CREATE TABLE identity.patient (
        surrogate_id   uuid PRIMARY KEY,
        blind_index    bytea NOT NULL UNIQUE,
        data_key_id    uuid NOT NULL,
        batch_id       uuid NOT NULL,
        source_ordinal bigint NOT NULL,
        source_id      bytea,
        birth_date     bytea,
        death_date     bytea,
        ssn            bytea,
        drivers_license bytea,
        passport       bytea,
        name_prefix    bytea,
        given_name     bytea,
        family_name    bytea,
        name_suffix    bytea,
        maiden_name    bytea,
        race           bytea,
        ethnicity      bytea,
        sex            bytea,
        birthplace     bytea,
        street_address bytea,
        city           bytea,
        state          bytea,
        county         bytea,
        zip            bytea,
        latitude       bytea,
        longitude      bytea
    );

    -- What is known about a patient without saying who they are: keyed by the
    -- random surrogate, generalised quasi-identifiers only (birth year, ZIP3).
    CREATE TABLE clinical.patient (
        surrogate_id        uuid PRIMARY KEY,
        batch_id            uuid NOT NULL,
        source_ordinal      bigint NOT NULL,
        birth_year          integer,
        death_year          integer,
        sex                 text,
        race                text,
        ethnicity           text,
        marital_status      text,
        state               text,
        zip3                text,
        healthcare_expenses numeric,
        healthcare_coverage numeric
    );
    """

    /// Where an XML record was in its file and at its sender: byte offset and the
    /// message control id (an operational token, never a person's identifier).
    static let quarantineSourceV1 = """
    ALTER TABLE etl.quarantine ADD COLUMN source_ref text, ADD COLUMN source_offset bigint;
    """

    /// Key commitment (checked before a data key is used), the encryption context a
    /// batch key is bound to (its batch and pipeline), and when a key was last
    /// re-wrapped. Commitment and wrapped key may change only together with the
    /// key id's row; a shredded key keeps no wrapped bytes.
    static let keyCommitmentV1 = """
    ALTER TABLE etl.data_keys ADD COLUMN commitment bytea, ADD COLUMN batch_id uuid, ADD COLUMN pipeline text,
        ADD COLUMN rotated_at timestamptz;
    """

    /// Research IDs: random per (study, patient), kept so a study's re-run gives
    /// the same IDs. The crosswalk links research IDs back to patients, so it is
    /// as sensitive as the vault: analysts get no access to it.
    static let researchCrosswalkV1 = """
    CREATE SCHEMA IF NOT EXISTS research;
    CREATE TABLE research.crosswalk (
        study_id     text NOT NULL,
        surrogate_id uuid NOT NULL,
        research_id  uuid NOT NULL UNIQUE,
        created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (study_id, surrogate_id)
    );
    REVOKE ALL ON research.crosswalk FROM PUBLIC;
    GRANT USAGE ON SCHEMA research TO clinload_loader;
    GRANT SELECT, INSERT ON research.crosswalk TO clinload_loader;
    """

    /// A coded result (an OBX answer of type CWE/CE/CNE, a CDA value's @code) is a
    /// code, not free text: kept apart from `value_text`, a code can be released as
    /// it is, while free text is dropped or scrubbed. Rows loaded before this
    /// migration keep their codes in `value_text`.
    static let observationValueCodeV1 = """
    ALTER TABLE clinical.observation ADD COLUMN value_code text;
    """

    /// Group roles (NOLOGIN): a DBA grants them to login roles. Roles belong to the
    /// whole cluster, so creation tolerates a concurrent or earlier creator.
    static let rolesV1 = """
    DO $$
    DECLARE
        name text;
    BEGIN
        FOREACH name IN ARRAY ARRAY['clinload_loader', 'clinload_analyst', 'clinload_auditor'] LOOP
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
                BEGIN
                    EXECUTE format('CREATE ROLE %I NOLOGIN', name);
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL;
                END;
            END IF;
        END LOOP;
    END
    $$;

    REVOKE ALL ON ALL TABLES IN SCHEMA etl, identity, clinical FROM PUBLIC;

    -- The loader writes batches, keys, quarantine, vault and clinical rows; it may
    -- only append to the audit log (and read its head to chain the next entry).
    GRANT USAGE ON SCHEMA etl, identity, clinical TO clinload_loader;
    GRANT SELECT ON etl.schema_migrations TO clinload_loader;
    GRANT SELECT, INSERT, UPDATE ON etl.batches, etl.batch_inputs, etl.data_keys TO clinload_loader;
    GRANT SELECT, INSERT ON etl.quarantine TO clinload_loader;
    GRANT SELECT, INSERT ON etl.audit_log TO clinload_loader;
    GRANT SELECT, INSERT, UPDATE ON identity.patient, clinical.patient TO clinload_loader;

    -- Analysts read clinical tables, and nothing in identity or etl (no keys, no
    -- quarantined records).
    GRANT USAGE ON SCHEMA clinical TO clinload_analyst;
    GRANT SELECT ON clinical.patient TO clinload_analyst;

    -- Auditors read the audit trail and what ran.
    GRANT USAGE ON SCHEMA etl TO clinload_auditor;
    GRANT SELECT ON etl.audit_log, etl.batches, etl.batch_inputs TO clinload_auditor;
    """
}
