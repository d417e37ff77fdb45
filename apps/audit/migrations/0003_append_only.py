"""The audit trail, its checkpoints and the decision log only ever grow. On PostgreSQL row
triggers refuse UPDATE and DELETE and a statement trigger refuses TRUNCATE, for every role
that does not deliberately disable them (the table owner included); the decision log allows
DELETE only inside a transaction that has run SET LOCAL mandate.retention = 'on' — the
retention service, which records each expiry as an audit event. On SQLite (the embedded
default for trying Mandate) UPDATE is refused; DELETE is left to the test runner, which
empties tables with it."""

from django.db import migrations

TABLES = ("audit_auditevent", "audit_auditcheckpoint", "checks_decision")

POSTGRES = """
CREATE OR REPLACE FUNCTION mandate_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'checks_decision'
            AND current_setting('mandate.retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION mandate_append_only();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION mandate_append_only();
"""
    for table in TABLES
)

POSTGRES_REVERSE = "".join(
    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
    f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"
    for table in TABLES
) + "DROP FUNCTION IF EXISTS mandate_append_only();"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES, params=None)
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END;"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE, params=None)
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only;")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_checkpoints"),
        ("checks", "0002_decision_indexes_end_in_log_order"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
