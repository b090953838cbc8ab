extension Migrations {
    /// Clinical event tables shared by every feed (encounter, condition,
    /// observation, medication: the columns of the pipeline format spec), the
    /// tables of the other Synthea files, and the vault columns the message feeds
    /// add (mrn, phone, email).
    ///
    /// Every row carries its batch and source ordinal; `item` numbers the rows
    /// one source record yields (a CSV record yields one, an HL7 message one per
    /// OBX...), so (batch_id, source_ordinal, item) is the row's provenance and
    /// its key. Patient tables carry the patient's random surrogate key, never an
    /// identifier; record ids appear only as keyed pseudonyms (`*_key`, uuid), so
    /// rows join across tables without the ids being stored. Reference data
    /// (organization, provider, payer) has no patient and no surrogate_id; a
    /// reloaded file adds rows (the latest batch is the current version).
    ///
    /// No FOREIGN KEY constraints, for the reason given in `patientV1`: the loader
    /// writes batch ids and surrogate keys itself, in the same transaction, and a
    /// per-row foreign-key trigger would cost a third of the merge.
    static let clinicalEventsV1 = """
    -- Shared by all feeds (CSV, HL7 v2 XML, CDA).
    CREATE TABLE clinical.encounter (
        surrogate_id          uuid NOT NULL,
        batch_id              uuid NOT NULL,
        source_ordinal        bigint NOT NULL,
        item                  integer NOT NULL,
        encounter_key         uuid,
        start_time            timestamptz,
        end_time              timestamptz,
        encounter_class       text,
        code                  text,
        code_system           text,
        description           text,
        reason_code           text,
        reason_description    text,
        organization_key      uuid,
        provider_key          uuid,
        payer_key             uuid,
        base_encounter_cost   numeric,
        total_claim_cost      numeric,
        payer_coverage        numeric,
        admission_type        text,
        hospital_service      text,
        discharge_disposition text,
        event_type            text,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX encounter_by_patient ON clinical.encounter (surrogate_id);

    CREATE TABLE clinical.condition (
        surrogate_id   uuid NOT NULL,
        batch_id       uuid NOT NULL,
        source_ordinal bigint NOT NULL,
        item           integer NOT NULL,
        encounter_key  uuid,
        start_time     timestamptz,
        end_time       timestamptz,
        code           text,
        code_system    text,
        description    text,
        diagnosis_type text,
        status         text,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX condition_by_patient ON clinical.condition (surrogate_id);

    CREATE TABLE clinical.observation (
        surrogate_id    uuid NOT NULL,
        batch_id        uuid NOT NULL,
        source_ordinal  bigint NOT NULL,
        item            integer NOT NULL,
        encounter_key   uuid,
        order_key       uuid,
        effective_time  timestamptz,
        category        text,
        code            text,
        code_system     text,
        description     text,
        value_type      text,
        value_text      text,
        value_numeric   numeric,
        units           text,
        reference_range text,
        abnormal_flag   text,
        result_status   text,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX observation_by_patient ON clinical.observation (surrogate_id);

    CREATE TABLE clinical.medication (
        surrogate_id       uuid NOT NULL,
        batch_id           uuid NOT NULL,
        source_ordinal     bigint NOT NULL,
        item               integer NOT NULL,
        encounter_key      uuid,
        start_time         timestamptz,
        end_time           timestamptz,
        code               text,
        code_system        text,
        description        text,
        payer_key          uuid,
        base_cost          numeric,
        payer_coverage     numeric,
        dispenses          integer,
        total_cost         numeric,
        reason_code        text,
        reason_description text,
        status             text,
        dose               text,
        route              text,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX medication_by_patient ON clinical.medication (surrogate_id);

    -- The other Synthea files (allergies.csv ... supplies.csv).
    CREATE TABLE clinical.allergy (
        surrogate_id          uuid NOT NULL,
        batch_id              uuid NOT NULL,
        source_ordinal        bigint NOT NULL,
        item                  integer NOT NULL,
        encounter_key         uuid,
        start_time            timestamptz,
        end_time              timestamptz,
        code                  text,
        code_system           text,
        description           text,
        allergy_type          text,
        category              text,
        reaction1_code        text,
        reaction1_description text,
        reaction1_severity    text,
        reaction2_code        text,
        reaction2_description text,
        reaction2_severity    text,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX allergy_by_patient ON clinical.allergy (surrogate_id);

    CREATE TABLE clinical.careplan (
        surrogate_id       uuid NOT NULL,
        batch_id           uuid NOT NULL,
        source_ordinal     bigint NOT NULL,
        item               integer NOT NULL,
        careplan_key       uuid,
        encounter_key      uuid,
        start_time         timestamptz,
        end_time           timestamptz,
        code               text,
        code_system        text,
        description        text,
        reason_code        text,
        reason_description text,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX careplan_by_patient ON clinical.careplan (surrogate_id);

    CREATE TABLE clinical.claim (
        surrogate_id             uuid NOT NULL,
        batch_id                 uuid NOT NULL,
        source_ordinal           bigint NOT NULL,
        item                     integer NOT NULL,
        claim_key                uuid,
        encounter_key            uuid,
        provider_key             uuid,
        referring_provider_key   uuid,
        supervising_provider_key uuid,
        primary_payer_key        uuid,
        secondary_payer_key      uuid,
        department_id            integer,
        patient_department_id    integer,
        diagnosis1               text,
        diagnosis2               text,
        diagnosis3               text,
        diagnosis4               text,
        diagnosis5               text,
        diagnosis6               text,
        diagnosis7               text,
        diagnosis8               text,
        current_illness_time     timestamptz,
        service_time             timestamptz,
        status1                  text,
        status2                  text,
        status_patient           text,
        outstanding1             numeric,
        outstanding2             numeric,
        outstanding_patient      numeric,
        last_billed_time1        timestamptz,
        last_billed_time2        timestamptz,
        last_billed_time_patient timestamptz,
        claim_type1              integer,
        claim_type2              integer,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX claim_by_patient ON clinical.claim (surrogate_id);

    CREATE TABLE clinical.device (
        surrogate_id   uuid NOT NULL,
        batch_id       uuid NOT NULL,
        source_ordinal bigint NOT NULL,
        item           integer NOT NULL,
        encounter_key  uuid,
        start_time     timestamptz,
        end_time       timestamptz,
        code           text,
        code_system    text,
        description    text,
        udi_key        uuid,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX device_by_patient ON clinical.device (surrogate_id);

    CREATE TABLE clinical.imaging_study (
        surrogate_id          uuid NOT NULL,
        batch_id              uuid NOT NULL,
        source_ordinal        bigint NOT NULL,
        item                  integer NOT NULL,
        imaging_study_key     uuid,
        encounter_key         uuid,
        effective_time        timestamptz,
        series_key            uuid,
        instance_key          uuid,
        body_site_code        text,
        body_site_description text,
        modality_code         text,
        modality_description  text,
        sop_code              text,
        sop_description       text,
        procedure_code        text,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX imaging_study_by_patient ON clinical.imaging_study (surrogate_id);

    CREATE TABLE clinical.immunization (
        surrogate_id   uuid NOT NULL,
        batch_id       uuid NOT NULL,
        source_ordinal bigint NOT NULL,
        item           integer NOT NULL,
        encounter_key  uuid,
        effective_time timestamptz,
        code           text,
        code_system    text,
        description    text,
        base_cost      numeric,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX immunization_by_patient ON clinical.immunization (surrogate_id);

    CREATE TABLE clinical.procedure (
        surrogate_id       uuid NOT NULL,
        batch_id           uuid NOT NULL,
        source_ordinal     bigint NOT NULL,
        item               integer NOT NULL,
        encounter_key      uuid,
        start_time         timestamptz,
        end_time           timestamptz,
        code               text,
        code_system        text,
        description        text,
        base_cost          numeric,
        reason_code        text,
        reason_description text,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX procedure_by_patient ON clinical.procedure (surrogate_id);

    CREATE TABLE clinical.supply (
        surrogate_id   uuid NOT NULL,
        batch_id       uuid NOT NULL,
        source_ordinal bigint NOT NULL,
        item           integer NOT NULL,
        encounter_key  uuid,
        effective_time timestamptz,
        code           text,
        code_system    text,
        description    text,
        quantity       integer,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX supply_by_patient ON clinical.supply (surrogate_id);

    CREATE TABLE clinical.payer_transition (
        surrogate_id        uuid NOT NULL,
        batch_id            uuid NOT NULL,
        source_ordinal      bigint NOT NULL,
        item                integer NOT NULL,
        member_key          uuid,
        start_time          timestamptz,
        end_time            timestamptz,
        payer_key           uuid,
        secondary_payer_key uuid,
        ownership           text,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX payer_transition_by_patient ON clinical.payer_transition (surrogate_id);

    -- Reference data: no patient.
    CREATE TABLE clinical.organization (
        batch_id         uuid NOT NULL,
        source_ordinal   bigint NOT NULL,
        item             integer NOT NULL,
        organization_key uuid,
        name             text,
        address          text,
        city             text,
        state            text,
        zip              text,
        latitude         numeric,
        longitude        numeric,
        phone            text,
        revenue          numeric,
        utilization      integer,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX organization_by_key ON clinical.organization (organization_key);

    CREATE TABLE clinical.provider (
        batch_id         uuid NOT NULL,
        source_ordinal   bigint NOT NULL,
        item             integer NOT NULL,
        provider_key     uuid,
        organization_key uuid,
        gender           text,
        speciality       text,
        city             text,
        state            text,
        zip              text,
        utilization      integer,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX provider_by_key ON clinical.provider (provider_key);

    CREATE TABLE clinical.payer (
        batch_id                uuid NOT NULL,
        source_ordinal          bigint NOT NULL,
        item                    integer NOT NULL,
        payer_key               uuid,
        name                    text,
        address                 text,
        city                    text,
        state_headquartered     text,
        zip                     text,
        phone                   text,
        amount_covered          numeric,
        amount_uncovered        numeric,
        revenue                 numeric,
        covered_encounters      integer,
        uncovered_encounters    integer,
        covered_medications     integer,
        uncovered_medications   integer,
        covered_procedures      integer,
        uncovered_procedures    integer,
        covered_immunizations   integer,
        uncovered_immunizations integer,
        unique_customers        integer,
        qols_avg                numeric,
        member_months           integer,
        PRIMARY KEY (batch_id, source_ordinal, item)
    );
    CREATE INDEX payer_by_key ON clinical.payer (payer_key);

    -- Identifiers the message feeds carry (HL7 PID-3 MR, PID-13, CDA telecom):
    -- ciphertexts, like every vault column.
    ALTER TABLE identity.patient
        ADD COLUMN mrn bytea,
        ADD COLUMN phone bytea,
        ADD COLUMN email bytea;

    -- The same boundaries as migration 3: the loader writes, analysts read
    -- clinical tables. Nobody but the owner may DELETE or TRUNCATE.
    GRANT SELECT, INSERT, UPDATE ON
        clinical.encounter, clinical.condition, clinical.observation, clinical.medication,
        clinical.allergy, clinical.careplan, clinical.claim, clinical.device, clinical.imaging_study,
        clinical.immunization, clinical.procedure, clinical.supply, clinical.payer_transition,
        clinical.organization, clinical.provider, clinical.payer
        TO clinload_loader;
    GRANT SELECT ON
        clinical.encounter, clinical.condition, clinical.observation, clinical.medication,
        clinical.allergy, clinical.careplan, clinical.claim, clinical.device, clinical.imaging_study,
        clinical.immunization, clinical.procedure, clinical.supply, clinical.payer_transition,
        clinical.organization, clinical.provider, clinical.payer
        TO clinload_analyst;
    """
}
