"""The columns of a needs file and the recognition of the headers that real users write.

Pure module (no ORM): the Excel writers and the import share the same column list, so a file exported from
Mutualis is always recognised on import.
"""

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float
    help: str
    aliases: tuple[str, ...] = ()
    required: bool = False


UUID, TEXT, QUANTITY, UNIT, SITE, FAMILY, DATE, BUDGET = (
    "uuid",
    "text",
    "quantity",
    "unit",
    "site",
    "family",
    "date",
    "budget",
)

COLUMNS: tuple[Column, ...] = (
    Column(
        UUID,
        "Identifiant Mutualis",
        38,
        "Colonne masquée : identifie une ligne déjà enregistrée. Ne la modifiez pas ; laissez-la vide pour une "
        "nouvelle ligne.",
        ("identifiant", "identifiant mutualis", "identifiant de ligne", "id", "uuid", "id ligne", "ref mutualis"),
    ),
    Column(
        TEXT,
        "Désignation du besoin",
        60,
        "Obligatoire. Le besoin en clair, tel que vous l'écririez (1 000 caractères au plus).",
        (
            "designation",
            "designation du besoin",
            "libelle",
            "libelle du besoin",
            "description",
            "description du besoin",
            "besoin",
            "besoin exprime",
            "intitule",
            "objet",
            "materiel",
            "produit",
            "article",
        ),
        required=True,
    ),
    Column(
        QUANTITY,
        "Quantité",
        12,
        "Obligatoire. Un nombre entier de 1 à 1 000 000.",
        (
            "quantite",
            "quantites",
            "quantite demandee",
            "quantite souhaitee",
            "qte",
            "qt",
            "qty",
            "nb",
            "nbre",
            "nombre",
        ),
        required=True,
    ),
    Column(
        UNIT,
        "Unité",
        14,
        "Choisissez dans la liste ; « unité » si vide.",
        ("unite", "unites", "u", "unite de mesure", "unite de commande"),
    ),
    Column(
        SITE,
        "Site de livraison (UAI — nom)",
        50,
        "Choisissez l'établissement dans la liste, ou indiquez son code UAI. Vide : livraison centrale.",
        (
            "site",
            "site de livraison",
            "uai",
            "code uai",
            "rne",
            "code rne",
            "etablissement",
            "code etablissement",
            "ecole",
            "lieu de livraison",
        ),
    ),
    Column(
        FAMILY,
        "Famille (facultatif)",
        34,
        "Facultatif, à titre indicatif : la famille d'achat du catalogue. Mutualis rapproche lui-même chaque "
        "besoin du catalogue.",
        ("famille", "famille homogene", "famille d achat", "categorie"),
    ),
    Column(
        DATE,
        "Date de livraison souhaitée",
        16,
        "Facultatif. Au format JJ/MM/AAAA, au plus tôt à l'ouverture de la campagne.",
        (
            "date",
            "date souhaitee",
            "date de livraison",
            "date de livraison souhaitee",
            "livraison souhaitee",
            "date de besoin",
            "echeance",
        ),
    ),
    Column(
        BUDGET,
        "Budget HT (€)",
        16,
        "Facultatif. Le budget que vous prévoyez, hors taxes, en euros.",
        (
            "budget",
            "budget ht",
            "budget ht euros",
            "budget estime",
            "budget previsionnel",
            "montant",
            "montant ht",
            "montant estime",
            "cout estime",
        ),
    ),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
REQUIRED = tuple(column.key for column in COLUMNS if column.required)

# Columns that Mutualis adds to its exports for reading only; ignored on import (checked before the aliases,
# so that « Article du catalogue » is not taken for the designation).
EXPORT_ONLY_HEADERS: tuple[str, ...] = (
    "Collectivité",
    "Article du catalogue",
    "Rapprochement",
    "Valeur estimée HT (€)",
)

# A prefix match (« Quantité demandée en 2027 » → quantité) is tried only for aliases at least this long.
PREFIX_MIN_LENGTH = 4


def normalise(text: object) -> str:
    """« Qté* », « QUANTITÉ », « quantité » → « qte », « quantite »: no accents, case, punctuation or extra spaces."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


_ALIASES = {normalise(alias): column.key for column in COLUMNS for alias in (column.header, *column.aliases)}
_IGNORED = {normalise(header) for header in EXPORT_ONLY_HEADERS}


@dataclass
class HeaderMap:
    """Where each recognised field sits in a header row (0-based indexes) and what the user called it."""

    columns: dict[str, int]
    labels: dict[str, str]
    unknown: list[str]

    @property
    def missing(self) -> list[str]:
        return [key for key in REQUIRED if key not in self.columns]

    def score(self) -> int:
        return len(self.columns)


def recognise(cells: tuple | list) -> HeaderMap:
    """Map a header row to fields: exact aliases first, then aliases the header starts with; first column wins."""
    names = [normalise(cell) for cell in cells]
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        key = _ALIASES.get(name)
        if key and key not in columns and name not in _IGNORED:
            columns[key] = index
    for index, name in enumerate(names):
        if not name or name in _IGNORED or index in columns.values():
            continue
        for alias, key in _ALIASES.items():
            if key not in columns and len(alias) >= PREFIX_MIN_LENGTH and name.startswith(alias + " "):
                columns[key] = index
                break
    taken = set(columns.values())
    unknown = [
        str(cells[i]).strip() for i, name in enumerate(names) if name and i not in taken and name not in _IGNORED
    ]
    labels = {key: str(cells[index]).strip() for key, index in columns.items()}
    return HeaderMap(columns=columns, labels=labels, unknown=unknown)
