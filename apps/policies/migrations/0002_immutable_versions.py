"""The database, not only the code, keeps versions that left draft immutable: their
document, hash, number and author cannot change, and (on PostgreSQL) they cannot be
deleted."""

from django.db import migrations

FROZEN = ("document_text", "content_hash", "number", "policy_id", "author_id", "organization_id")

POSTGRES = f"""
CREATE OR REPLACE FUNCTION policies_version_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.state <> 'draft' THEN
            RAISE EXCEPTION 'policy version % is % and cannot be deleted', OLD.id, OLD.state
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.state <> 'draft' AND ({" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN)}) THEN
        RAISE EXCEPTION 'policy version % is % and immutable', OLD.id, OLD.state
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER policies_version_guard
    BEFORE UPDATE OR DELETE ON policies_policyversion
    FOR EACH ROW EXECUTE FUNCTION policies_version_guard();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS policies_version_guard ON policies_policyversion;
DROP FUNCTION IF EXISTS policies_version_guard();
"""

SQLITE = [
    f"""
CREATE TRIGGER policies_version_immutable
BEFORE UPDATE ON policies_policyversion
WHEN OLD.state <> 'draft' AND ({" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)})
BEGIN SELECT RAISE(ABORT, 'policy version is immutable once it has left draft'); END;
""",
]
# No delete guard on SQLite: the test database is flushed with DELETE there.
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS policies_version_immutable;"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
