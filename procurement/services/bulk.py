"""Writing many need lines at once, as fast as the database allows.

A `bulk_create` of 100,000 lines spends most of its time in Django's per-value preparation (`get_db_prep_save` on
two million values) and, on PostgreSQL, in psycopg's quoting of the UNNEST arrays in Python: more than the
database spends storing the rows. So:
- on PostgreSQL the rows go through `COPY ... FROM STDIN` (psycopg's copy, values dumped by its C adapters);
- elsewhere (SQLite), one `executemany` of a plain INSERT, where only the values that need it (dates, UUIDs,
  decimals, JSON) go through the field's own `get_db_prep_save`: the database stores what the ORM would.

Invariants:
- every concrete column of `NeedLine` but the primary key is written, with the model's defaults for the values the
  caller leaves out (as `Model.__init__` fills them), and `auto_now` fields (`updated_at`) set to the time of the
  insert, as `save()` does; the database refuses what the model would refuse at save (NOT NULL, foreign keys);
- both paths store the same values (tests compare them field by field);
- no transaction of its own: callers run it inside theirs, and a failure writes nothing.
"""

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from procurement.models import NeedLine

BATCH_SIZE = 10_000
# Every concrete field but the primary key, in model order: the columns written.
FIELDS = [field for field in NeedLine._meta.concrete_fields if not field.primary_key]


def _filled(values: Mapping[str, Any], touched: Mapping[str, Any]) -> dict[str, Any]:
    row = dict(values)
    row.update(touched)
    for field in FIELDS:
        if field.attname not in row:
            row[field.attname] = field.get_default()  # as Model.__init__ does: default, else None or ""
    return row


def need_lines_insert(rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert new need lines given as {attribute name: value} (ids for foreign keys, `match_candidates` as a
    list); returns how many were written. Saves no signal and sets no primary key on anything."""
    now = timezone.now()
    touched = {field.attname: now for field in FIELDS if getattr(field, "auto_now", False)}
    rows = [_filled(values, touched) for values in rows]
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        _copy(rows)
    else:
        _insert_many(rows)
    return len(rows)


# Fields whose Python value is already what the database driver takes (ints, floats, strings, None).
PLAIN_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "CharField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


# Fields whose values repeat across an import (one timestamp, a few hundred dates): prepared once per value.
REPEATED_TYPES = {"DateField", "DateTimeField"}


def _preparer(field):
    """The function giving the database value of a field's Python value, as the ORM prepares it on save."""
    kind = field.get_internal_type()
    if kind in PLAIN_TYPES:
        return None
    if kind in REPEATED_TYPES:
        return functools.lru_cache(maxsize=4096)(partial(_prepare, field))
    return partial(_prepare, field)


def _prepare(field, value):
    return field.get_db_prep_save(value, connection)


def _insert_many(rows: list[dict[str, Any]]) -> None:
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(NeedLine._meta.db_table)} ({', '.join(quote(field.column) for field in FIELDS)}) "
        f"VALUES ({', '.join(['%s'] * len(FIELDS))})"
    )
    prepare = [(field.attname, _preparer(field)) for field in FIELDS]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            cursor.executemany(
                sql,
                [
                    [
                        value if to_db is None or value is None else to_db(value)
                        for attname, to_db in prepare
                        for value in (row[attname],)
                    ]
                    for row in rows[start : start + BATCH_SIZE]
                ],
            )


def _copy(rows: list[dict[str, Any]]) -> None:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in FIELDS)
    dump = [(field.attname, field.get_internal_type() == "JSONField") for field in FIELDS]
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,  # psycopg's errors as django.db's (IntegrityError...)
        cursor.cursor.copy(f"COPY {quote(NeedLine._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([json.dumps(row[attname]) if is_json else row[attname] for attname, is_json in dump])


def need_lines_update(lines: Sequence[NeedLine], fields: Sequence[str]) -> int:
    """Write the given fields of saved need lines; returns how many were written.

    One parameterised UPDATE run for all the lines (`executemany`), values prepared as the ORM prepares them on
    save. Django's `bulk_update` builds a CASE expression per line and field: 18,500 lines rematched took 19 s on
    SQLite, most of it building those expressions. Like `bulk_update`, `auto_now` fields are written only when
    named (callers set `updated_at` themselves), no signal is sent, and the write is atomic.
    """
    if any(line.pk is None for line in lines):
        raise ValueError("need_lines_update needs saved lines")
    quote = connection.ops.quote_name
    columns = [NeedLine._meta.get_field(name) for name in fields]
    sql = (
        f"UPDATE {quote(NeedLine._meta.db_table)} SET {', '.join(f'{quote(field.column)} = %s' for field in columns)} "
        f"WHERE {quote(NeedLine._meta.pk.column)} = %s"
    )
    prepare = [(field.attname, _preparer(field)) for field in columns]
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(lines), BATCH_SIZE):
            cursor.executemany(
                sql,
                [
                    [
                        *(
                            value if to_db is None or value is None else to_db(value)
                            for attname, to_db in prepare
                            for value in (getattr(line, attname),)
                        ),
                        line.pk,
                    ]
                    for line in lines[start : start + BATCH_SIZE]
                ],
            )
    return len(lines)
