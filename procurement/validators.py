"""Validators for French public identifiers (SIREN, SIRET, UAI, INSEE)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
# La Poste's establishments share SIREN 356000000 and do not follow the Luhn rule for SIRET.
LA_POSTE_SIREN = "356000000"


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_valid_siren(value: str) -> bool:
    return bool(re.fullmatch(r"\d{9}", value or "")) and luhn_is_valid(value)


def is_valid_siret(value: str) -> bool:
    if not re.fullmatch(r"\d{14}", value or ""):
        return False
    if value.startswith(LA_POSTE_SIREN):
        return sum(int(c) for c in value) % 5 == 0
    return luhn_is_valid(value) and luhn_is_valid(value[:9])


def uai_check_letter(first_seven: str) -> str:
    return UAI_LETTERS[int(first_seven) % 23]


def is_valid_uai(value: str) -> bool:
    value = (value or "").upper()
    return bool(re.fullmatch(r"\d{7}[A-Z]", value)) and uai_check_letter(value[:7]) == value[7]


def validate_siren(value: str) -> None:
    if not is_valid_siren(value):
        raise ValidationError(
            _("« %(value)s » n'est pas un SIREN valide : 9 chiffres dont le dernier est une clé de contrôle."),
            code="invalid_siren",
            params={"value": value},
        )


def validate_siret(value: str) -> None:
    if not is_valid_siret(value):
        raise ValidationError(
            _("« %(value)s » n'est pas un SIRET valide : 14 chiffres (SIREN + NIC) avec une clé de contrôle."),
            code="invalid_siret",
            params={"value": value},
        )


def validate_uai(value: str) -> None:
    if not is_valid_uai(value):
        raise ValidationError(
            _(
                "« %(value)s » n'est pas un code UAI valide : 7 chiffres suivis d'une lettre de contrôle "
                "(par exemple 0350122T)."
            ),
            code="invalid_uai",
            params={"value": value},
        )
