"""Dated thresholds of French public procurement, loaded from `procurement/data/thresholds.json`.

Pure module (no Django, no ORM). Thresholds change every two years (EU) and sometimes every year
(national), so they are data: each row has a validity window and its legal source. The engine picks the
row in force on the launch date of the consultation (décret n° 2025-1386, art. 4) and refuses dates the
table does not cover rather than guessing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "thresholds.json"

NATURES = ("supplies", "services", "works")
BUYER_KINDS = ("local", "central")
KEYS = (
    "dispense",
    "publicity_boamp_jal",
    "eu_threshold",
    "small_lot_cap",
    "small_lot_share",
    "profil_acheteur",
    "decp",
)
CONFIDENCES = ("[V]", "[S]", "[M]")
UNITS = ("EUR_HT", "ratio")

KEY_LABELS = {
    "dispense": "seuil de dispense de publicité et de mise en concurrence",
    "publicity_boamp_jal": "seuil de publicité au BOAMP ou dans un JAL",
    "eu_threshold": "seuil européen de procédure formalisée",
    "small_lot_cap": "plafond des petits lots",
    "small_lot_share": "part maximale des petits lots",
    "profil_acheteur": "seuil de mise en ligne du DCE sur le profil d'acheteur",
    "decp": "seuil de publication des données essentielles (DECP)",
}
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


class ThresholdDataError(ValueError):
    """The thresholds file is malformed (a programming or data error, never a user error)."""


class NoThresholdKnown(LookupError):
    """No row of the table covers the requested date: say so rather than guess."""

    def __init__(self, message: str, *, key: str, on: date):
        super().__init__(message)
        self.message = message
        self.key = key
        self.on = on


def format_date_fr(value: date) -> str:
    """`1er avril 2026`, `31 décembre 2027`."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


@dataclass(frozen=True)
class ThresholdRow:
    key: str
    nature: str  # supplies | services | works | any
    buyer_kind: str  # local | central | any
    value: Decimal  # euros HT, or a proportion when unit == "ratio"
    valid_from: date
    valid_to: date | None  # None: no known end
    source: str
    confidence: str
    unit: str = "EUR_HT"

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def matches(self, nature: str, buyer_kind: str) -> bool:
        return self.nature in (nature, "any") and self.buyer_kind in (buyer_kind, "any")

    @property
    def specificity(self) -> int:
        return (self.nature != "any") + (self.buyer_kind != "any")


@dataclass(frozen=True)
class ThresholdTable:
    rows: tuple[ThresholdRow, ...]
    first_date: date

    def rows_for(self, key: str) -> tuple[ThresholdRow, ...]:
        return tuple(row for row in self.rows if row.key == key)

    def last_known_date(self, key: str, nature: str = "any", buyer_kind: str = "any") -> date | None:
        """Last date covered for this key (None: open-ended)."""
        ends = [row.valid_to for row in self.rows_for(key) if row.matches(nature, buyer_kind)]
        if not ends or any(end is None for end in ends):
            return None
        return max(ends)

    def covered_until(self) -> date | None:
        """Last date on which every key is known (None: open-ended)."""
        ends = [end for key in KEYS if (end := self.last_known_date(key)) is not None]
        return min(ends) if ends else None


def _parse_date(raw, where: str) -> date:
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError) as exc:
        raise ThresholdDataError(f"{where}: date invalide {raw!r}") from exc


def _parse_row(raw: dict, index: int) -> ThresholdRow:
    where = f"ligne {index}"
    try:
        value = Decimal(raw["value_ht"])
    except (KeyError, TypeError, InvalidOperation) as exc:
        raise ThresholdDataError(f"{where}: value_ht doit être un décimal écrit en chaîne") from exc
    if isinstance(raw["value_ht"], float) or not value.is_finite() or value <= 0:
        raise ThresholdDataError(f"{where}: value_ht invalide {raw['value_ht']!r}")
    row = ThresholdRow(
        key=raw.get("key"),
        nature=raw.get("nature"),
        buyer_kind=raw.get("buyer_kind"),
        value=value,
        valid_from=_parse_date(raw.get("valid_from"), where),
        valid_to=None if raw.get("valid_to") is None else _parse_date(raw["valid_to"], where),
        source=(raw.get("source") or "").strip(),
        confidence=raw.get("confidence"),
        unit=raw.get("unit", "EUR_HT"),
    )
    checks = [
        (row.key in KEYS, "clé inconnue"),
        (row.nature in (*NATURES, "any"), "nature inconnue"),
        (row.buyer_kind in (*BUYER_KINDS, "any"), "type d'acheteur inconnu"),
        (row.confidence in CONFIDENCES, "marque de confiance inconnue"),
        (row.unit in UNITS, "unité inconnue"),
        (bool(row.source), "source manquante"),
        (row.valid_to is None or row.valid_from <= row.valid_to, "période vide"),
    ]
    for ok, message in checks:
        if not ok:
            raise ThresholdDataError(f"{where} ({row.key}): {message}")
    return row


def _check_overlaps(rows: tuple[ThresholdRow, ...]) -> None:
    by_scope: dict[tuple[str, str, str], list[ThresholdRow]] = {}
    for row in rows:
        by_scope.setdefault((row.key, row.nature, row.buyer_kind), []).append(row)
    for scope, scoped in by_scope.items():
        scoped.sort(key=lambda r: r.valid_from)
        for before, after in pairwise(scoped):
            if before.valid_to is None or before.valid_to >= after.valid_from:
                raise ThresholdDataError(f"périodes qui se chevauchent pour {scope}")


def parse_thresholds(document: dict) -> ThresholdTable:
    rows = tuple(_parse_row(raw, index) for index, raw in enumerate(document.get("rows", [])))
    if not rows:
        raise ThresholdDataError("table de seuils vide")
    _check_overlaps(rows)
    first_date = _parse_date(document.get("first_date"), "first_date")
    if any(row.valid_from < first_date for row in rows):
        raise ThresholdDataError("une ligne commence avant first_date")
    return ThresholdTable(rows=rows, first_date=first_date)


@lru_cache(maxsize=4)
def load_thresholds(path: str | Path = DEFAULT_PATH) -> ThresholdTable:
    """Load and validate the table once; the result is immutable (frozen dataclasses, tuples)."""
    with open(path, encoding="utf-8") as handle:
        return parse_thresholds(json.load(handle))


def threshold(table: ThresholdTable, key: str, nature: str, buyer_kind: str, on: date) -> ThresholdRow:
    """The row in force on `on` for this key, nature and kind of buyer (the most specific row wins).

    Raises NoThresholdKnown, with a French message, when the date is outside the table.
    """
    label = KEY_LABELS.get(key, key)
    if key not in KEYS:
        raise NoThresholdKnown(f"Seuil inconnu : « {key} ».", key=key, on=on)
    candidates = [row for row in table.rows_for(key) if row.matches(nature, buyer_kind)]
    in_force = [row for row in candidates if row.covers(on)]
    if in_force:
        return max(in_force, key=lambda row: row.specificity)
    if not candidates:
        raise NoThresholdKnown(f"Aucun {label} n'est connu pour ce type de marché.", key=key, on=on)
    if on < min(row.valid_from for row in candidates):
        start = min(row.valid_from for row in candidates)
        message = (
            f"Le {label} n'est connu dans Mutualis qu'à partir du {format_date_fr(start)} : "
            f"la date du {format_date_fr(on)} n'est pas couverte par la table des seuils."
        )
    else:
        end = table.last_known_date(key, nature, buyer_kind)
        known = f" : les seuils ne sont connus que jusqu'au {format_date_fr(end)}" if end and on > end else ""
        message = (
            f"Le {label} applicable le {format_date_fr(on)} n'est pas encore connu{known}. "
            "Mutualis préfère le dire plutôt que de deviner : vérifiez les seuils publiés."
        )
    raise NoThresholdKnown(message, key=key, on=on)
