"""OCDS 1.1 release package (planning stage) built from a publication's frozen snapshot. No ORM code.

Mapping (docs/anchors.md, table e): the coordinator is the `procuringEntity` and the lead `buyer`; every
member is a party with the role `buyer`; lots use the lots extension (`tender.lots`, `items.relatedLot`);
items are classified with CPV; the expected timeline goes into `planning.milestones`. Members are named
only: the snapshot carries no per-member figure, so neither does the release.
"""

import datetime
from typing import Any

EXTENSIONS = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_process_title_extension/master/extension.json",
]
CATEGORIES = {"supplies": "goods", "services": "services", "works": "works"}
COORDINATOR_ID = "coordonnateur"


def _datetime(value: str | None, tz: datetime.tzinfo) -> str | None:
    """OCDS wants date-times: a date becomes midnight, local time."""
    if not value:
        return None
    if "T" in value:
        return value
    return datetime.datetime.combine(datetime.date.fromisoformat(value), datetime.time.min, tzinfo=tz).isoformat()


def _parties(content: dict) -> list[dict]:
    coordinator = content["coordinator"]["name"]
    parties = [{"id": COORDINATOR_ID, "name": coordinator, "roles": ["procuringEntity", "buyer"]}]
    members = [name for name in content["members"]["names"] if name != coordinator]
    parties += [{"id": f"membre-{n}", "name": name, "roles": ["buyer"]} for n, name in enumerate(members, 1)]
    return parties


def _items(lot: dict) -> list[dict]:
    items = []
    for n, item in enumerate(lot["items"], 1):
        entry: dict[str, Any] = {
            "id": f"{lot['number']}-{n}",
            "description": item["label"],
            "quantity": item["quantity"],
            "unit": {"name": item["unit_label"]},
            "relatedLot": str(lot["number"]),
        }
        if item["cpv"]:
            entry["classification"] = {"scheme": "CPV", "id": item["cpv"], "description": item["cpv_label"]}
        elif lot.get("cpv"):
            entry["classification"] = {"scheme": "CPV", "id": lot["cpv"]["code"], "description": lot["cpv"]["label"]}
        items.append(entry)
    return items


def _milestones(timeline: dict, tz: datetime.tzinfo) -> list[dict]:
    wanted = [
        ("lancement-consultation", "Lancement prévu de la consultation", "preProcurement", "expected_launch_date"),
        ("debut-livraisons", "Début prévu des livraisons", "delivery", "expected_delivery_start"),
        ("fin-livraisons", "Fin prévue des livraisons", "delivery", "expected_delivery_end"),
    ]
    return [
        {"id": id_, "title": title, "type": type_, "dueDate": _datetime(timeline[key], tz), "status": "scheduled"}
        for id_, title, type_, key in wanted
        if timeline.get(key)
    ]


def release_package(
    *, publication_id: int, content: dict, package_uri: str, ocid_prefix: str, tz: datetime.tzinfo
) -> dict:
    ocid = f"{ocid_prefix}-{content['reference']}"
    timeline = content["timeline"]
    published = _datetime(timeline["published_at"], tz)
    coordinator = {"id": COORDINATOR_ID, "name": content["coordinator"]["name"]}
    release = {
        "ocid": ocid,
        "id": f"{ocid}-publication-{publication_id}",
        "date": published,
        "tag": ["planning"],
        "initiationType": "tender",
        "language": "fr",
        "title": content["title"],
        "description": content["summary"],
        "parties": _parties(content),
        "buyer": coordinator,
        "planning": {"milestones": _milestones(timeline, tz)},
        "tender": {
            "id": content["reference"],
            "title": content["title"],
            "description": content["summary"],
            "status": "planning",
            "mainProcurementCategory": CATEGORIES.get(content["nature"], "goods"),
            "procuringEntity": coordinator,
            "items": [item for lot in content["lots"] for item in _items(lot)],
            "lots": [
                {"id": str(lot["number"]), "title": lot["title"], "status": "planning"} for lot in content["lots"]
            ],
        },
    }
    return {
        "uri": package_uri,
        "version": "1.1",
        "extensions": EXTENSIONS,
        "publishedDate": published,
        "publisher": {"name": "Mutualis"},
        "releases": [release],
    }
