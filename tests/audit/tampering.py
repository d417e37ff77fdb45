"""Tampering with the audit trail directly in SQL, as someone with write access to the
database could: the append-only triggers are lifted for the duration."""

from contextlib import contextmanager

from django.db import connection

from apps.audit.constants import APPEND_ONLY_TABLES


def _settle(cursor) -> None:
    # PostgreSQL alters no table with deferred (foreign key) checks pending.
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@contextmanager
def tampering():
    with connection.cursor() as cursor:
        _settle(cursor)
        for table in APPEND_ONLY_TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only")
    try:
        yield connection.cursor()
    finally:
        with connection.cursor() as cursor:
            _settle(cursor)
            for table in APPEND_ONLY_TABLES:
                if connection.vendor == "postgresql":
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
                else:
                    cursor.execute(
                        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} BEGIN "
                        f"SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END;"
                    )
