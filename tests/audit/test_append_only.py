"""On PostgreSQL the audit trail, its checkpoints and the decision log only ever grow:
UPDATE, DELETE and TRUNCATE are refused to the connecting role (here the tables' owner and
a superuser), and only the retention service may delete decision rows."""

import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit.models import AuditEvent
from apps.audit.services import audit_checkpoints_take
from apps.checks.models import Decision

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's"),
]

STATEMENTS = ["UPDATE {table} SET id = id", "DELETE FROM {table}", "TRUNCATE {table} CASCADE"]


@pytest.mark.parametrize("table", ["audit_auditevent", "audit_auditcheckpoint", "checks_decision"])
@pytest.mark.parametrize("statement", STATEMENTS)
def test_rewriting_is_refused(world, table, statement):
    audit_checkpoints_take()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, usesuper FROM pg_user WHERE usename = current_user")
        assert cursor.fetchone()[1]  # even a superuser owner is refused
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no ALTER with checks pending
        if statement.startswith("TRUNCATE"):
            # The test database lifts this one trigger so that the test runner can empty it.
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_no_truncate")
        try:
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                cursor.execute(statement.format(table=table))
        finally:
            if statement.startswith("TRUNCATE"):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_truncate")
    assert AuditEvent.objects.filter(organization=world.org).exists()


def test_only_retention_deletes_decisions(world):
    row = Decision.objects.filter(
        organization=world.org, approval__isnull=True, handoff__isnull=True, outcome__isnull=True
    ).first()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL mandate.retention = 'on'")
        cursor.execute("DELETE FROM checks_decision WHERE id = %s", [row.pk])
    assert not Decision.objects.filter(pk=row.pk).exists()
