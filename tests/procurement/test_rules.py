"""Pure tests of the thresholds table and the rules engine (no database)."""

from dataclasses import FrozenInstanceError
from datetime import date
from decimal import Decimal

import pytest

from procurement.rules import (
    NBSP,
    Lot,
    Procedure,
    ProcedureInput,
    ProfileDce,
    RulesInputError,
    evaluate,
    format_eur,
)
from procurement.thresholds import NoThresholdKnown, ThresholdDataError, load_thresholds, parse_thresholds, threshold

APRIL_2026 = date(2026, 4, 1)
MARCH_31 = date(2026, 3, 31)
JUNE_2026 = date(2026, 6, 1)


def simulate(*values, nature="supplies", buyer_kind="local", on=JUNE_2026, **kwargs):
    lots = [Lot(f"Lot {i + 1}", value) for i, value in enumerate(values)]
    kwargs.setdefault("duration_months", 12)
    return evaluate(ProcedureInput(nature=nature, buyer_kind=buyer_kind, launch_date=on, lots=lots, **kwargs))


def refused(*values, **kwargs) -> RulesInputError:
    with pytest.raises(RulesInputError) as info:
        simulate(*values, **kwargs)
    return info.value


# --------------------------------------------------------------------------------------------- the table


def test_table_is_immutable_and_cached():
    table = load_thresholds()
    assert table is load_thresholds()
    assert isinstance(table.rows, tuple)
    with pytest.raises(FrozenInstanceError):
        table.rows[0].value = Decimal(1)


def test_every_row_has_a_source_and_a_confidence_mark():
    for row in load_thresholds().rows:
        assert row.source and row.confidence in ("[V]", "[S]", "[M]")
        assert isinstance(row.value, Decimal)


@pytest.mark.parametrize(
    ("key", "nature", "buyer_kind", "on", "expected"),
    [
        ("dispense", "supplies", "local", MARCH_31, "40000"),
        ("dispense", "supplies", "local", APRIL_2026, "60000"),
        ("dispense", "services", "central", APRIL_2026, "60000"),
        ("dispense", "works", "local", date(2025, 12, 31), "100000"),
        ("dispense", "works", "local", date(2026, 1, 1), "100000"),
        ("publicity_boamp_jal", "works", "local", JUNE_2026, "90000"),
        ("eu_threshold", "supplies", "local", date(2025, 12, 31), "221000"),
        ("eu_threshold", "supplies", "local", date(2026, 1, 1), "216000"),
        ("eu_threshold", "services", "central", date(2025, 12, 31), "143000"),
        ("eu_threshold", "services", "central", date(2026, 1, 1), "140000"),
        ("eu_threshold", "works", "local", date(2025, 12, 31), "5538000"),
        ("eu_threshold", "works", "central", date(2027, 12, 31), "5404000"),
        ("small_lot_cap", "supplies", "local", JUNE_2026, "80000"),
        ("small_lot_cap", "works", "local", JUNE_2026, "1000000"),
        ("small_lot_share", "services", "local", JUNE_2026, "0.20"),
        ("profil_acheteur", "supplies", "local", MARCH_31, "40000"),
        ("profil_acheteur", "supplies", "local", APRIL_2026, "60000"),
        ("decp", "supplies", "local", JUNE_2026, "40000"),
    ],
)
def test_threshold_lookup_by_date(key, nature, buyer_kind, on, expected):
    row = threshold(load_thresholds(), key, nature, buyer_kind, on)
    assert row.value == Decimal(expected)
    assert row.covers(on)


def test_threshold_after_the_last_known_eu_threshold_is_refused():
    with pytest.raises(NoThresholdKnown) as info:
        threshold(load_thresholds(), "eu_threshold", "supplies", "local", date(2028, 1, 1))
    assert "31 décembre 2027" in info.value.message
    assert "plutôt que de deviner" in info.value.message


def test_threshold_before_the_table_is_refused():
    with pytest.raises(NoThresholdKnown) as info:
        threshold(load_thresholds(), "dispense", "supplies", "local", date(2023, 12, 31))
    assert "1er janvier 2024" in info.value.message


def test_overlapping_rows_are_rejected_at_load():
    row = {
        "key": "decp",
        "nature": "any",
        "buyer_kind": "any",
        "value_ht": "40000",
        "valid_from": "2024-01-01",
        "valid_to": None,
        "source": "R2196-1",
        "confidence": "[S]",
    }
    with pytest.raises(ThresholdDataError):
        parse_thresholds({"first_date": "2024-01-01", "rows": [row, {**row, "valid_from": "2025-01-01"}]})


def test_float_values_are_rejected_at_load():
    row = {
        "key": "decp",
        "nature": "any",
        "buyer_kind": "any",
        "value_ht": 40000.0,
        "valid_from": "2024-01-01",
        "valid_to": None,
        "source": "R2196-1",
        "confidence": "[S]",
    }
    with pytest.raises(ThresholdDataError):
        parse_thresholds({"first_date": "2024-01-01", "rows": [row]})


# ------------------------------------------------------------------------------------- estimated value


def test_grouping_value_sums_members_lots_and_renewals():
    # 10 communes × 8 000 €/year, 1 year renewable 3 times (domain.md §9 A1).
    lots = [Lot("Ordinateurs et tablettes", "8000", member=f"Commune {i}") for i in range(10)]
    result = evaluate(ProcedureInput("supplies", "local", JUNE_2026, lots, duration_months=12, renewals=3))
    assert result.total_value_ht == Decimal("320000.00")
    assert result.members_count == 10
    assert len(result.lots) == 1 and result.lots[0].value_per_period_ht == Decimal("80000.00")
    assert result.procedure == Procedure.FORMALISEE
    assert "10 membres" in result.explanation
    assert "R2121-1 CCP" in result.references


def test_framework_agreement_uses_the_maximum_over_the_whole_duration():
    # Maximum 60 000 €/year for 4 years = 240 000 (domain.md §9 A2).
    result = simulate("50000", framework_agreement=True, framework_maximum_ht="60000", renewals=3)
    assert result.total_value_ht == Decimal("240000.00")
    assert result.is_framework
    assert "R2121-8 CCP" in result.references


def test_framework_maximum_can_be_given_for_the_whole_duration():
    result = simulate("50000", framework_maximum_ht="240000", framework_maximum_basis="total", renewals=3)
    assert result.total_value_ht == Decimal("240000.00")


def test_options_are_added():
    result = simulate("100000", "20000", renewals=1, options_value_ht="15000.50")
    assert result.total_value_ht == Decimal("255000.50")


def test_decimal_strings_are_added_exactly():
    result = simulate("0.1", "0.2")
    assert result.total_value_ht == Decimal("0.30")


def test_amounts_are_rounded_half_up_to_the_cent():
    # Each amount is rounded once, on entry: 0.13 + 1000.01, so the lots shown add up to the total.
    result = simulate("0.125", "1000.005")
    assert [lot.total_value_ht for lot in result.lots] == [Decimal("0.13"), Decimal("1000.01")]
    assert result.total_value_ht == Decimal("1000.14")
    assert simulate("0.005").total_value_ht == Decimal("0.01")
    assert simulate("33333.335", renewals=2).total_value_ht == Decimal("100000.02")


def test_lots_with_the_same_label_are_one_lot():
    lots = [Lot("Tablettes", "10000", member="A"), Lot("tablettes ", "5000", member="B"), Lot("PC", "1000")]
    result = evaluate(ProcedureInput("supplies", "local", JUNE_2026, lots, duration_months=12))
    assert [(lot.label, lot.total_value_ht) for lot in result.lots] == [
        ("Tablettes", Decimal("15000.00")),
        ("PC", Decimal("1000.00")),
    ]


def test_format_eur_is_french():
    assert format_eur(Decimal("320000")) == f"320{NBSP}000,00{NBSP}€{NBSP}HT"
    assert format_eur(Decimal("216000"), decimals=0) == f"216{NBSP}000{NBSP}€{NBSP}HT"


# ------------------------------------------------------------------------------------------ dispense


@pytest.mark.parametrize(
    ("value", "on", "expected"),
    [
        ("39999.99", MARCH_31, Procedure.DISPENSE),
        ("40000.00", MARCH_31, Procedure.MAPA),
        ("55000", MARCH_31, Procedure.MAPA),
        ("39999.99", APRIL_2026, Procedure.DISPENSE),
        ("40000.00", APRIL_2026, Procedure.DISPENSE),
        ("59999.99", APRIL_2026, Procedure.DISPENSE),
        ("60000.00", APRIL_2026, Procedure.MAPA),
        ("59999.99", MARCH_31, Procedure.MAPA),
    ],
)
def test_dispense_threshold_for_supplies_switches_on_1_april_2026(value, on, expected):
    assert simulate(value, on=on).procedure == expected
    assert simulate(value, on=on, nature="services").procedure == expected


@pytest.mark.parametrize(("value", "expected"), [("99999.99", Procedure.DISPENSE), ("100000.00", Procedure.MAPA)])
def test_dispense_threshold_for_works(value, expected):
    assert simulate(value, nature="works", on=date(2026, 1, 1)).procedure == expected
    assert simulate(value, nature="works", on=date(2025, 12, 31)).procedure == expected


def test_dispense_explanation_cites_the_decree():
    result = simulate("59999.99", on=APRIL_2026)
    assert result.publicity[0].code == "none"
    assert any("2025-1386" in ref for ref in result.references)
    assert "strictement inférieure" in result.explanation


# ------------------------------------------------------------------------------------------ publicity


def test_publicity_below_90000_is_adapted():
    result = simulate("89999.99")
    assert result.procedure == Procedure.MAPA
    assert [item.code for item in result.publicity] == ["adapted", "dce_profil_acheteur"]
    assert result.dce_on_buyer_profile == ProfileDce.IF_NOTICE
    assert result.min_deadline_days is None


def test_publicity_from_90000_is_boamp_or_jal():
    result = simulate("90000.00")
    assert [item.code for item in result.publicity] == ["boamp_or_jal", "dce_profil_acheteur"]
    assert result.dce_on_buyer_profile == ProfileDce.REQUIRED
    assert "BOAMP ou dans un journal d'annonces légales" in result.explanation


def test_works_mapa_publicity_uses_the_same_90000_band():
    assert simulate("150000", nature="works").publicity[0].code == "boamp_or_jal"


def test_profile_threshold_follows_the_launch_date():
    # 50 000 with a notice on 2026-05-01: below 60 000, the DCE need not be on the profile (§9 B10).
    assert simulate("50000", on=date(2026, 5, 1)).dce_on_buyer_profile == ProfileDce.NOT_REQUIRED
    assert simulate("50000", on=MARCH_31).dce_on_buyer_profile == ProfileDce.IF_NOTICE


# ---------------------------------------------------------------------------------------- EU thresholds


@pytest.mark.parametrize(("value", "expected"), [("215999.99", Procedure.MAPA), ("216000.00", Procedure.FORMALISEE)])
def test_eu_threshold_2026_for_local_buyers(value, expected):
    assert simulate(value).procedure == expected


def test_formalised_procedure_publicity_and_deadline():
    result = simulate("250000")
    assert result.procedure == Procedure.FORMALISEE
    assert [item.code for item in result.publicity] == ["boamp", "joue", "dce_profil_acheteur"]
    assert result.min_deadline_days == 30
    assert "R2161-2 CCP" in result.references
    assert "2025/2152" in result.explanation


@pytest.mark.parametrize(("value", "expected"), [("139999.99", Procedure.MAPA), ("140000.00", Procedure.FORMALISEE)])
def test_eu_threshold_with_a_central_authority(value, expected):
    result = simulate(value, buyer_kind="central")
    assert result.procedure == expected
    assert any("autorité publique centrale" in warning for warning in result.warnings)


@pytest.mark.parametrize(
    ("on", "value", "expected"),
    [
        (date(2025, 12, 31), "220999.99", Procedure.MAPA),
        (date(2025, 12, 31), "221000.00", Procedure.FORMALISEE),
        (date(2025, 12, 31), "218000.00", Procedure.MAPA),
        (date(2026, 1, 1), "218000.00", Procedure.FORMALISEE),
        (date(2026, 1, 1), "215999.99", Procedure.MAPA),
    ],
)
def test_eu_threshold_switches_on_1_january_2026(on, value, expected):
    assert simulate(value, on=on).procedure == expected


def test_eu_threshold_for_central_authorities_in_2025():
    assert simulate("142999.99", buyer_kind="central", on=date(2025, 12, 31)).procedure == Procedure.MAPA
    assert simulate("143000.00", buyer_kind="central", on=date(2025, 12, 31)).procedure == Procedure.FORMALISEE


def test_eu_threshold_for_works():
    assert simulate("5403999.99", nature="works").procedure == Procedure.MAPA
    assert simulate("5404000.00", nature="works").procedure == Procedure.FORMALISEE


def test_a_date_after_the_last_known_eu_threshold_is_refused():
    error = refused("100000", on=date(2028, 1, 1))
    assert error.field == "launch_date"
    assert "31 décembre 2027" in error.message


def test_a_date_before_the_table_is_refused():
    error = refused("100000", on=date(2023, 12, 31))
    assert error.field == "launch_date"
    assert "1er janvier 2024" in error.message


# ------------------------------------------------------------------------------------------ small lots


def test_small_lots_domain_example():
    # T = 400 000 with lots 300 000 + 70 000 + 30 000; the 20 % cap is 80 000 (§9 C12).
    result = simulate("300000", "70000", "30000")
    assert result.procedure == Procedure.FORMALISEE
    assert result.small_lots_cap_ht == Decimal("80000.00")
    assert [(lot.label, lot.without_publicity) for lot in result.small_lots] == [("Lot 3", True)]
    assert [lot.label for lot in result.small_lot_alternatives] == ["Lot 2"]
    assert "R2123-1 2° a) CCP" in result.references


def test_small_lots_at_exactly_20_percent_are_all_selected():
    result = simulate("320000", "50000", "30000")
    assert [lot.label for lot in result.small_lots] == ["Lot 3", "Lot 2"]
    assert sum(lot.total_value_ht for lot in result.small_lots) == Decimal("80000.00")


def test_small_lots_just_above_20_percent_are_not_all_selected():
    result = simulate("319999.99", "50000.01", "30000")
    assert [lot.label for lot in result.small_lots] == ["Lot 3"]


def test_a_lot_at_80000_is_not_a_small_lot():
    result = simulate("400000", "80000", "79999.99")
    assert [lot.label for lot in result.small_lots] == ["Lot 3"]
    assert result.small_lots[0].without_publicity is False


def test_small_lots_use_the_value_over_the_whole_duration():
    # 25 000 per year over 4 years is 100 000: above the 80 000 cap.
    result = simulate("200000", "25000", renewals=3)
    assert result.small_lots == ()


def test_small_lots_without_publicity_follow_the_dispense_threshold_of_the_date():
    result = simulate("400000", "50000", on=MARCH_31)
    assert [(lot.label, lot.without_publicity) for lot in result.small_lots] == [("Lot 2", False)]
    result = simulate("400000", "50000", on=APRIL_2026)
    assert [(lot.label, lot.without_publicity) for lot in result.small_lots] == [("Lot 2", True)]


def test_small_lots_for_works_use_the_1000000_cap():
    result = simulate("6000000", "999999.99", nature="works")
    assert [lot.label for lot in result.small_lots] == ["Lot 2"]


def test_small_lots_do_not_apply_below_the_eu_threshold():
    result = simulate("100000", "20000")
    assert result.small_lots == () and result.small_lots_cap_ht is None
    assert "sans objet" in result.explanation


# ----------------------------------------------------------------------------------------- accord-cadre


def test_framework_agreement_without_maximum_is_refused():
    error = refused("50000", framework_agreement=True)
    assert error.field == "framework_maximum_ht"
    assert "R2162-4" in error.message and "1er janvier 2022" in error.message


def test_framework_agreement_longer_than_48_months_without_justification_is_refused():
    error = refused("50000", framework_maximum_ht="60000", duration_months=12, renewals=4)
    assert error.field == "duration_months"
    assert "60 mois" in error.message and "L2125-1" in error.message


def test_framework_agreement_of_48_months_is_accepted():
    result = simulate("50000", framework_maximum_ht="60000", duration_months=24, renewals=1)
    assert result.total_duration_months == 48
    assert "L2125-1 CCP" in result.references


def test_framework_agreement_longer_than_48_months_with_justification_is_accepted():
    result = simulate(
        "50000",
        framework_maximum_ht="60000",
        duration_months=60,
        duration_justification="Investissements amortissables sur cinq ans.",
    )
    assert result.total_value_ht == Decimal("60000.00")
    assert "Investissements amortissables" in result.explanation


def test_ordinary_marche_longer_than_48_months_is_accepted():
    assert simulate("10000", duration_months=12, renewals=5).total_duration_months == 72


def test_framework_maximum_below_the_lots_gives_a_warning():
    result = simulate("100000", framework_maximum_ht="50000")
    assert result.total_value_ht == Decimal("50000.00")
    assert any("dépasse le maximum" in warning for warning in result.warnings)


# ------------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"nature": "concessions"}, "nature"),
        ({"buyer_kind": "federal"}, "buyer_kind"),
        ({"duration_months": 0}, "duration_months"),
        ({"duration_months": -3}, "duration_months"),
        ({"renewals": -1}, "renewals"),
        ({"options_value_ht": "-1"}, "options_value_ht"),
        ({"options_value_ht": 0.5}, "options_value_ht"),
        ({"framework_maximum_ht": "abc"}, "framework_maximum_ht"),
        ({"framework_maximum_basis": "yearly"}, "framework_maximum_basis"),
        ({"on": "2026-06-01"}, "launch_date"),
    ],
)
def test_invalid_input_is_refused_with_its_field(kwargs, field):
    assert refused("1000", **kwargs).field == field


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "négatif"),
        ("0", "strictement positif"),
        ("0.004", "strictement positif"),
        ("1000000000000.01", "1 000 milliards"),
        (0.1, "flottant"),
        ("NaN", "montant valide"),
        ("douze", "montant valide"),
    ],
)
def test_invalid_lot_amounts_are_refused(value, message):
    error = refused("1000", value)
    assert error.field == "lots.1.estimated_value_ht"
    assert message in error.message


def test_missing_lots_are_refused():
    error = refused()
    assert error.field == "lots"
    assert "au moins un lot" in error.message


def test_absurd_total_is_refused():
    error = refused("1000000000000", renewals=1)
    assert error.field == "lots"


def test_result_carries_explanation_references_and_thresholds():
    result = simulate("120000")
    assert result.procedure == Procedure.MAPA
    assert len(result.explanation_sentences) >= 4
    assert result.explanation.startswith(f"La valeur estimée du besoin est de 120{NBSP}000,00")
    assert {row.key for row in result.thresholds_used} >= {"dispense", "eu_threshold", "publicity_boamp_jal"}
    assert all(sentence.endswith(".") for sentence in result.explanation_sentences)
