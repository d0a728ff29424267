"""Writing many new need lines at once, as fast as the database allows.

On PostgreSQL the rows go through `COPY ... FROM STDIN` (psycopg's copy, dumped by its C adapters): a bulk INSERT
costs more in Django's per-value preparation and psycopg's quoting of the UNNEST arrays than the database spends
storing the rows. Elsewhere (SQLite), `bulk_create`, whose executemany is already cheap there.

Invariants:
- every concrete column of `NeedLine` but the primary key is written, with the model's defaults for the values the
  caller leaves out (as `Model.__init__` fills them), and `auto_now` fields (`updated_at`) set to the time of the
  insert, as `save()` does; the database refuses what the model would refuse at save (NOT NULL, foreign keys);
- both paths store the same values (tests compare them field by field);
- no transaction of its own: callers run it inside theirs, and a failure writes nothing.
"""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection
from django.utils import timezone

from procurement.models import NeedLine

BATCH_SIZE = 1000


def _columns() -> list[tuple[str, str]]:
    """(attribute name, column) of every concrete field but the primary key, in model order."""
    return [(field.attname, field.column) for field in NeedLine._meta.concrete_fields if not field.primary_key]


COLUMNS = _columns()


def _filled(values: Mapping[str, Any], fields: list, touched: Mapping[str, Any]) -> dict[str, Any]:
    row = dict(values)
    row.update(touched)
    for field in fields:
        if field.attname not in row:
            row[field.attname] = field.get_default()  # as Model.__init__ does: default, else None or ""
    return row


def need_lines_insert(rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert new need lines given as {attribute name: value} (ids for foreign keys, `match_candidates` as a
    list); returns how many were written. Saves no signal and sets no primary key on anything."""
    fields = [field for field in NeedLine._meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    touched = {field.attname: now for field in NeedLine._meta.concrete_fields if getattr(field, "auto_now", False)}
    rows = [_filled(values, fields, touched) for values in rows]
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        _copy(rows)
    else:
        NeedLine.objects.bulk_create([NeedLine(**row) for row in rows], batch_size=BATCH_SIZE)
    return len(rows)


def _copy(rows: list[dict[str, Any]]) -> None:
    table = connection.ops.quote_name(NeedLine._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for _, column in COLUMNS)
    attnames = [attname for attname, _ in COLUMNS]
    json_fields = {
        field.attname for field in NeedLine._meta.concrete_fields if field.get_internal_type() == "JSONField"
    }
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,  # psycopg's errors as django.db's (IntegrityError...)
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([json.dumps(row[name]) if name in json_fields else row[name] for name in attnames])
