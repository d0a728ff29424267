"""Import of the reference data: collectivités (Etalab / INSEE / DGCL) and schools (MENJ) from open-data CSV files.

Pure of command plumbing: the management commands `import_collectivites` and `import_etablissements` and
`load_builtin_territory` (the demo territory shipped in `procurement.demo_data`) all go through the same
functions below. File layouts are described in /work/shared/data/PROVENANCE.md §2–3.

Invariants:
- every file is read and its columns checked before anything is written; one transaction per file;
- upserts are idempotent: régions, départements and communes are keyed on (kind, INSEE code), EPCI on SIREN,
  sites on UAI; a second run with the same files creates and updates nothing;
- rows with an invalid identifier (UAI, EPCI SIREN) or an unknown parent are skipped and counted, never fatal;
- fields the files do not carry (an EPCI's `has_school_competence`, a site's pupils when absent) are left alone.
"""

import csv
import io
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from procurement.errors import DomainError
from procurement.models import Collectivity, CollectivityKind, Site, SiteKind
from procurement.validators import is_valid_siren, is_valid_uai

Progress = Callable[[str], None]
Rows = list[dict[str, str]]

REGIONS_FILE = "regions.csv"
DEPARTEMENTS_FILE = "departements.csv"
EPCI_FILE = "epci.csv"
COMMUNES_FILE = "communes.csv"
COLLEGES_FILE = "colleges_france.csv"
LYCEES_FILE = "lycees_france.csv"
ANNUAIRE_PATTERNS = ("*annuaire_education*.csv", "*annuaire-education*.csv")

REQUIRED_COLUMNS = {
    REGIONS_FILE: ("code_insee", "nom", "siren"),
    DEPARTEMENTS_FILE: ("code_insee", "nom", "region_code", "siren"),
    EPCI_FILE: ("siren", "nom"),
    COMMUNES_FILE: (
        "code_insee",
        "nom",
        "type",
        "departement_code",
        "region_code",
        "siren",
        "population",
        "epci_siren",
    ),
    COLLEGES_FILE: (
        "numero_uai",
        "appellation_officielle",
        "secteur_public_prive_libe",
        "code_postal_uai",
        "libelle_commune",
        "code_commune",
        "code_departement",
    ),
    LYCEES_FILE: ("uai", "nom", "ville", "code_postal", "pays", "departement_code"),
    "annuaire": (
        "Identifiant_de_l_etablissement",
        "Nom_etablissement",
        "Type_etablissement",
        "Statut_public_prive",
        "Code_commune",
        "Nom_commune",
        "Code_departement",
    ),
}

CURRENT_COMMUNE = "commune-actuelle"
# Paris, Lyon and Marseille are split into arrondissements municipaux, which are not collectivités: schools
# located in one belong to the commune itself.
_ARRONDISSEMENT_PARENTS = (
    (re.compile(r"751\d\d"), "75056"),
    (re.compile(r"6938\d"), "69123"),
    (re.compile(r"132\d\d"), "13055"),
)
# Collectivités whose territory has no département or région of its own (CGCT): Collectivité de Corse,
# collectivités territoriales uniques of Martinique and Guyane hold the collège competence; the Département of
# Mayotte holds the lycée competence; the Métropole de Lyon holds the collège competence on its territory.
_COLLEGES_OWNED_BY_REGION = {"2A", "2B", "972", "973"}
_LYCEES_OWNED_BY_DEPARTEMENT = {"976"}
METROPOLE_DE_LYON_SIREN = "200046977"

BATCH_SIZE = 1000


class ReferenceDataError(DomainError):
    """A reference file is missing, unreadable or lacks a column; the message (French) says which and why."""

    code = "reference_data_error"


KIND_LABELS = {
    "regions": "Régions",
    "departements": "Départements",
    "epci": "EPCI",
    "communes": "Communes",
    "colleges": "Collèges",
    "lycees": "Lycées",
    "ecoles": "Écoles",
}


@dataclass
class KindStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    # why rows were skipped, or imported without one of their values (e.g. an invalid SIREN), with counts
    reasons: Counter = field(default_factory=Counter)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.reasons[reason] += 1

    def note(self, reason: str) -> None:
        self.reasons[reason] += 1


@dataclass
class ImportReport:
    stats: dict[str, KindStats] = field(default_factory=dict)
    extra_warnings: list[str] = field(default_factory=list)

    def kind(self, key: str) -> KindStats:
        return self.stats.setdefault(key, KindStats())

    @property
    def created(self) -> int:
        return sum(s.created for s in self.stats.values())

    @property
    def updated(self) -> int:
        return sum(s.updated for s in self.stats.values())

    @property
    def skipped(self) -> int:
        return sum(s.skipped for s in self.stats.values())

    @property
    def warnings(self) -> list[str]:
        lines = list(self.extra_warnings)
        for key, stats in self.stats.items():
            label = KIND_LABELS.get(key, key)
            lines += [f"{label} : {_number(count)} × {reason}" for reason, count in sorted(stats.reasons.items())]
        return lines

    def merge(self, other: "ImportReport") -> None:
        for key, stats in other.stats.items():
            mine = self.kind(key)
            mine.created += stats.created
            mine.updated += stats.updated
            mine.unchanged += stats.unchanged
            mine.skipped += stats.skipped
            mine.reasons.update(stats.reasons)
        self.extra_warnings += other.extra_warnings

    def __str__(self) -> str:
        lines = [
            _(
                "%(label)s — créations : %(created)s, mises à jour : %(updated)s, sans changement : %(unchanged)s, "
                "lignes ignorées : %(skipped)s."
            )
            % {
                "label": KIND_LABELS.get(key, key),
                "created": _number(s.created),
                "updated": _number(s.updated),
                "unchanged": _number(s.unchanged),
                "skipped": _number(s.skipped),
            }
            for key, s in self.stats.items()
        ]
        warnings = self.warnings
        if warnings:
            lines.append(_("Avertissements :"))
            lines += [f"  - {line}" for line in warnings]
        return "\n".join(lines)


# --- Reading files -----------------------------------------------------------------------------------------------


def read_csv(path: Path, required: Iterable[str]) -> Rows:
    """All rows of a UTF-8 CSV file (with or without BOM, `,` or `;` separated), after checking its columns."""
    if not path.is_file():
        raise ReferenceDataError(_("Fichier introuvable : %(path)s.") % {"path": path})
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(
            _(
                "%(name)s n'est pas un fichier CSV encodé en UTF-8 (octet invalide en position %(position)s). "
                "Réenregistrez-le en UTF-8."
            )
            % {"name": path.name, "position": exc.start}
        ) from exc
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        columns = [name.strip() for name in reader.fieldnames or []]
        check_columns(path.name, columns, required)
        reader.fieldnames = columns
        return list(reader)
    except csv.Error as exc:
        raise ReferenceDataError(
            _("%(name)s n'est pas un fichier CSV lisible : %(error)s.") % {"name": path.name, "error": exc}
        ) from exc


def check_columns(name: str, columns: Iterable[str], required: Iterable[str]) -> None:
    present = set(columns)
    missing = [column for column in required if column not in present]
    if missing:
        raise ReferenceDataError(
            _("%(name)s : colonne(s) obligatoire(s) absente(s) : %(columns)s.")
            % {"name": name, "columns": ", ".join(missing)}
        )


def reference_folder(data_dir: Path, name: str) -> Path:
    """`<data_dir>/reference/<name>`, or `<data_dir>/<name>` when data_dir already points at `reference/`."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ReferenceDataError(_("Dossier des données de référence introuvable : %(path)s.") % {"path": data_dir})
    for folder in (data_dir / "reference" / name, data_dir / name):
        if folder.is_dir():
            return folder
    raise ReferenceDataError(
        _("Sous-dossier « reference/%(name)s » introuvable dans %(path)s.") % {"name": name, "path": data_dir}
    )


# --- Collectivités -----------------------------------------------------------------------------------------------


@dataclass
class CollectiviteSources:
    regions: Rows
    departements: Rows
    epci: Rows
    communes: Rows


def import_collectivites(
    data_dir: Path, *, departements: list[str] | None = None, progress: Progress | None = None
) -> ImportReport:
    """Upsert régions, départements, EPCI and communes from `<data_dir>/reference/collectivites/*.csv`.

    `departements` (codes such as "35") restricts communes and EPCI (those with a member commune there);
    régions and départements are always all imported.
    """
    folder = reference_folder(data_dir, "collectivites")
    sources = CollectiviteSources(
        *(
            read_csv(folder / name, REQUIRED_COLUMNS[name])
            for name in (REGIONS_FILE, DEPARTEMENTS_FILE, EPCI_FILE, COMMUNES_FILE)
        )
    )
    return import_collectivite_rows(sources, departements=departements, progress=progress)


def import_collectivite_rows(
    sources: CollectiviteSources, *, departements: list[str] | None = None, progress: Progress | None = None
) -> ImportReport:
    report = ImportReport()
    say = progress or (lambda message: None)
    wanted = {normalize_departement(code) for code in departements} if departements else None
    communes = [row for row in sources.communes if wanted is None or _dep(row["departement_code"]) in wanted]
    epci_in_scope = {row["epci_siren"].strip() for row in communes}

    _run(say, report, "regions", sources.regions, _import_regions)
    _run(say, report, "departements", sources.departements, _import_departements)
    epci_rows = [row for row in sources.epci if wanted is None or row["siren"].strip() in epci_in_scope]
    _run(say, report, "epci", epci_rows, _import_epci)
    _run(say, report, "communes", communes, _import_communes)
    return report


def _run(say: Progress, report: ImportReport, key: str, rows: Rows, importer: Callable[..., None], *args: Any) -> None:
    """One file: announce it, upsert it with `importer(rows, *args, stats)` in one transaction, print its counts."""
    label = KIND_LABELS[key]
    say(_("%(label)s : %(count)s lignes lues…") % {"label": label, "count": _number(len(rows))})
    stats = report.kind(key)
    before = (stats.created, stats.updated, stats.skipped)
    started = time.monotonic()
    with transaction.atomic():
        importer(rows, *args, stats)
    created, updated, skipped = (
        now - then for now, then in zip((stats.created, stats.updated, stats.skipped), before, strict=True)
    )
    say(
        _(
            "%(label)s — créations : %(created)s, mises à jour : %(updated)s, lignes ignorées : %(skipped)s "
            "(%(seconds).1f s)."
        )
        % {
            "label": label,
            "created": _number(created),
            "updated": _number(updated),
            "skipped": _number(skipped),
            "seconds": time.monotonic() - started,
        }
    )


def _import_regions(rows: Rows, stats: KindStats) -> None:
    incoming = {
        row["code_insee"].strip(): {"name": row["nom"].strip(), "siren": _siren(row, stats)}
        for row in rows
        if row["code_insee"].strip()
    }
    _upsert_collectivities(CollectivityKind.REGION, incoming, key_field="insee_code", stats=stats)


def _import_departements(rows: Rows, stats: KindStats) -> None:
    regions = _pk_by_insee(CollectivityKind.REGION)
    incoming = {}
    for row in rows:
        code = _dep(row["code_insee"])
        region = regions.get(row["region_code"].strip())
        if code and region is None:
            stats.note(_("région absente de la base (département importé sans région)"))
        if code:
            incoming[code] = {"name": row["nom"].strip(), "siren": _siren(row, stats), "region_id": region}
    _upsert_collectivities(CollectivityKind.DEPARTEMENT, incoming, key_field="insee_code", stats=stats)


def _import_epci(rows: Rows, stats: KindStats) -> None:
    incoming = {}
    for row in rows:
        siren = row["siren"].strip()
        if not is_valid_siren(siren):
            stats.skip(_("SIREN invalide (ligne ignorée)"))
            continue
        incoming[siren] = {"name": row["nom"].strip()[:200], "population": _int(row.get("population_municipale"))}
    _upsert_collectivities(CollectivityKind.EPCI, incoming, key_field="siren", stats=stats)


def _import_communes(rows: Rows, stats: KindStats) -> None:
    regions = _pk_by_insee(CollectivityKind.REGION)
    departements = _pk_by_insee(CollectivityKind.DEPARTEMENT)
    epcis = dict(Collectivity.objects.filter(kind=CollectivityKind.EPCI).values_list("siren", "pk"))
    incoming = {}
    for row in rows:
        if row["type"].strip() != CURRENT_COMMUNE:
            stats.skip(_("arrondissement municipal ou commune non actuelle (ligne ignorée)"))
            continue
        code = row["code_insee"].strip()
        departement = departements.get(_dep(row["departement_code"]))
        if departement is None:
            stats.skip(_("département absent de la base (importez d'abord departements.csv)"))
            continue
        epci_siren = row["epci_siren"].strip()
        epci = epcis.get(epci_siren)
        if epci_siren and epci is None:
            stats.note(_("EPCI absent de la base (commune importée sans EPCI)"))
        incoming[code] = {
            "name": row["nom"].strip()[:200],
            "siren": _siren(row, stats),
            "population": _int(row["population"]),
            "departement_id": departement,
            "region_id": regions.get(row["region_code"].strip()),
            "epci_id": epci,
        }
    _upsert_collectivities(CollectivityKind.COMMUNE, incoming, key_field="insee_code", stats=stats)


def _upsert_collectivities(kind: str, incoming: dict[str, dict[str, Any]], *, key_field: str, stats: KindStats) -> None:
    """Create or update the collectivités of one kind, matched on `key_field`, else on SIREN.

    The SIREN fallback adopts rows created by hand before the first import (no INSEE code yet). A SIREN already
    held by another collectivité (Paris is both commune and département under one SIREN) is not moved: the
    incoming row is imported without it, or skipped when the SIREN is its key.
    """
    by_key, by_siren = {}, {}
    for obj in Collectivity.objects.filter(kind=kind):
        if getattr(obj, key_field):
            by_key[getattr(obj, key_field)] = obj
        if obj.siren:
            by_siren[obj.siren] = obj
    siren_owner = dict(Collectivity.objects.exclude(siren=None).values_list("siren", "pk"))
    claimed: set[str] = set()
    to_create, to_update, fields = [], [], {key_field}
    for key, values in incoming.items():
        values = {key_field: key, **values}
        fields.update(values)
        siren = values.get("siren")
        obj = by_key.get(key)
        if obj is None and siren in by_siren and not getattr(by_siren[siren], key_field):
            obj = by_siren[siren]
        if siren:
            owner = siren_owner.get(siren)
            if siren in claimed or (owner is not None and (obj is None or owner != obj.pk)):
                if key_field == "siren":
                    stats.skip(_("SIREN déjà porté par une autre collectivité (ligne ignorée)"))
                    continue
                stats.note(_("SIREN déjà porté par une autre collectivité (importé sans SIREN)"))
                values["siren"] = obj.siren if obj is not None and obj.siren not in claimed else None
            if values["siren"]:
                claimed.add(values["siren"])
        if obj is None:
            to_create.append(Collectivity(kind=kind, **values))
        elif _assign_changes(obj, values):
            to_update.append(obj)
        else:
            stats.unchanged += 1
    Collectivity.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_update:
        Collectivity.objects.bulk_update(to_update, sorted(fields), batch_size=BATCH_SIZE)
    stats.created += len(to_create)
    stats.updated += len(to_update)


def _siren(row: dict[str, str], stats: KindStats) -> str | None:
    siren = row["siren"].strip()
    if siren and not is_valid_siren(siren):
        stats.note(_("SIREN invalide (importé sans SIREN)"))
        return None
    return siren or None


# --- Établissements ----------------------------------------------------------------------------------------------


@dataclass
class EtablissementSources:
    colleges: Rows
    lycees: Rows
    annuaires: list[tuple[str, Rows]]  # (file name, rows) for each Annuaire de l'éducation extract


def import_etablissements(
    data_dir: Path,
    *,
    departements: list[str] | None = None,
    include_private: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert collèges, lycées and écoles from `<data_dir>/reference/etablissements/`.

    The collectivités must be imported first: a school whose competent collectivité (commune or its EPCI for an
    école, département for a collège, région for a lycée) is not in the database is skipped and counted.
    Private schools are skipped unless `include_private`.
    """
    folder = reference_folder(data_dir, "etablissements")
    colleges = read_csv(folder / COLLEGES_FILE, REQUIRED_COLUMNS[COLLEGES_FILE])
    lycees = read_csv(folder / LYCEES_FILE, REQUIRED_COLUMNS[LYCEES_FILE])
    paths = sorted({path for pattern in ANNUAIRE_PATTERNS for path in folder.glob(pattern)})
    annuaires = [(path.name, read_csv(path, REQUIRED_COLUMNS["annuaire"])) for path in paths]
    report = import_etablissement_rows(
        EtablissementSources(colleges, lycees, annuaires),
        departements=departements,
        include_private=include_private,
        progress=progress,
    )
    if not annuaires:
        report.extra_warnings.append(
            _("Aucun fichier de l'Annuaire de l'éducation (*annuaire_education*.csv) : aucune école importée.")
        )
    return report


def import_etablissement_rows(
    sources: EtablissementSources,
    *,
    departements: list[str] | None = None,
    include_private: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    report = ImportReport()
    say = progress or (lambda message: None)
    wanted = {normalize_departement(code) for code in departements} if departements else None
    territory = _Territory.load()
    annuaire = {_uai(row): row for _name, rows in sources.annuaires for row in rows}

    def in_scope(code: str) -> bool:
        return wanted is None or _dep(code) in wanted

    colleges = [row for row in sources.colleges if in_scope(row["code_departement"])]
    _run(say, report, "colleges", colleges, _import_colleges, territory, annuaire, include_private)
    # 13 UAI are listed in both files (cités scolaires, collèges with a lycée unit): the MENJ file says collège.
    college_uais = {_uai(row, "numero_uai") for row in sources.colleges}
    lycees = [row for row in sources.lycees if in_scope(_lycee_departement(row, annuaire))]
    _run(say, report, "lycees", lycees, _import_lycees, territory, annuaire, college_uais, include_private)
    for name, rows in sources.annuaires:
        ecoles = [row for row in rows if row["Type_etablissement"].strip() == "Ecole"]
        ecoles = [row for row in ecoles if in_scope(row["Code_departement"])]
        if not ecoles and wanted is not None:
            # an extract of another département: nothing to read, and « 0 lignes lues » would look like a failure
            say(_("Annuaire de l'éducation : %(name)s (aucune école des départements demandés)") % {"name": name})
            continue
        say(_("Annuaire de l'éducation : %(name)s") % {"name": name})
        _run(say, report, "ecoles", ecoles, _import_ecoles, territory, include_private)
    return report


@dataclass
class _Commune:
    pk: int
    name: str
    epci_pk: int | None


@dataclass
class _Territory:
    """The collectivités already in the database, indexed for the school imports."""

    communes: dict[str, _Commune]
    commune_by_name: dict[tuple[str, str], str]  # (département code, normalized name) -> INSEE code
    departements: dict[str, tuple[int, int | None]]  # code -> (pk, région pk)
    school_epcis: set[int]  # EPCI that received the school competence
    metropole_de_lyon: int | None

    @classmethod
    def load(cls) -> "_Territory":
        communes, by_name, ambiguous = {}, {}, set()
        rows = Collectivity.objects.filter(kind=CollectivityKind.COMMUNE).exclude(insee_code="")
        for pk, code, name, epci, dep in rows.values_list(
            "pk", "insee_code", "name", "epci_id", "departement__insee_code"
        ):
            communes[code] = _Commune(pk, name, epci)
            key = (dep or "", normalize_name(name))
            if key in by_name:
                ambiguous.add(key)
            by_name[key] = code
        for key in ambiguous:
            del by_name[key]
        departements = {
            code: (pk, region)
            for pk, code, region in Collectivity.objects.filter(kind=CollectivityKind.DEPARTEMENT).values_list(
                "pk", "insee_code", "region_id"
            )
        }
        epcis = Collectivity.objects.filter(kind=CollectivityKind.EPCI)
        return cls(
            communes=communes,
            commune_by_name=by_name,
            departements=departements,
            school_epcis=set(epcis.filter(has_school_competence=True).values_list("pk", flat=True)),
            metropole_de_lyon=epcis.filter(siren=METROPOLE_DE_LYON_SIREN).values_list("pk", flat=True).first(),
        )

    def commune(self, code: str) -> _Commune | None:
        code = code.strip()
        for pattern, parent in _ARRONDISSEMENT_PARENTS:
            if pattern.fullmatch(code):
                code = parent
        return self.communes.get(code)


def _import_colleges(
    rows: Rows, territory: _Territory, annuaire: dict, include_private: bool, stats: KindStats
) -> None:
    incoming = {}
    for row in rows:
        uai = _uai(row, "numero_uai")
        is_public = row["secteur_public_prive_libe"].strip().lower() == "public"
        if not _school_passes(uai, is_public, include_private, stats):
            continue
        dep_code = _dep(row["code_departement"])
        departement = territory.departements.get(dep_code)
        if departement is None:
            stats.skip(_("département absent de la base (ligne ignorée)"))
            continue
        commune = territory.commune(row["code_commune"])
        if commune is None:
            stats.note(_("commune absente de la base (collège importé sans commune)"))
        if commune is not None and territory.metropole_de_lyon and commune.epci_pk == territory.metropole_de_lyon:
            competent = territory.metropole_de_lyon
        elif dep_code in _COLLEGES_OWNED_BY_REGION:
            competent = departement[1]
        else:
            competent = departement[0]
        if competent is None:
            stats.skip(_("collectivité compétente absente de la base (ligne ignorée)"))
            continue
        incoming[uai] = _site_values(
            SiteKind.COLLEGE,
            name=row["appellation_officielle"],
            commune=commune,
            city=row["libelle_commune"],
            postal_code=row["code_postal_uai"],
            competent=competent,
            is_public=is_public,
            pupils=_int(annuaire.get(uai, {}).get("Nombre_d_eleves")),
        )
    _upsert_sites(incoming, stats)


def _import_lycees(
    rows: Rows, territory: _Territory, annuaire: dict, college_uais: set[str], include_private: bool, stats: KindStats
) -> None:
    incoming = {}
    for row in rows:
        uai = _uai(row, "uai")
        if row["pays"].strip().upper() != "FR":
            stats.skip(_("lycée à l'étranger (ligne ignorée)"))
            continue
        if uai in college_uais:
            stats.skip(_("UAI déjà présent dans colleges_france.csv, importé comme collège (ligne ignorée)"))
            continue
        listed = annuaire.get(uai, {})
        # lycees_france.csv has no public/private column: the Annuaire says it when it lists the lycée, else the name.
        if listed.get("Statut_public_prive", "").strip():
            is_public = listed["Statut_public_prive"].strip().lower() == "public"
        else:
            is_public = "PRIVE" not in _fold(row["nom"]).upper()
        if not _school_passes(uai, is_public, include_private, stats):
            continue
        dep_code = _lycee_departement(row, annuaire)
        departement = territory.departements.get(dep_code)
        competent = None
        if departement is not None:
            competent = departement[0] if dep_code in _LYCEES_OWNED_BY_DEPARTEMENT else departement[1]
        if competent is None:
            stats.skip(_("département ou région absent de la base (ligne ignorée)"))
            continue
        commune = None
        if listed.get("Code_commune"):
            commune = territory.commune(listed["Code_commune"])
        if commune is None:
            code = territory.commune_by_name.get((dep_code, normalize_name(row["ville"])))
            commune = territory.communes.get(code) if code else None
        incoming[uai] = _site_values(
            SiteKind.LYCEE,
            name=row["nom"],
            commune=commune,
            city=row["ville"],
            postal_code=row["code_postal"],
            competent=competent,
            is_public=is_public,
            pupils=_int(listed.get("Nombre_d_eleves")),
        )
    _upsert_sites(incoming, stats)


def _import_ecoles(rows: Rows, territory: _Territory, include_private: bool, stats: KindStats) -> None:
    incoming = {}
    for row in rows:
        uai = _uai(row)
        is_public = row["Statut_public_prive"].strip().lower() != "privé"
        if not _school_passes(uai, is_public, include_private, stats):
            continue
        commune = territory.commune(row["Code_commune"])
        if commune is None:
            stats.skip(_("commune absente de la base (ligne ignorée)"))
            continue
        competent = commune.epci_pk if commune.epci_pk in territory.school_epcis else commune.pk
        incoming[uai] = _site_values(
            SiteKind.ECOLE,
            name=row["Nom_etablissement"],
            commune=commune,
            city=row["Nom_commune"],
            postal_code=row.get("Code postal") or row.get("Code_postal") or "",
            competent=competent,
            is_public=is_public,
            pupils=_int(row.get("Nombre_d_eleves")),
        )
    _upsert_sites(incoming, stats)


def _lycee_departement(row: dict[str, str], annuaire: dict[str, dict[str, str]]) -> str:
    """The département of a lycée.

    lycees_france.csv derives `departement_code` from the postal code, which lost its leading zero (Nice is
    "6000", hence "60" Oise) or is a CEDEX code. The Annuaire de l'éducation is authoritative when it lists the
    UAI; else the UAI itself starts with the département ("0350024L" → 35, "620…" → 2A, "720…" → 2B), except for
    the COM, whose UAI carries the académie (Saint-Martin shares 971 with Guadeloupe, Polynésie uses 984).
    """
    uai = _uai(row, "uai")
    listed = annuaire.get(uai, {}).get("Code_departement", "").strip()
    if listed:
        return _dep(listed)
    prefix, declared = uai[:3], _dep(row["departement_code"])
    if prefix in ("620", "720"):
        return "2A" if prefix == "620" else "2B"
    if prefix == "971" and declared in ("977", "978"):
        return declared
    if prefix.startswith("0") or prefix in ("971", "972", "973", "974", "976"):
        return _dep(prefix)
    return declared


def _school_passes(uai: str, is_public: bool, include_private: bool, stats: KindStats) -> bool:
    if not is_valid_uai(uai):
        stats.skip(_("code UAI invalide (ligne ignorée)"))
        return False
    if not is_public and not include_private:
        stats.skip(_("établissement privé (ligne ignorée, voir l'option --include-private)"))
        return False
    return True


def _site_values(
    kind: str,
    *,
    name: str,
    commune: _Commune | None,
    city: str,
    postal_code: str,
    competent: int,
    is_public: bool,
    pupils: int | None,
) -> dict[str, Any]:
    postal_code = postal_code.strip()
    if re.fullmatch(r"\d{4}", postal_code):  # lost its leading zero in a spreadsheet ("6000" for Nice)
        postal_code = "0" + postal_code
    values = {
        "kind": kind,
        "name": name.strip()[:200],
        "commune_id": commune.pk if commune else None,
        "city_name": (commune.name if commune else city.strip())[:200],
        "postal_code": postal_code if re.fullmatch(r"\d{5}", postal_code) else "",
        "competent_collectivity_id": competent,
        "is_public": is_public,
    }
    if pupils is not None:  # the files that do not count pupils must not erase a count from another file
        values["pupils"] = pupils
    return values


def _upsert_sites(incoming: dict[str, dict[str, Any]], stats: KindStats) -> None:
    existing = Site.objects.in_bulk(list(incoming), field_name="uai") if incoming else {}
    to_create, to_update, fields = [], [], set()
    for uai, values in incoming.items():
        fields.update(values)
        obj = existing.get(uai)
        if obj is None:
            to_create.append(Site(uai=uai, **values))
        elif _assign_changes(obj, values):
            to_update.append(obj)
        else:
            stats.unchanged += 1
    Site.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_update:
        Site.objects.bulk_update(to_update, sorted(fields), batch_size=BATCH_SIZE)
    stats.created += len(to_create)
    stats.updated += len(to_update)


# --- Built-in territory ------------------------------------------------------------------------------------------


def load_builtin_territory(progress: Progress | None = None) -> ImportReport:
    """Upsert the demo territory of `procurement.demo_data.ille_et_vilaine` through the real import paths."""
    from procurement.demo_data import ille_et_vilaine

    files = ille_et_vilaine.files()
    for name, rows in files.items():
        required = REQUIRED_COLUMNS.get(name, REQUIRED_COLUMNS["annuaire"])
        for row in rows:
            check_columns(name, row, required)
    report = import_collectivite_rows(
        CollectiviteSources(files[REGIONS_FILE], files[DEPARTEMENTS_FILE], files[EPCI_FILE], files[COMMUNES_FILE]),
        progress=progress,
    )
    annuaires = [(name, rows) for name, rows in files.items() if "annuaire" in name]
    report.merge(
        import_etablissement_rows(
            EtablissementSources(files[COLLEGES_FILE], files[LYCEES_FILE], annuaires), progress=progress
        )
    )
    return report


# --- Helpers -----------------------------------------------------------------------------------------------------


def normalize_departement(code: str) -> str:
    """ "35", "035" and "2a" → "35" and "2A"; "971" stays "971"; "1" → "01"."""
    code = code.strip().upper()
    if len(code) == 3 and code.startswith("0"):
        code = code[1:]
    if len(code) == 1 and code.isdigit():
        code = "0" + code
    return code


_dep = normalize_departement


def normalize_name(name: str) -> str:
    """A commune name for matching: no accents, case, CEDEX or punctuation ("ST-MALO CEDEX 2" → "saint malo")."""
    name = _fold(name).upper()
    name = re.sub(r"\bCEDEX\b.*$", "", name)
    name = re.sub(r"[^A-Z]+", " ", name).strip()
    name = re.sub(r"\b(ST|STE)\b", lambda m: "SAINT" if m.group(1) == "ST" else "SAINTE", name)
    return name.lower()


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _uai(row: dict[str, str], column: str = "Identifiant_de_l_etablissement") -> str:
    return row.get(column, "").strip().upper()


def _int(value: str | None) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _pk_by_insee(kind: str) -> dict[str, int]:
    return dict(Collectivity.objects.filter(kind=kind).exclude(insee_code="").values_list("insee_code", "pk"))


def _assign_changes(obj: models.Model, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _number(value: int) -> str:
    return f"{value:,}".replace(",", " ")
