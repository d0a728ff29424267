import pytest
from django.core.exceptions import ValidationError

from procurement.validators import is_valid_siren, is_valid_siret, is_valid_uai, validate_uai


@pytest.mark.parametrize("siren", ["213502388", "243500139", "223500018"])
def test_real_sirens_pass_luhn(siren):
    # Rennes (commune), Rennes Métropole (EPCI), Ille-et-Vilaine (département)
    assert is_valid_siren(siren)


@pytest.mark.parametrize("siren", ["213502389", "21350238", "2135023880", "ABCDEFGHI", ""])
def test_invalid_sirens_are_refused(siren):
    assert not is_valid_siren(siren)


def test_siret_checks_both_keys_and_la_poste_exception():
    assert is_valid_siret("73282932000074")
    assert not is_valid_siret("73282932000075")
    assert is_valid_siret("35600000000010")  # La Poste: digit sum multiple of 5, not Luhn
    assert not is_valid_siret("35600000000011")


@pytest.mark.parametrize("uai", ["0350122T", "0350165P", "0071245R", "0350122t"])
def test_real_uai_codes_pass(uai):
    assert is_valid_uai(uai)


@pytest.mark.parametrize("uai", ["0350122A", "035012T", "A350122T", ""])
def test_wrong_uai_codes_fail_with_a_french_message(uai):
    assert not is_valid_uai(uai)
    with pytest.raises(ValidationError, match="code UAI valide"):
        validate_uai(uai)
