"""The database enforces the life cycle itself: a version that left draft keeps its content
and its template pins; its state moves only along draft → in_review → approved | rejected,
approved → active → superseded; a recorded submission or review never changes; and the
people who wrote a version are fixed once it leaves draft."""

from django.db import migrations

FROZEN = (
    "document_text",
    "content_hash",
    "template_pins",
    "number",
    "policy_id",
    "author_id",
    "organization_id",
)
LEGAL = (
    ("draft", "in_review"),
    ("in_review", "approved"),
    ("in_review", "rejected"),
    ("approved", "active"),
    ("active", "superseded"),
)
REVIEW = ("reviewed_by_id", "reviewed_at", "review_comment", "approved_hash")
SUBMISSION = ("submitted_by_id", "submitted_at")


def _legal(new: str, old: str) -> str:
    return " OR ".join(f"({old}.state = '{a}' AND {new}.state = '{b}')" for a, b in LEGAL)


def _changed(columns, op: str) -> str:
    return " OR ".join(f"NEW.{c} {op} OLD.{c}" for c in columns)


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
    IF OLD.state <> 'draft' AND ({_changed(FROZEN, "IS DISTINCT FROM")}) THEN
        RAISE EXCEPTION 'policy version % is % and immutable', OLD.id, OLD.state
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.state IS DISTINCT FROM OLD.state AND NOT ({_legal("NEW", "OLD")}) THEN
        RAISE EXCEPTION 'policy version %: % to % is not a transition of the life cycle',
            OLD.id, OLD.state, NEW.state USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.reviewed_by_id IS NOT NULL AND ({_changed(REVIEW, "IS DISTINCT FROM")}) THEN
        RAISE EXCEPTION 'the review of policy version % is recorded and immutable', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.submitted_by_id IS NOT NULL AND ({_changed(SUBMISSION, "IS DISTINCT FROM")}) THEN
        RAISE EXCEPTION 'the submission of policy version % is recorded and immutable', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION policies_contributors_guard() RETURNS trigger AS $$
DECLARE
    version_state text;
BEGIN
    SELECT state INTO version_state FROM policies_policyversion
        WHERE id = COALESCE(NEW.policyversion_id, OLD.policyversion_id);
    IF version_state IS NOT NULL AND version_state <> 'draft' THEN
        RAISE EXCEPTION 'the contributors of a version that left draft are fixed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER policies_contributors_guard
    BEFORE INSERT OR UPDATE OR DELETE ON policies_policyversion_contributors
    FOR EACH ROW EXECUTE FUNCTION policies_contributors_guard();
"""

SQLITE = [
    "DROP TRIGGER IF EXISTS policies_version_immutable;",
    f"""
CREATE TRIGGER policies_version_immutable
BEFORE UPDATE ON policies_policyversion
WHEN OLD.state <> 'draft' AND ({_changed(FROZEN, "IS NOT")})
BEGIN SELECT RAISE(ABORT, 'policy version is immutable once it has left draft'); END;
""",
    f"""
CREATE TRIGGER policies_version_transitions
BEFORE UPDATE OF state ON policies_policyversion
WHEN NEW.state IS NOT OLD.state AND NOT ({_legal("NEW", "OLD")})
BEGIN SELECT RAISE(ABORT, 'not a transition of the life cycle'); END;
""",
    f"""
CREATE TRIGGER policies_version_review_recorded
BEFORE UPDATE ON policies_policyversion
WHEN (OLD.reviewed_by_id IS NOT NULL AND ({_changed(REVIEW, "IS NOT")}))
  OR (OLD.submitted_by_id IS NOT NULL AND ({_changed(SUBMISSION, "IS NOT")}))
BEGIN SELECT RAISE(ABORT, 'a recorded submission or review is immutable'); END;
""",
    # Inserts only: the test database is flushed with DELETE on SQLite.
    """
CREATE TRIGGER policies_contributors_fixed
BEFORE INSERT ON policies_policyversion_contributors
WHEN (SELECT state FROM policies_policyversion WHERE id = NEW.policyversion_id) <> 'draft'
BEGIN SELECT RAISE(ABORT, 'the contributors of a version that left draft are fixed'); END;
""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS policies_version_transitions;",
    "DROP TRIGGER IF EXISTS policies_version_review_recorded;",
    "DROP TRIGGER IF EXISTS policies_contributors_fixed;",
]


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
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS policies_contributors_guard ON policies_policyversion_contributors;"
            "DROP FUNCTION IF EXISTS policies_contributors_guard();",
            params=None,
        )
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("policies", "0003_template_pins")]

    operations = [migrations.RunPython(forwards, backwards)]
