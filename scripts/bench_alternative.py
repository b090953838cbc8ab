#!/usr/bin/env python3
"""The alternative #7 names: what a competent engineer writes in an afternoon
(csv + cryptography + psycopg COPY) to load Synthea patients.csv with the same
protection at rest as clinload, and nothing more.

Per row: a random surrogate key; an HMAC-SHA-256 blind index of the natural key;
every identifier column sealed with AES-256-GCM (random 96-bit nonce, associated
data binding table, column and surrogate) in clinload's stored form
(0x01 | key id | nonce | ciphertext | tag); the clinical columns generalised
(birth year, ZIP3). Rows go by COPY straight into the two tables, with their
indexes, in one transaction.

What it leaves out, unlike clinload: validation and quarantine, finding patients
already in the vault, staging, per-row lineage beyond the ordinal, audit,
KMS-wrapped keys. It is a floor for "encrypt and COPY", not a substitute.

    bench_alternative.py DSN CSV IDENTITY_TABLE CLINICAL_TABLE
"""
import csv
import hashlib
import hmac
import os
import sys
import uuid

import psycopg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# CSV column -> vault column, in the order of clinload's synthea_patients pipeline.
IDENTITY = [
    ("Id", "source_id"), ("BIRTHDATE", "birth_date"), ("DEATHDATE", "death_date"), ("SSN", "ssn"),
    ("DRIVERS", "drivers_license"), ("PASSPORT", "passport"), ("PREFIX", "name_prefix"), ("FIRST", "given_name"),
    ("LAST", "family_name"), ("SUFFIX", "name_suffix"), ("MAIDEN", "maiden_name"), ("RACE", "race"),
    ("ETHNICITY", "ethnicity"), ("GENDER", "sex"), ("BIRTHPLACE", "birthplace"), ("ADDRESS", "street_address"),
    ("CITY", "city"), ("STATE", "state"), ("COUNTY", "county"), ("ZIP", "zip"), ("LAT", "latitude"),
    ("LON", "longitude"),
]
CLINICAL = ["birth_year", "death_year", "sex", "race", "ethnicity", "marital_status", "state", "zip3",
            "healthcare_expenses", "healthcare_coverage"]


def main() -> None:
    dsn, path, identity_table, clinical_table = sys.argv[1:5]
    data_key, key_id, batch_id = os.urandom(32), uuid.uuid4(), uuid.uuid4()
    key_bytes = key_id.bytes
    blind_key = os.urandom(32)
    aead = AESGCM(data_key)
    prefixes = [(f"{identity_table}/{column}/").encode() for _, column in IDENTITY]
    identity_columns = ", ".join(["surrogate_id", "blind_index", "data_key_id", "batch_id", "source_ordinal"]
                                 + [column for _, column in IDENTITY])
    clinical_columns = ", ".join(["surrogate_id", "batch_id", "source_ordinal"] + CLINICAL)
    # Two connections, so both COPYs stream side by side (one connection carries
    # one COPY at a time); both commit at the end.
    with open(path, newline="", encoding="utf-8") as feed, psycopg.connect(dsn) as vault, \
            psycopg.connect(dsn) as clinical:
        reader = csv.reader(feed)
        header = next(reader)
        at = {name: i for i, name in enumerate(header)}
        sources = [at[name] for name, _ in IDENTITY]
        id_at, birth_at, death_at, zip_at = at["Id"], at["BIRTHDATE"], at["DEATHDATE"], at["ZIP"]
        clinical_sources = [at[name] for name in ("GENDER", "RACE", "ETHNICITY", "MARITAL", "STATE")]
        money_sources = [at["HEALTHCARE_EXPENSES"], at["HEALTHCARE_COVERAGE"]]
        with vault.cursor().copy(f"COPY {identity_table} ({identity_columns}) FROM STDIN") as vault_copy, \
                clinical.cursor().copy(f"COPY {clinical_table} ({clinical_columns}) FROM STDIN") as clinical_copy:
            for ordinal, row in enumerate(reader, start=1):
                surrogate = uuid.uuid4()
                s = surrogate.bytes
                blind = hmac.new(blind_key, b"synthea\x00" + row[id_at].strip().upper().encode(),
                                 hashlib.sha256).digest()
                sealed = []
                for prefix, source in zip(prefixes, sources):
                    value = row[source]
                    if value == "":
                        sealed.append(None)
                        continue
                    nonce = os.urandom(12)
                    sealed.append(b"\x01" + key_bytes + nonce
                                  + aead.encrypt(nonce, value.encode(), prefix + s + key_bytes))
                vault_copy.write_row([surrogate, blind, key_id, batch_id, ordinal] + sealed)
                birth, death, zip_code = row[birth_at], row[death_at], row[zip_at]
                clinical_copy.write_row(
                    [surrogate, batch_id, ordinal, int(birth[:4]) if birth else None, int(death[:4]) if death else None]
                    + [row[i] or None for i in clinical_sources]
                    + [zip_code[:3] if len(zip_code) >= 3 else None]
                    + [row[i] or None for i in money_sources])
        vault.commit()
        clinical.commit()


if __name__ == "__main__":
    main()
