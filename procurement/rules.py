"""Procurement rules engine: estimated value, procedure band, publicity, small lots, accord-cadre checks.

Pure module: no ORM, no Django, Decimal only (never floats), frozen dataclasses in and out. Thresholds are
read from the dated table of `procurement.thresholds` on the launch date of the consultation.

Input conventions (documented for callers, e.g. the grouping pages):

- `Lot.estimated_value_ht` is the value of the lot for **one period**: the firm period of
  `duration_months` months. Each renewal (`renewals`) is a further period of the same length and value,
  so a lot is worth `value × (1 + renewals)` over the whole duration (R2121-1: renewals are counted).
- Lots sharing a label are one lot of the joint marché: give one `Lot` per member (`member=`) and the
  engine adds them up, so a grouping's value is the sum of all members' needs (L2113-6, R2121-1).
- `options_value_ht` is the value of all options over the whole duration; it is added to the total.
- For an accord-cadre, `framework_maximum_ht` replaces the lots in the total (R2121-8): it is the maximum
  per period (`framework_maximum_basis="period"`, multiplied by the number of periods) or for the whole
  duration (`"total"`). Options priced outside the maximum are still added; leave them at 0 otherwise.
- The small-lots test (R2123-1 2°) compares each lot's value over the whole duration with the sum of all
  lots over the whole duration (options not allocated to a lot are left out, which is the cautious side).

Every input amount is rounded to the cent (ROUND_HALF_UP) on entry; all further arithmetic is exact, so
the lots shown always add up to the total compared with the thresholds. This is not legal advice: see
docs/domain.md for the confidence of each rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from procurement.errors import DomainError
from procurement.thresholds import (
    NoThresholdKnown,
    ThresholdRow,
    ThresholdTable,
    format_date_fr,
    load_thresholds,
    threshold,
)

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(10) ** 12
MAX_DURATION_MONTHS = 600
MAX_RENEWALS = 50
MAX_LOTS = 200
# L2125-1 1°: four years for pouvoirs adjudicateurs, save duly justified exceptional cases.
FRAMEWORK_MAX_MONTHS = 48
# R2162-4 as amended by décret n° 2021-1111: a maximum is mandatory for consultations from this date.
FRAMEWORK_MAXIMUM_REQUIRED_FROM = date(2022, 1, 1)
# R2161-2 / R2161-3: open procedure, electronic submissions.
OPEN_PROCEDURE_MIN_DAYS = 30
NBSP = "\u00a0"


class Nature(StrEnum):
    SUPPLIES = "supplies"
    SERVICES = "services"
    WORKS = "works"


class BuyerKind(StrEnum):
    LOCAL = "local"
    CENTRAL = "central"


class Procedure(StrEnum):
    DISPENSE = "dispense"
    MAPA = "mapa"
    FORMALISEE = "formalisee"


class FrameworkBasis(StrEnum):
    PERIOD = "period"
    TOTAL = "total"


class ProfileDce(StrEnum):
    REQUIRED = "required"
    IF_NOTICE = "if_notice"
    NOT_REQUIRED = "not_required"


NATURE_LABELS = {Nature.SUPPLIES: "fournitures", Nature.SERVICES: "services", Nature.WORKS: "travaux"}
BUYER_KIND_LABELS = {
    BuyerKind.LOCAL: "collectivités et établissements locaux uniquement",
    BuyerKind.CENTRAL: "au moins une autorité publique centrale",
}
PROCEDURE_LABELS = {
    Procedure.DISPENSE: "Marché sans publicité ni mise en concurrence préalables",
    Procedure.MAPA: "Procédure adaptée (MAPA)",
    Procedure.FORMALISEE: "Procédure formalisée",
}


class RulesInputError(DomainError):
    """The input cannot be evaluated; `field` names the offending input, `message` is French."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str):
        super().__init__(message, field=field)


# ---------------------------------------------------------------------------------------------- data in


@dataclass(frozen=True)
class Lot:
    label: str
    estimated_value_ht: Decimal | str | int  # per period (see module docstring)
    member: str = ""


@dataclass(frozen=True)
class ProcedureInput:
    nature: str
    buyer_kind: str
    launch_date: date
    lots: Sequence[Lot]
    duration_months: int
    renewals: int = 0
    options_value_ht: Decimal | str | int = Decimal("0")
    framework_agreement: bool = False
    framework_maximum_ht: Decimal | str | int | None = None
    framework_maximum_basis: str = FrameworkBasis.PERIOD
    duration_justification: str = ""


# --------------------------------------------------------------------------------------------- data out


@dataclass(frozen=True)
class LotValue:
    label: str
    value_per_period_ht: Decimal
    total_value_ht: Decimal
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublicityItem:
    code: str
    label: str
    reference: str
    mandatory: bool = True


@dataclass(frozen=True)
class SmallLot:
    label: str
    total_value_ht: Decimal
    without_publicity: bool


@dataclass(frozen=True)
class ProcedureResult:
    total_value_ht: Decimal
    periods: int
    total_duration_months: int
    is_framework: bool
    members_count: int
    lots: tuple[LotValue, ...]
    procedure: Procedure
    publicity: tuple[PublicityItem, ...]
    dce_on_buyer_profile: ProfileDce
    small_lots: tuple[SmallLot, ...]
    small_lot_alternatives: tuple[SmallLot, ...]
    small_lots_cap_ht: Decimal | None
    min_deadline_days: int | None
    references: tuple[str, ...]
    explanation_sentences: tuple[str, ...]
    thresholds_used: tuple[ThresholdRow, ...]
    warnings: tuple[str, ...]

    @property
    def explanation(self) -> str:
        return " ".join(self.explanation_sentences)

    @property
    def procedure_label(self) -> str:
        return PROCEDURE_LABELS[self.procedure]


# ------------------------------------------------------------------------------------------- formatting


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def group_thousands(digits: str, separator: str = NBSP) -> str:
    """« 1234567 » → « 1 234 567 »: groups of three digits from the right."""
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return separator.join(groups)


def format_eur(
    amount: Decimal | int | float | str | None,
    *,
    decimals: int = 2,
    suffix: str = "HT",
    thousands: str = NBSP,
    empty: str = "",
) -> str:
    """French amount rounded half-up: `320 000,00 € HT`, always a non-breaking space before « € ».

    `decimals=0` gives `216 000 € HT`; `suffix=""` drops « HT »; `thousands` separates the digit groups
    (the pages use the narrow no-break space, the documents and this engine the no-break space). None and ""
    give `empty`. Anything that is not a finite number raises `InvalidOperation` (floats go through `str`, so
    2.675 is rounded as written).
    """
    if amount is None or amount == "":
        return empty
    value = Decimal(str(amount)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    integer, _, fraction = f"{abs(value):f}".partition(".")
    text = ("-" if value < 0 else "") + group_thousands(integer, thousands)
    if fraction:
        text += "," + fraction
    return f"{text}{NBSP}€" + (f"{NBSP}{suffix}" if suffix else "")


def format_threshold(row: ThresholdRow) -> str:
    if row.unit == "ratio":
        return f"{(row.value * 100).normalize():f}{NBSP}%"
    return format_eur(row.value, decimals=0 if row.value == row.value.to_integral_value() else 2)


# ------------------------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class _Clean:
    nature: Nature
    buyer_kind: BuyerKind
    launch_date: date
    lots: tuple[LotValue, ...]
    duration_months: int
    renewals: int
    options: Decimal
    is_framework: bool
    framework_maximum: Decimal | None
    framework_basis: FrameworkBasis
    justification: str

    @property
    def periods(self) -> int:
        return 1 + self.renewals


def _amount(value, field: str, *, allow_zero: bool) -> Decimal:
    if isinstance(value, (float, bool)):
        raise RulesInputError("Indiquez le montant sous forme décimale (texte), pas en nombre flottant.", field=field)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise RulesInputError(f"« {value} » n'est pas un montant valide.", field=field) from None
    if not amount.is_finite():
        raise RulesInputError(f"« {value} » n'est pas un montant valide.", field=field)
    if amount < 0:
        raise RulesInputError("Le montant ne peut pas être négatif.", field=field)
    amount = quantize(amount)  # euros are counted in cents: round each input once, then compute exactly
    if amount == 0 and not allow_zero:
        raise RulesInputError("Le montant doit être strictement positif.", field=field)
    if amount > MAX_AMOUNT:
        raise RulesInputError("Le montant dépasse 1 000 milliards d'euros : vérifiez la saisie.", field=field)
    return amount


def _integer(value, field: str, *, minimum: int, maximum: int, too_small: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesInputError("Indiquez un nombre entier.", field=field)
    if value < minimum:
        raise RulesInputError(too_small, field=field)
    if value > maximum:
        raise RulesInputError(f"La valeur ne peut pas dépasser {maximum} : vérifiez la saisie.", field=field)
    return value


def _choice(enum_cls, value, field: str, message: str):
    try:
        return enum_cls(value)
    except ValueError:
        raise RulesInputError(message, field=field) from None


def _aggregate_lots(lots: Sequence[Lot], periods: int) -> tuple[LotValue, ...]:
    """One LotValue per distinct label (case-insensitive): members' lines of the same lot are summed."""
    if not lots:
        raise RulesInputError("Indiquez au moins un lot avec son montant estimé.", field="lots")
    if len(lots) > MAX_LOTS:
        raise RulesInputError(f"Au plus {MAX_LOTS} lignes de lots sont acceptées.", field="lots")
    sums: dict[str, list] = {}
    for index, lot in enumerate(lots):
        value = _amount(lot.estimated_value_ht, f"lots.{index}.estimated_value_ht", allow_zero=False)
        label = (lot.label or "").strip() or f"Lot {index + 1}"
        entry = sums.setdefault(label.casefold(), [label, Decimal(0), []])
        entry[1] += value
        member = (lot.member or "").strip()
        if member and member not in entry[2]:
            entry[2].append(member)
    return tuple(
        LotValue(label, quantize(per_period), quantize(per_period * periods), tuple(members))
        for label, per_period, members in sums.values()
    )


def _validate(data: ProcedureInput) -> _Clean:
    nature = _choice(Nature, data.nature, "nature", "Nature inconnue : choisissez fournitures, services ou travaux.")
    buyer_kind = _choice(
        BuyerKind, data.buyer_kind, "buyer_kind", "Type d'acheteur inconnu : choisissez « local » ou « central »."
    )
    launch_date = data.launch_date
    if isinstance(launch_date, datetime):
        launch_date = launch_date.date()
    if not isinstance(launch_date, date):
        raise RulesInputError("Indiquez la date de lancement de la consultation.", field="launch_date")
    duration = _integer(
        data.duration_months, "duration_months", minimum=1, maximum=MAX_DURATION_MONTHS,
        too_small="La durée doit être d'au moins un mois.",
    )  # fmt: skip
    renewals = _integer(
        data.renewals, "renewals", minimum=0, maximum=MAX_RENEWALS,
        too_small="Le nombre de reconductions ne peut pas être négatif.",
    )  # fmt: skip
    options = _amount(data.options_value_ht or Decimal(0), "options_value_ht", allow_zero=True)
    maximum = None
    if data.framework_maximum_ht not in (None, ""):
        maximum = _amount(data.framework_maximum_ht, "framework_maximum_ht", allow_zero=False)
    basis = _choice(
        FrameworkBasis, data.framework_maximum_basis or FrameworkBasis.PERIOD, "framework_maximum_basis",
        "Base du maximum inconnue : « period » (par période) ou « total » (toute la durée).",
    )  # fmt: skip
    is_framework = bool(data.framework_agreement) or maximum is not None
    if is_framework and maximum is None and launch_date >= FRAMEWORK_MAXIMUM_REQUIRED_FROM:
        raise RulesInputError(
            "Un accord-cadre doit fixer un maximum en valeur ou en quantité (R2162-4 CCP, depuis le "
            "1er janvier 2022) : indiquez ce maximum.",
            field="framework_maximum_ht",
        )
    justification = (data.duration_justification or "").strip()
    total_months = duration * (1 + renewals)
    if is_framework and total_months > FRAMEWORK_MAX_MONTHS and not justification:
        raise RulesInputError(
            f"La durée totale de l'accord-cadre, reconductions comprises, est de {total_months} mois : elle ne "
            f"peut dépasser 48 mois (quatre ans) que dans un cas exceptionnel dûment justifié (L2125-1 CCP). "
            "Réduisez la durée ou indiquez la justification.",
            field="duration_months",
        )
    return _Clean(
        nature=nature,
        buyer_kind=buyer_kind,
        launch_date=launch_date,
        lots=_aggregate_lots(data.lots, 1 + renewals),
        duration_months=duration,
        renewals=renewals,
        options=options,
        is_framework=is_framework,
        framework_maximum=maximum,
        framework_basis=basis,
        justification=justification,
    )


# ---------------------------------------------------------------------------------------------- engine


class _Explanation:
    """Collects sentences, each closed with its sources, and the deduplicated list of references."""

    def __init__(self) -> None:
        self.sentences: list[str] = []
        self.references: list[str] = []

    def say(self, sentence: str, *refs: str) -> None:
        for ref in refs:
            if ref not in self.references:
                self.references.append(ref)
        suffix = f" ({' ; '.join(refs)})" if refs else ""
        self.sentences.append(f"{sentence}{suffix}.")


def _lookup(table: ThresholdTable, key: str, clean: _Clean) -> ThresholdRow:
    try:
        return threshold(table, key, clean.nature, clean.buyer_kind, clean.launch_date)
    except NoThresholdKnown as exc:
        raise RulesInputError(exc.message, field="launch_date") from exc


def _lots_word(lots: Sequence) -> str:
    return "Le lot" if len(lots) == 1 else "Les lots"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


def _estimate(clean: _Clean, why: _Explanation) -> tuple[Decimal, list[str]]:
    warnings = []
    lots_per_period = sum((lot.value_per_period_ht for lot in clean.lots), Decimal(0))
    lots_total = sum((lot.total_value_ht for lot in clean.lots), Decimal(0))
    if clean.renewals:
        periods = (
            f"{clean.periods} périodes de {clean.duration_months} mois "
            f"(période ferme et {_plural(clean.renewals, 'reconduction')})"
        )
    else:
        periods = f"une période ferme de {clean.duration_months} mois, sans reconduction"
    options = f", plus {format_eur(clean.options)} d'options" if clean.options else ""
    if clean.is_framework:
        assert clean.framework_maximum is not None
        if clean.framework_basis == FrameworkBasis.PERIOD:
            base = clean.framework_maximum * clean.periods
            how = f"{format_eur(clean.framework_maximum)} par période × {periods}"
        else:
            base = clean.framework_maximum
            how = "maximum fixé pour toute la durée"
        total = quantize(base + clean.options)
        why.say(f"La valeur estimée du besoin est de {format_eur(total)}")
        why.say(
            f"S'agissant d'un accord-cadre, elle correspond à son maximum sur toute sa durée ({how}){options}, "
            "ce maximum étant obligatoire",
            "R2121-8 CCP",
            "R2162-4 CCP",
        )
        if lots_total > quantize(base):
            warnings.append(
                f"Le total des lots sur la durée ({format_eur(lots_total)}) dépasse le maximum de l'accord-cadre "
                f"({format_eur(quantize(base))}) : les commandes ne pourront pas dépasser ce maximum."
            )
    else:
        total = quantize(lots_per_period * clean.periods + clean.options)
        why.say(f"La valeur estimée du besoin est de {format_eur(total)}")
        why.say(
            f"Elle additionne tous les lots ({_plural(len(clean.lots), 'lot')}, soit {format_eur(lots_per_period)} "
            f"par période) sur toute la durée, reconductions comprises : {periods}{options}",
            "R2121-1 CCP",
        )
    members = {member for lot in clean.lots for member in lot.members}
    if len(members) > 1:
        why.say(
            f"Pour un groupement de commandes, ce total additionne les besoins des {len(members)} membres : la "
            "procédure se détermine sur la valeur du marché passé conjointement, sans scinder le besoin",
            "L2113-6 CCP",
            "R2121-1 CCP",
            "R2121-4 CCP",
        )
    if total > MAX_AMOUNT:
        raise RulesInputError("La valeur totale dépasse 1 000 milliards d'euros : vérifiez la saisie.", field="lots")
    return total, warnings


def _band(total: Decimal, dispense: ThresholdRow, eu: ThresholdRow, clean: _Clean, why: _Explanation) -> Procedure:
    nature = NATURE_LABELS[clean.nature]
    on = format_date_fr(clean.launch_date)
    central = " des autorités publiques centrales" if eu.buyer_kind == BuyerKind.CENTRAL else ""
    if total < dispense.value:
        why.say(
            f"Elle est strictement inférieure au seuil de dispense de {format_threshold(dispense)} applicable aux "
            f"{nature} pour une consultation lancée le {on} : le marché peut être passé sans publicité ni mise en "
            "concurrence préalables, en choisissant une offre pertinente, en faisant une bonne utilisation des "
            "deniers publics et sans contracter systématiquement avec le même opérateur",
            dispense.source,
        )
        return Procedure.DISPENSE
    if total < eu.value:
        why.say(
            f"Elle atteint le seuil de dispense de {format_threshold(dispense)} ({dispense.source}) mais reste "
            f"inférieure au seuil européen de {format_threshold(eu)}{central} en vigueur le {on} : procédure adaptée "
            "(MAPA)",
            "R2123-1 1° CCP",
            eu.source,
        )
        return Procedure.MAPA
    why.say(
        f"Elle est égale ou supérieure au seuil européen de {format_threshold(eu)} applicable aux {nature}{central} "
        f"pour une consultation lancée le {on} : "
        "une procédure formalisée est obligatoire (appel d'offres, ou procédure avec négociation ou dialogue "
        "compétitif si leurs conditions sont remplies)",
        eu.source,
    )
    return Procedure.FORMALISEE


def _publicity(
    total: Decimal, procedure: Procedure, boamp: ThresholdRow, profile: ThresholdRow, why: _Explanation
) -> tuple[list[PublicityItem], ProfileDce]:
    items: list[PublicityItem] = []
    if procedure == Procedure.DISPENSE:
        items.append(PublicityItem("none", "Aucune publicité ni mise en concurrence obligatoires", "R2122-8 CCP"))
        why.say("Aucune publicité n'est obligatoire", "R2122-8 CCP")
    elif procedure == Procedure.FORMALISEE:
        items.append(PublicityItem("boamp", "Avis de marché au BOAMP", "R2131-16 CCP"))
        items.append(PublicityItem("joue", "Avis de marché au JOUE (formulaires eForms)", "R2131-16 CCP"))
        why.say(
            "Publicité : avis de marché au BOAMP et au Journal officiel de l'Union européenne, au format eForms",
            "R2131-16 CCP",
        )
    elif total >= boamp.value:
        items.append(PublicityItem("boamp_or_jal", "Avis de marché au BOAMP ou dans un JAL", boamp.source))
        why.say(
            f"La valeur atteignant {format_threshold(boamp)}, un avis de marché doit être publié au BOAMP ou dans un "
            "journal d'annonces légales, complété si nécessaire par la presse spécialisée",
            boamp.source,
        )
    else:
        items.append(PublicityItem("adapted", "Publicité adaptée, au choix de l'acheteur", boamp.source))
        why.say(
            f"La valeur étant inférieure à {format_threshold(boamp)}, la publicité est libre mais adaptée au marché "
            "(profil d'acheteur, site internet, presse locale…) : le support choisi et sa justification sont à "
            "consigner",
            boamp.source,
        )
    if total < profile.value:
        return items, ProfileDce.NOT_REQUIRED
    if procedure == Procedure.FORMALISEE or total >= boamp.value:
        items.append(PublicityItem("dce_profil_acheteur", "DCE gratuit sur le profil d'acheteur", profile.source))
        why.say(
            f"Un avis étant publié et la valeur atteignant {format_threshold(profile)}, le dossier de consultation "
            "doit être mis gratuitement en ligne sur le profil d'acheteur dès la publication de l'avis",
            profile.source,
        )
        return items, ProfileDce.REQUIRED
    items.append(
        PublicityItem(
            "dce_profil_acheteur",
            "DCE gratuit sur le profil d'acheteur si un avis d'appel à la concurrence est publié",
            profile.source,
            mandatory=False,
        )
    )
    why.say(
        f"La valeur atteignant {format_threshold(profile)}, le dossier de consultation doit être mis gratuitement en "
        "ligne sur le profil d'acheteur si un avis d'appel à la concurrence est publié",
        profile.source,
    )
    return items, ProfileDce.IF_NOTICE


def _small_lots(
    clean: _Clean, cap: ThresholdRow, share: ThresholdRow, dispense: ThresholdRow, why: _Explanation
) -> tuple[list[SmallLot], list[SmallLot], Decimal]:
    """R2123-1 2°: greedy from the smallest lots, which gives the largest admissible set of lots."""
    lots_total = sum((lot.total_value_ht for lot in clean.lots), Decimal(0))
    budget = share.value * lots_total  # exact: "n'excède pas 20 %"
    order = sorted(range(len(clean.lots)), key=lambda i: (clean.lots[i].total_value_ht, i))
    candidates = [clean.lots[i] for i in order if clean.lots[i].total_value_ht < cap.value]
    selected, alternatives, cumulated = [], [], Decimal(0)
    for lot in candidates:
        small = SmallLot(lot.label, lot.total_value_ht, lot.total_value_ht < dispense.value)
        if cumulated + lot.total_value_ht <= budget:
            selected.append(small)
            cumulated += lot.total_value_ht
        elif lot.total_value_ht <= budget:
            alternatives.append(small)
    refs = (cap.source, share.source)
    if not selected:
        why.say(
            f"Aucun lot ne remplit les conditions des « petits lots » (chaque lot inférieur à {format_threshold(cap)}, "
            f"montant cumulé au plus {format_threshold(share)} de la valeur totale des lots, soit "
            f"{format_eur(quantize(budget))}) : tous les lots suivent la procédure formalisée",
            *refs,
        )
        return selected, alternatives, quantize(budget)
    names = ", ".join(f"« {lot.label} » ({format_eur(lot.total_value_ht)})" for lot in selected)
    if len(selected) == 1:
        text = f"Petits lots : le lot {names} peut être passé en procédure adaptée, car il est inférieur à "
    else:
        text = f"Petits lots : les lots {names} peuvent être passés en procédure adaptée, car chacun est inférieur à "
    whose = "son montant" if len(selected) == 1 else "leur montant cumulé"
    why.say(
        f"{text}{format_threshold(cap)} et {whose} ({format_eur(cumulated)}) n'excède pas "
        f"{format_threshold(share)} de la valeur totale des lots, soit {format_eur(quantize(budget))}",
        *refs,
    )
    free = [lot for lot in selected if lot.without_publicity]
    if free:
        free_names = ", ".join(f"« {lot.label} »" for lot in free)
        verb = "peut même être attribué" if len(free) == 1 else "peuvent même être attribués"
        why.say(
            f"{_lots_word(free)} {free_names} {verb} sans publicité ni mise en concurrence préalables, "
            f"étant inférieur{'s' if len(free) > 1 else ''} à {format_threshold(dispense)}",
            dispense.source,
        )
    if alternatives:
        alt_names = ", ".join(f"« {lot.label} »" for lot in alternatives)
        verb = "remplit" if len(alternatives) == 1 else "remplissent"
        alone = "à lui seul" if len(alternatives) == 1 else "pris isolément"
        why.say(
            f"{_lots_word(alternatives)} {alt_names} {verb} aussi ces conditions {alone}, mais pas en même temps "
            "que la sélection ci-dessus : l'acheteur choisit les lots concernés",
            "R2123-1 2° CCP",
        )
    return selected, alternatives, quantize(budget)


def _framework_duration(clean: _Clean, why: _Explanation) -> None:
    months = clean.duration_months * clean.periods
    if months <= FRAMEWORK_MAX_MONTHS:
        why.say(f"La durée totale de l'accord-cadre ({months} mois) respecte la limite de quatre ans", "L2125-1 CCP")
    else:
        why.say(
            f"La durée totale de l'accord-cadre ({months} mois) dépasse quatre ans, ce qui n'est admis que dans un cas "
            f"exceptionnel dûment justifié (justification donnée : « {clean.justification} ») ; la justification "
            "doit figurer dans l'avis publié au JOUE, le cas échéant, et dans le rapport de présentation",
            "L2125-1 CCP",
        )


def evaluate(data: ProcedureInput, table: ThresholdTable | None = None) -> ProcedureResult:
    """Evaluate a planned consultation. Raises RulesInputError (field + French message) on invalid input."""
    table = table or load_thresholds()
    clean = _validate(data)
    keys = ("dispense", "eu_threshold", "publicity_boamp_jal", "profil_acheteur", "small_lot_cap", "small_lot_share")
    rows = {key: _lookup(table, key, clean) for key in keys}
    why = _Explanation()
    total, warnings = _estimate(clean, why)
    procedure = _band(total, rows["dispense"], rows["eu_threshold"], clean, why)
    if clean.buyer_kind == BuyerKind.CENTRAL and clean.nature != Nature.WORKS:
        warnings.append(
            "Une autorité publique centrale participe : le seuil européen applicable aux autorités centrales est "
            "retenu par prudence. Aucun texte consulté ne tranche ce cas pour un groupement mixte : faites-le vérifier."
        )
    publicity, profile_dce = _publicity(total, procedure, rows["publicity_boamp_jal"], rows["profil_acheteur"], why)
    min_days = None
    if procedure == Procedure.FORMALISEE:
        min_days = OPEN_PROCEDURE_MIN_DAYS
        why.say(
            f"En appel d'offres ouvert, le délai minimal de réception des offres est de {min_days} jours à compter "
            "de l'envoi de l'avis lorsque les offres sont transmises par voie électronique (35 jours sinon ; 15 jours "
            "avec un avis de préinformation ou en cas d'urgence dûment justifiée)",
            "R2161-2 CCP",
            "R2161-3 CCP",
        )
    elif procedure == Procedure.MAPA:
        why.say("En procédure adaptée, aucun délai minimal n'est fixé : le délai de réponse doit rester raisonnable")
    small, alternatives, cap = [], [], None
    if procedure == Procedure.FORMALISEE and len(clean.lots) > 1:
        small, alternatives, cap = _small_lots(
            clean, rows["small_lot_cap"], rows["small_lot_share"], rows["dispense"], why
        )
    else:
        why.say(
            "L'exception des « petits lots » ne concerne que les lots d'un marché alloti dont la valeur totale "
            "impose une procédure formalisée : elle est sans objet ici",
            "R2123-1 2° CCP",
        )
    if clean.is_framework:
        _framework_duration(clean, why)
    used = [rows["dispense"], rows["publicity_boamp_jal"], rows["eu_threshold"], rows["profil_acheteur"]]
    if cap is not None:
        used += [rows["small_lot_cap"], rows["small_lot_share"]]
    return ProcedureResult(
        total_value_ht=total,
        periods=clean.periods,
        total_duration_months=clean.duration_months * clean.periods,
        is_framework=clean.is_framework,
        members_count=len({member for lot in clean.lots for member in lot.members}),
        lots=clean.lots,
        procedure=procedure,
        publicity=tuple(publicity),
        dce_on_buyer_profile=profile_dce,
        small_lots=tuple(small),
        small_lot_alternatives=tuple(alternatives),
        small_lots_cap_ht=cap,
        min_deadline_days=min_days,
        references=tuple(why.references),
        explanation_sentences=tuple(why.sentences),
        thresholds_used=tuple(used),
        warnings=tuple(warnings),
    )
