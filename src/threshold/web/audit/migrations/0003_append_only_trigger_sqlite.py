"""On SQLite, triggers refuse UPDATE and DELETE of audit events even from raw SQL, as 0002's
trigger does on PostgreSQL. Not on an in-memory database (the test suite's): it is gone when
its process ends, and Django empties it between transactional tests with DELETE. A later
migration that makes SQLite rebuild this table must create the triggers again."""

from django.db import migrations

MESSAGE = "audit events are append-only: they cannot be changed or deleted"
CREATE = [
    f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_auditevent "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    for verb in ("UPDATE", "DELETE")
]
DROP = [f"DROP TRIGGER IF EXISTS audit_event_no_{verb}" for verb in ("update", "delete")]


def _on_sqlite_file(statements: list[str]):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor == "sqlite" and not connection.is_in_memory_db():
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [migrations.RunPython(_on_sqlite_file(CREATE), _on_sqlite_file(DROP))]
