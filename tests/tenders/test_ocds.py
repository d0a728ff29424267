"""The OCDS release package validates offline against OCDS 1.1.5 (and the lots and process title extensions)."""

import copy
import json
from pathlib import Path

import pytest
from django.urls import reverse

SCHEMAS = Path("/work/shared/data/schemas")
CORE = SCHEMAS / "ocds-1.1.5"
RELEASE_URL = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"

jsonschema = pytest.importorskip("jsonschema")
referencing = pytest.importorskip("referencing")
pytestmark = pytest.mark.skipif(
    not (CORE / "release-package-schema.json").exists(), reason="OCDS 1.1.5 schema files are not available"
)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _merge_patch(target, patch):
    """RFC 7386 JSON Merge Patch, as OCDS extensions are applied."""
    if not isinstance(patch, dict):
        return patch
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_patch(result.get(key), value)
    return result


def _validator(release_schema: dict):
    from referencing.jsonschema import DRAFT4

    resource = referencing.Resource.from_contents(release_schema, default_specification=DRAFT4)
    registry = referencing.Registry().with_resource(RELEASE_URL, resource)
    package_schema = _load(CORE / "release-package-schema.json")
    return jsonschema.Draft4Validator(
        package_schema, registry=registry, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def _errors(validator, package) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(package)]


@pytest.fixture
def package(client, publication):
    response = client.get(reverse("tenders:demand_ocds", args=[publication.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_ocds_package_validates_against_the_core_schema(package):
    assert _errors(_validator(_load(CORE / "release-schema.json")), package) == []


def test_ocds_package_validates_with_the_lots_and_title_extensions(package):
    extensions = [
        SCHEMAS / "ocds-extensions" / name / "release-schema.json"
        for name in ("submissionTerms", "lots", "process_title")
    ]
    if not all(p.exists() for p in extensions):
        pytest.skip("OCDS extension schemas are not available")
    schema = _load(CORE / "release-schema.json")
    for path in extensions:
        schema = _merge_patch(schema, _load(path))

    assert _errors(_validator(schema), package) == []


def test_ocds_release_maps_the_grouping(package):
    release = package["releases"][0]
    parties = {p["name"]: p["roles"] for p in release["parties"]}

    assert release["tag"] == ["planning"]
    assert release["ocid"].endswith("-GC-35-2027-001")
    assert parties == {
        "Ille-et-Vilaine": ["procuringEntity", "buyer"],
        "Bruz": ["buyer"],
        "Cesson-Sévigné": ["buyer"],
    }
    assert release["tender"]["procuringEntity"]["name"] == "Ille-et-Vilaine"
    assert release["tender"]["status"] == "planning"
    assert [lot["id"] for lot in release["tender"]["lots"]] == ["1", "2"]
    items = {
        i["description"]: (i["quantity"], i["classification"]["id"], i["relatedLot"])
        for i in release["tender"]["items"]
    }
    assert items == {
        "Ordinateur portable 14 pouces": (942, "30213100", "1"),
        "Tablette tactile 10 pouces": (3348, "30213200", "1"),
        "Vidéoprojecteur interactif": (440, "38652120", "2"),
    }
    milestones = {m["id"]: m["dueDate"][:10] for m in release["planning"]["milestones"]}
    assert milestones == {
        "lancement-consultation": "2027-03-01",
        "debut-livraisons": "2027-07-01",
        "fin-livraisons": "2027-08-31",
    }
