"""The one French money format (`procurement.rules.format_eur`) and the two template filters built on it."""

from decimal import Decimal, InvalidOperation

import pytest
from django.template import Context, Template

from procurement.rules import NBSP, format_eur, group_thousands
from procurement.templatetags.mutualis import NNBSP

PAGE = {"suffix": "", "thousands": NNBSP}


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("320000"), f"320{NBSP}000,00{NBSP}€{NBSP}HT"),
        (Decimal("0"), f"0,00{NBSP}€{NBSP}HT"),
        (0, f"0,00{NBSP}€{NBSP}HT"),
        (Decimal("-1234.5"), f"-1{NBSP}234,50{NBSP}€{NBSP}HT"),
        (Decimal("-0.004"), f"0,00{NBSP}€{NBSP}HT"),  # rounds to zero: no minus sign
        (Decimal("999"), f"999,00{NBSP}€{NBSP}HT"),
        (Decimal("1000"), f"1{NBSP}000,00{NBSP}€{NBSP}HT"),
        (Decimal("1234567.891"), f"1{NBSP}234{NBSP}567,89{NBSP}€{NBSP}HT"),
        ("12.5", f"12,50{NBSP}€{NBSP}HT"),
    ],
)
def test_format_eur_french_layout(amount, expected):
    assert format_eur(amount) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("0.005", "0,01"), ("0.004", "0,00"), ("2.675", "2,68"), ("-2.675", "-2,68"), ("1.995", "2,00")],
)
def test_format_eur_rounds_half_up_at_the_cent(amount, expected):
    assert format_eur(Decimal(amount), suffix="") == f"{expected}{NBSP}€"


def test_format_eur_rounds_floats_as_written():
    # Decimal(2.675) is 2.67499999…: going through str keeps the amount the user sees.
    assert format_eur(2.675, suffix="") == f"2,68{NBSP}€"


def test_format_eur_without_cents_rounds_to_the_euro():
    assert format_eur(Decimal("216000"), decimals=0) == f"216{NBSP}000{NBSP}€{NBSP}HT"
    assert format_eur(Decimal("1499.50"), decimals=0, suffix="") == f"1{NBSP}500{NBSP}€"


def test_format_eur_separators_and_empty_values():
    assert format_eur(Decimal("12345.6"), **PAGE) == f"12{NNBSP}345,60{NBSP}€"
    assert format_eur(None) == ""
    assert format_eur("") == ""
    assert format_eur(None, empty="—") == "—"


@pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity"])
def test_format_eur_refuses_what_is_not_an_amount(amount):
    with pytest.raises(InvalidOperation):
        format_eur(amount)


def test_group_thousands():
    assert group_thousands("1") == "1"
    assert group_thousands("123") == "123"
    assert group_thousands("1234567", ".") == "1.234.567"


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_page_filter_uses_narrow_spaces_and_leaves_none_empty():
    page = "{% load mutualis %}{{ v|euros }}|{{ v|euros:0 }}"
    assert render(page, v=Decimal("12345.678")) == f"12{NNBSP}345,68{NBSP}€|12{NNBSP}346{NBSP}€"
    assert render(page, v=None) == "|"
    assert render("{% load mutualis %}{{ v|euros }}", v="n/a") == "n/a"
    assert render("{% load mutualis %}{{ v|number }}", v=-1234567) == f"-1{NNBSP}234{NNBSP}567"


def test_document_filter_uses_no_break_spaces_and_a_dash_for_none():
    document = "{% load documents %}{{ v|euros }}"
    assert render(document, v=Decimal("12345.5")) == f"12{NBSP}345,50{NBSP}€"
    assert render(document, v=Decimal("-0.005")) == f"-0,01{NBSP}€"
    assert render(document, v=None) == "—"
    assert render(document, v="n/a") == "n/a"
    assert render("{% load documents %}{{ v|quantity }}", v=12345) == f"12{NBSP}345"


@pytest.mark.parametrize(
    ("quantity", "unit", "expected"),
    [
        (1, "unite", "1 unité"),
        (10, "unite", "10 unités"),
        (1200, "licence", "1\u202f200 licences"),
        (3, "mois", "3 mois"),
        (2, "an", "2 ans"),
        (1, "metre", "1 mètre"),
    ],
)
def test_quantities_agree_with_their_unit(quantity, unit, expected):
    from procurement.models import NeedLine
    from procurement.templatetags.mutualis import quantity_unit

    assert quantity_unit(NeedLine(quantity=quantity, unit=unit)) == expected


@pytest.mark.parametrize(
    ("count", "suffix"), [(0, ""), (1, ""), (1.5, ""), (2, "s"), (1200, "s"), ([1, 2], "s"), ("x", "")]
)
def test_plurals_follow_french_counting(count, suffix):
    from procurement.templatetags.mutualis import pluralize_fr

    assert pluralize_fr(count) == suffix
