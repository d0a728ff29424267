"""Load the curated seed catalog (catalog/data/seed_catalog.json): families, items and their global aliases.

The file carries each CPV code with its check digit and official French label, so the catalog loads without the
shared reference data. Loading is an idempotent upsert by code: running it twice gives the same rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from catalog import matching
from catalog.models import AliasStatus, CatalogAlias, CatalogItem, CpvCode, Family
from catalog.services import ALIAS_AUDIT_FIELDS
from procurement.audit import audit_record_many, snapshot

SEED_PATH = Path(__file__).resolve().parent / "data" / "seed_catalog.json"
ITEM_FIELDS = ["family_id", "label", "cpv_id", "unit", "reference_unit_price_ht", "price_basis", "min_specs"]
FAMILY_FIELDS = ["name", "nature", "cpv_id", "description", "position"]


@dataclass(frozen=True)
class SeedResult:
    cpv_created: int
    families_created: int
    families_updated: int
    items_created: int
    items_updated: int
    aliases_created: int
    aliases_retired: int = 0

    def __str__(self) -> str:
        return (
            f"Codes CPV ajoutés : {self.cpv_created} ; familles : {self.families_created} créées, "
            f"{self.families_updated} mises à jour ; articles : {self.items_created} créés, "
            f"{self.items_updated} mis à jour ; synonymes ajoutés : {self.aliases_created}, "
            f"retirés : {self.aliases_retired}"
        )


def read_seed(path: Path | str | None = None) -> dict[str, Any]:
    with open(path or SEED_PATH, encoding="utf-8") as fh:
        return json.load(fh)


@transaction.atomic
def load_seed_catalog(path: Path | str | None = None) -> SeedResult:
    """Upsert the seed catalog.

    Invariants: CPV rows are created when missing and never overwritten (an imported nomenclature is richer);
    families and items are matched by ``code``, created or updated; global accepted aliases are added when
    missing (by item and normalised text); nothing else is deleted or deactivated, except the global aliases the
    file lists as ``retired_aliases`` (a wording that proved misleading: « armoire forte » is a safe, not a charging
    cabinet); aliases learnt by a collectivité are kept. A bounded number of queries, whatever the catalog size.
    """
    data = read_seed(path)
    cpv_created = _ensure_cpv_codes(data)
    families, families_created, families_updated = _upsert_families(data["families"])
    items, items_created, items_updated = _upsert_items(data["items"], families)
    aliases_created = _add_aliases(data["items"], items)
    aliases_retired = _retire_aliases(data.get("retired_aliases", []), items)
    return SeedResult(
        cpv_created, families_created, families_updated, items_created, items_updated, aliases_created, aliases_retired
    )


def _ensure_cpv_codes(data: dict[str, Any]) -> int:
    wanted: dict[str, dict[str, str]] = {}
    for row in [*data["families"], *data["items"]]:
        if row.get("cpv"):
            wanted[row["cpv"]["code"]] = row["cpv"]
    existing = set(CpvCode.objects.filter(code__in=wanted).values_list("code", flat=True))
    missing = [
        CpvCode(code=code, code_with_check_digit=cpv.get("code_with_check_digit", ""), label_fr=cpv["label_fr"])
        for code, cpv in sorted(wanted.items())
        if code not in existing
    ]
    CpvCode.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def _changed(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _upsert_families(rows: list[dict[str, Any]]) -> tuple[dict[str, Family], int, int]:
    existing = {f.code: f for f in Family.objects.filter(code__in=[r["code"] for r in rows])}
    created, updated = [], []
    for row in rows:
        values = {
            "name": row["name"],
            "nature": row.get("nature", "supplies"),
            "cpv_id": row["cpv"]["code"] if row.get("cpv") else None,
            "description": row.get("description", ""),
            "position": row.get("position", 0),
        }
        family = existing.get(row["code"])
        if family is None:
            created.append(Family(code=row["code"], **values))
        elif _changed(family, values):
            updated.append(family)
    Family.objects.bulk_create(created)
    if updated:
        Family.objects.bulk_update(updated, FAMILY_FIELDS)
    families = {f.code: f for f in Family.objects.filter(code__in=[r["code"] for r in rows])}
    return families, len(created), len(updated)


def _upsert_items(rows: list[dict[str, Any]], families: dict[str, Family]) -> tuple[dict[str, CatalogItem], int, int]:
    codes = [r["code"] for r in rows]
    existing = {i.code: i for i in CatalogItem.objects.filter(code__in=codes)}
    created, updated = [], []
    for row in rows:
        values = {
            "family_id": families[row["family"]].pk,
            "label": row["label"],
            "cpv_id": row["cpv"]["code"],
            "unit": row.get("unit", "unite"),
            "reference_unit_price_ht": Decimal(row["reference_unit_price_ht"]),
            "price_basis": row.get("price_basis", ""),
            "min_specs": row.get("min_specs", ""),
        }
        item = existing.get(row["code"])
        if item is None:
            created.append(CatalogItem(code=row["code"], **values))
        elif _changed(item, values):
            updated.append(item)
    CatalogItem.objects.bulk_create(created)
    if updated:
        now = timezone.now()  # bulk_update skips auto_now; the matching index cache keys on updated_at
        for item in updated:
            item.updated_at = now
        CatalogItem.objects.bulk_update(updated, [*ITEM_FIELDS, "updated_at"])
    items = {i.code: i for i in CatalogItem.objects.filter(code__in=codes)}
    return items, len(created), len(updated)


def _add_aliases(rows: list[dict[str, Any]], items: dict[str, CatalogItem]) -> int:
    existing = set(
        CatalogAlias.objects.filter(collectivity__isnull=True, item__in=items.values()).values_list(
            "item_id", "normalized"
        )
    )
    new = []
    for row in rows:
        item = items[row["code"]]
        for text in row.get("aliases", []):
            normalized = matching.normalise(text)[:300]
            if not normalized or (item.pk, normalized) in existing:
                continue
            existing.add((item.pk, normalized))
            new.append(CatalogAlias(item=item, text=text[:300], normalized=normalized, status=AliasStatus.ACCEPTED))
    CatalogAlias.objects.bulk_create(new)
    return len(new)


def _retire_aliases(rows: list[dict[str, Any]], items: dict[str, CatalogItem]) -> int:
    """Delete the global aliases the seed withdrew (by item code and normalised text), each with an audit row
    ``catalog_alias.retire`` giving the reason; three queries whatever their number."""
    wanted = Q()
    reasons: dict[tuple[int, str], str] = {}
    for row in rows:
        item = items.get(row["item"])
        if item is not None:
            normalized = matching.normalise(row["text"])[:300]
            wanted |= Q(item=item, normalized=normalized)
            reasons[(item.pk, normalized)] = row.get("reason", "")
    if not wanted:
        return 0
    retired = list(CatalogAlias.objects.filter(wanted, collectivity__isnull=True).select_related("item"))
    if not retired:
        return 0
    audit_record_many(
        actor=None,
        action="catalog_alias.retire",
        changes=[
            (
                alias,
                None,
                snapshot(alias, ALIAS_AUDIT_FIELDS),
                {"reason": reasons.get((alias.item_id, alias.normalized), "")},
            )
            for alias in retired
        ],
    )
    CatalogAlias.objects.filter(pk__in=[alias.pk for alias in retired]).delete()
    return len(retired)
