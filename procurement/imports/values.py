"""Reading one cell as users type it: French dates and numbers, unit labels, UAI codes, line identifiers.

Pure module (no ORM). Each parser returns the clean value or raises `CellError` with a French message that says
what is wrong and what to type instead.
"""

import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from procurement.imports.headers import normalise
from procurement.models import MAX_QUANTITY, Unit

MAX_TEXT_LENGTH = 1000
MAX_BUDGET = Decimal("999999999999.99")  # NeedLine.budget_ht: 14 digits, 2 decimals
EXAMPLE_MARKER = "exemple"
SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
UAI = re.compile(r"(?<![0-9A-Za-z])(\d{7}[A-Za-z])(?![0-9A-Za-z])")

MONTHS = {
    "janvier": 1,
    "janv": 1,
    "jan": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "mar": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][\d:.]+)?$")
FRENCH_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?: [\d:]+)?$")
MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
WORDS_DATE = re.compile(r"^(?:(\d{1,2}|1er) )?([a-z]+) (\d{4})$")

UNIT_SYNONYMS = {
    "u": Unit.UNIT,
    "un": Unit.UNIT,
    "unit": Unit.UNIT,
    "piece": Unit.UNIT,
    "pce": Unit.UNIT,
    "pc": Unit.UNIT,
    "ex": Unit.UNIT,
    "exemplaire": Unit.UNIT,
    "poste": Unit.UNIT,
    "lic": Unit.LICENCE,
    "license": Unit.LICENCE,
    "abo": Unit.SUBSCRIPTION,
    "j": Unit.DAY,
    "h": Unit.HOUR,
    "annee": Unit.YEAR,
    "m": Unit.METRE,
    "ml": Unit.METRE,
}
_UNITS = {**{normalise(u.value): u for u in Unit}, **{normalise(u.label): u for u in Unit}, **UNIT_SYNONYMS}


class CellError(ValueError):
    """The cell cannot be read; `message` tells the user what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value: object) -> str:
    """The value as the user sees it, for error messages."""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text if len(text) <= 60 else text[:57] + "…"


def parse_text(value: object) -> str:
    if is_blank(value):
        raise CellError("La désignation du besoin est obligatoire : décrivez le besoin en clair.")
    text = shown(value) if isinstance(value, float | int) else str(value).strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise CellError(
            f"La désignation fait {len(text)} caractères : raccourcissez-la à {MAX_TEXT_LENGTH} caractères au plus."
        )
    return text


def _decimal(value: object) -> Decimal:
    """« 1 200 », « 1 200,50 », « 1.200,50 », « 1,200.50 », « 12,5 € » → Decimal; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    text = SPACES.sub("", str(value)).lower()
    for suffix in ("eurosht", "euroht", "€ht", "eurht", "ht", "euros", "euro", "eur", "€"):
        text = text.removesuffix(suffix)
    text = text.removeprefix("€")
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif text.count(".") > 1:
        text = text.replace(".", "")
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        raise ValueError(value)
    return Decimal(text)


def parse_quantity(value: object) -> int:
    if is_blank(value):
        raise CellError("La quantité est obligatoire : saisissez un nombre entier de 1 à 1 000 000.")
    try:
        number = _decimal(value)
    except (ValueError, InvalidOperation):
        raise CellError(
            f"La quantité « {shown(value)} » n'est pas un nombre : saisissez un nombre entier de 1 à 1 000 000, "
            "sans unité."
        ) from None
    if number != number.to_integral_value():
        raise CellError(
            f"La quantité « {shown(value)} » n'est pas un nombre entier : indiquez un nombre entier d'unités "
            "(arrondissez, ou changez d'unité)."
        )
    if not 1 <= number <= MAX_QUANTITY:
        raise CellError(f"La quantité « {shown(value)} » doit être comprise entre 1 et 1 000 000.")
    return int(number)


def parse_budget(value: object) -> Decimal | None:
    if is_blank(value):
        return None
    try:
        amount = _decimal(value).quantize(Decimal("0.01"))
    except (ValueError, InvalidOperation):
        raise CellError(
            f"Le budget « {shown(value)} » n'est pas un montant : écrivez un nombre en euros hors taxes, "
            "par exemple 1 250,50."
        ) from None
    if amount < 0:
        raise CellError(f"Le budget « {shown(value)} » est négatif : indiquez un montant positif ou laissez vide.")
    if amount > MAX_BUDGET:
        raise CellError(f"Le budget « {shown(value)} » est trop élevé : vérifiez le montant (en euros HT).")
    return amount


def parse_date(value: object) -> date | None:
    """Excel dates, « 12/03/2026 », « 12-03-2026 », « 2026-03-12 », « 03/2026 », « mars 2026 » (first day)."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        if isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
            return date(1899, 12, 30) + timedelta(days=int(value))  # an Excel serial number without date format
        text = str(value).strip()
        found = _parse_date_text(text) or _parse_date_text(normalise(text))
    except ValueError:
        found = None
    if found is None:
        raise CellError(
            f"La date « {shown(value)} » n'est pas reconnue : écrivez-la au format JJ/MM/AAAA "
            "(par exemple 15/03/2027) ou en toutes lettres (« mars 2027 »)."
        )
    return found


def _parse_date_text(text: str) -> date | None:
    if match := ISO_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
        return date(year, month, day)
    if match := FRENCH_DATE.match(text):
        day, month, year = (int(g) for g in match.groups())
        return date(year + 2000 if year < 100 else year, month, day)
    if match := MONTH_YEAR.match(text):
        month, year = (int(g) for g in match.groups())
        return date(year, month, 1)
    if match := WORDS_DATE.match(text):
        day, month_name, year = match.groups()
        month = MONTHS.get(month_name)
        if month is None:
            return None
        return date(int(year), month, 1 if day in (None, "1er") else int(day))
    return None


def parse_unit(value: object) -> str:
    if is_blank(value):
        return Unit.UNIT
    return _unit(str(value))


@lru_cache(maxsize=1024)
def _unit(value: str) -> str:
    key = normalise(value)
    unit = _UNITS.get(key) or _UNITS.get(key.removesuffix("s"))
    if unit is None:
        allowed = ", ".join(str(u.label) for u in Unit)
        raise CellError(f"L'unité « {shown(value)} » n'est pas reconnue : choisissez-en une dans la liste ({allowed}).")
    return str(unit)


def parse_uai(value: object) -> str | None:
    """The UAI code in « 0350001A — École Jules Ferry » or « 0350001a »; None when the cell names no code."""
    if is_blank(value):
        return None
    match = UAI.search(str(value))
    return match.group(1).upper() if match else None


def parse_uuid(value: object) -> uuid.UUID | None:
    if is_blank(value):
        return None
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise CellError(
            f"L'identifiant de ligne « {shown(value)} » n'est pas valide : ne modifiez pas cette colonne "
            "(videz la cellule pour créer une nouvelle ligne)."
        ) from None


def is_example(identifier: object, text: object) -> bool:
    """The template's example row: marked « EXEMPLE » in the identifier column or at the start of the text."""
    if isinstance(identifier, str) and normalise(identifier) == EXAMPLE_MARKER:
        return True
    if not isinstance(text, str) or text.lstrip()[:1] not in ("e", "E", "é", "É"):
        return False
    return normalise(text[:20]).split()[:1] == [EXAMPLE_MARKER]


@lru_cache(maxsize=65536)
def text_key(text: str) -> str:
    """The text as compared for idempotence: accents, case, punctuation and spacing do not count."""
    return normalise(text)
