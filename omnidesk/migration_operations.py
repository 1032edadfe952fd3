"""Migration operations shared by the apps."""

from __future__ import annotations

from django.db import migrations


class PostgresOnlyAddIndex(migrations.AddIndex):
    """An index only PostgreSQL can build (GIN over a tsvector, pattern opclasses).

    The embedded default runs on SQLite, which keeps the index in the migration state
    only; the code that relies on it checks the database vendor.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class PostgresOnlyAlterField(migrations.AlterField):
    """A field change only worth making in a PostgreSQL database, such as dropping an
    index that another index already covers.

    SQLite would rebuild the whole table for it, and cannot rebuild a table whose state
    holds a PostgreSQL-only index; the embedded default keeps the old index instead.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
