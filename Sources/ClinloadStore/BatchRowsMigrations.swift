extension Migrations {
    /// Taking a batch's rows back, without giving the loader DELETE.
    ///
    /// The loader role may not delete from data tables (migrations 3 and 4). Two
    /// operations still must remove rows, and each gets a SECURITY DEFINER
    /// function that checks it is that operation and nothing wider:
    ///
    /// - `etl.withdraw_batch_rows(batch, table)`: a rejected batch takes back the
    ///   rows its chunks already moved. Only while the batch is `running`: its rows
    ///   are then uncommitted, so no other session's batch can be touched (another
    ///   transaction's uncommitted rows are invisible to this DELETE).
    /// - `etl.supersede_batch(earlier, replacement)`: `run --reload` loads a file
    ///   again; the loaded batch of the same pipeline and the same input bytes
    ///   (SHA-256) gives up its rows in per-batch tables (those whose primary key
    ///   holds `batch_id`: event rows, reference data) and becomes `superseded`.
    ///   Per-patient rows (vault, clinical.patient) are never deleted: other
    ///   feeds' rows refer to them, and the new batch updates them.
    static let batchRowsV1 = """
    ALTER TABLE etl.batches DROP CONSTRAINT batches_state_check;
    ALTER TABLE etl.batches ADD CONSTRAINT batches_state_check
        CHECK (state IN ('registered', 'running', 'loaded', 'rejected', 'failed', 'superseded'));
    ALTER TABLE etl.batches ADD COLUMN superseded_by uuid REFERENCES etl.batches (batch_id);
    -- Earlier loads of the same bytes are found by their hash.
    CREATE INDEX batch_inputs_by_sha256 ON etl.batch_inputs (sha256);

    CREATE FUNCTION etl.withdraw_batch_rows(batch uuid, target regclass) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
        removed bigint;
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM etl.batches b WHERE b.batch_id = batch AND b.state = 'running') THEN
            RAISE EXCEPTION 'only a running batch withdraws its rows' USING ERRCODE = '55000';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE c.oid = target AND n.nspname IN ('identity', 'clinical')) THEN
            RAISE EXCEPTION 'not a data table' USING ERRCODE = '42501';
        END IF;
        EXECUTE format('DELETE FROM %s WHERE batch_id = $1', target) USING batch;
        GET DIAGNOSTICS removed = ROW_COUNT;
        RETURN removed;
    END
    $$;

    CREATE FUNCTION etl.supersede_batch(earlier uuid, replacement uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
        earlier_batch etl.batches%ROWTYPE;
        replacing_batch etl.batches%ROWTYPE;
        target regclass;
        removed bigint;
        result jsonb := '{}';
    BEGIN
        SELECT * INTO earlier_batch FROM etl.batches b WHERE b.batch_id = earlier FOR UPDATE;
        SELECT * INTO replacing_batch FROM etl.batches b WHERE b.batch_id = replacement;
        IF earlier_batch.state IS DISTINCT FROM 'loaded' OR replacing_batch.state IS DISTINCT FROM 'running'
           OR earlier_batch.pipeline <> replacing_batch.pipeline
           OR (SELECT i.sha256 FROM etl.batch_inputs i WHERE i.batch_id = earlier AND i.ordinal = 1)
              IS DISTINCT FROM (SELECT i.sha256 FROM etl.batch_inputs i WHERE i.batch_id = replacement AND i.ordinal = 1) THEN
            RAISE EXCEPTION 'only a running batch supersedes a loaded batch of the same pipeline and input'
                USING ERRCODE = '55000';
        END IF;
        FOR target IN
            SELECT c.oid::regclass
            FROM jsonb_object_keys(coalesce(earlier_batch.rows_loaded, '{}')) AS k(name)
            JOIN pg_class c ON c.oid = to_regclass(k.name)
            JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname IN ('identity', 'clinical')
            WHERE EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                          WHERE i.indrelid = c.oid AND i.indisprimary AND a.attname = 'batch_id')
            ORDER BY 1
        LOOP
            EXECUTE format('DELETE FROM %s WHERE batch_id = $1', target) USING earlier;
            GET DIAGNOSTICS removed = ROW_COUNT;
            result := result || jsonb_build_object(target::text, removed);
        END LOOP;
        UPDATE etl.batches b SET state = 'superseded', superseded_by = replacement WHERE b.batch_id = earlier;
        RETURN result;
    END
    $$;

    REVOKE ALL ON FUNCTION etl.withdraw_batch_rows(uuid, regclass), etl.supersede_batch(uuid, uuid) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION etl.withdraw_batch_rows(uuid, regclass), etl.supersede_batch(uuid, uuid) TO clinload_loader;
    """
}
