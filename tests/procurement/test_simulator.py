"""The public procedure simulator: API `POST /api/v1/procedure-simulations/` and the page `/simulateur/`."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from procurement.api.simulator import ProcedureSimulationView
from tests.conftest import login

URL = "/api/v1/procedure-simulations/"
PAGE = "/simulateur/"


@pytest.fixture(autouse=True)
def _fresh_throttle_cache():
    cache.clear()
    yield
    cache.clear()


def payload(**overrides):
    data = {
        "nature": "supplies",
        "buyer_kind": "local",
        "launch_date": "2026-06-01",
        "lots": [
            {"label": "Ordinateurs portables", "estimated_value_ht": "300000.00"},
            {"label": "Vidéoprojecteurs", "estimated_value_ht": "70000.00"},
            {"label": "Visualiseurs", "estimated_value_ht": "30000.00"},
        ],
        "duration_months": 12,
        "renewals": 0,
        "options_value_ht": "0.00",
        "framework_maximum_ht": None,
    }
    data.update(overrides)
    return data


def post(api_client, data):
    return api_client.post(URL, data, format="json")


# ------------------------------------------------------------------------------------------------ API


def test_url_name():
    assert reverse("api:procedure-simulation") == URL


def test_anonymous_visitor_gets_a_simulation(api_client, db):
    response = post(api_client, payload())
    assert response.status_code == 200
    body = response.json()
    assert body["total_value_ht"] == "400000.00"
    assert body["procedure"] == "formalisee"
    assert [item["code"] for item in body["publicity"]] == ["boamp", "joue", "dce_profil_acheteur"]
    assert body["small_lots"] == [
        {"label": "Visualiseurs", "estimated_value_ht": "30000.00", "without_publicity": True}
    ]
    assert body["min_deadline_days"] == 30
    assert "R2121-1 CCP" in body["references"]
    assert body["explanation"].startswith("La valeur estimée du besoin")


def test_response_shape(api_client, db):
    body = post(api_client, payload()).json()
    assert {
        "total_value_ht",
        "procedure",
        "publicity",
        "small_lots",
        "min_deadline_days",
        "references",
        "explanation",
        "thresholds_used",
    } <= set(body)
    eu = next(row for row in body["thresholds_used"] if row["key"] == "eu_threshold")
    assert eu == {
        "key": "eu_threshold",
        "nature": "supplies",
        "buyer_kind": "local",
        "value": "216000",
        "valid_from": "2026-01-01",
        "valid_to": "2027-12-31",
        "source": eu["source"],
        "confidence": "[V]",
    }
    assert "2025/2152" in eu["source"]
    assert set(body["publicity"][0]) == {"code", "label", "reference", "mandatory"}


def test_member_of_a_collectivity_can_use_it_too(api_client, alice):
    login(api_client, alice)
    assert post(api_client, payload()).status_code == 200


def test_endpoint_is_public_and_throttled():
    assert [cls.__name__ for cls in ProcedureSimulationView.permission_classes] == ["AllowAny"]
    assert ProcedureSimulationView.throttle_scope == "public"


def test_mapa_with_boamp_or_jal(api_client, db):
    body = post(api_client, payload(lots=[{"label": "PC", "estimated_value_ht": "120000"}])).json()
    assert body["procedure"] == "mapa"
    assert body["publicity"][0]["code"] == "boamp_or_jal"
    assert body["small_lots"] == [] and body["min_deadline_days"] is None


def test_decimals_are_exact(api_client, db):
    lots = [{"label": "A", "estimated_value_ht": "0.1"}, {"label": "B", "estimated_value_ht": "0.2"}]
    body = post(api_client, payload(lots=lots)).json()
    assert body["total_value_ht"] == "0.30"
    assert body["procedure"] == "dispense"


def test_framework_agreement(api_client, db):
    data = payload(
        lots=[{"label": "PC", "estimated_value_ht": "50000"}],
        renewals=3,
        framework_agreement=True,
        framework_maximum_ht="60000",
    )
    body = post(api_client, data).json()
    assert body["total_value_ht"] == "240000.00"


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"nature": "concessions"}, {"nature"}),
        ({"buyer_kind": "federal"}, {"buyer_kind"}),
        ({"launch_date": "01/06/2026"}, {"launch_date"}),
        ({"lots": []}, {"lots"}),
        ({"duration_months": 0}, {"duration_months"}),
        ({"renewals": -1}, {"renewals"}),
        ({"options_value_ht": "-5"}, {"options_value_ht"}),
        ({"options_value_ht": "1.234"}, {"options_value_ht"}),
        ({"framework_maximum_ht": "1000000000000.01"}, {"framework_maximum_ht"}),
    ],
)
def test_invalid_fields_give_400_with_field_errors(api_client, db, overrides, fields):
    response = post(api_client, payload(**overrides))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == fields


def test_missing_fields_are_reported_in_french(api_client, db):
    body = post(api_client, {}).json()
    assert {"nature", "buyer_kind", "launch_date", "lots", "duration_months"} <= set(body["errors"])
    assert body["errors"]["nature"] == ["Ce champ est obligatoire."]


def test_invalid_lot_amount_names_the_lot(api_client, db):
    lots = [{"label": "A", "estimated_value_ht": "1000"}, {"label": "B", "estimated_value_ht": "-1"}]
    body = post(api_client, payload(lots=lots)).json()
    assert body["errors"]["lots"] == {
        "1": {"estimated_value_ht": ["Montant du lot : le montant doit être strictement positif."]}
    }


def test_framework_without_maximum_gives_400_with_its_field(api_client, db):
    response = post(api_client, payload(framework_agreement=True))
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "framework_maximum_ht"
    assert "R2162-4" in body["detail"]


def test_framework_longer_than_four_years_gives_400(api_client, db):
    response = post(api_client, payload(framework_maximum_ht="100000", duration_months=12, renewals=4))
    assert response.status_code == 400
    assert response.json()["field"] == "duration_months"


def test_date_after_the_known_thresholds_gives_400(api_client, db):
    response = post(api_client, payload(launch_date="2028-01-01"))
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "launch_date"
    assert "31 décembre 2027" in body["detail"]


def test_get_is_not_allowed(api_client, db):
    assert api_client.get(URL).status_code == 405


def test_schema_documents_the_endpoint(api_client, db):
    response = api_client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/procedure-simulations/"]["post"]
    assert operation["operationId"] == "procedure_simulation_create"
    assert "ProcedureSimulationResult" in str(operation["responses"]["200"])


# ----------------------------------------------------------------------------------------------- page


def form_data(**overrides):
    data = {
        "nature": "supplies",
        "buyer_kind": "local",
        "launch_date": "2026-06-01",
        "duration_months": "12",
        "renewals": "0",
        "options_value_ht": "",
        "framework_maximum_ht": "",
        "framework_maximum_basis": "period",
        "duration_justification": "",
        "lots-TOTAL_FORMS": "5",
        "lots-INITIAL_FORMS": "0",
        "lots-MIN_NUM_FORMS": "0",
        "lots-MAX_NUM_FORMS": "5",
    }
    for index in range(5):
        data[f"lots-{index}-label"] = ""
        data[f"lots-{index}-estimated_value_ht"] = ""
    data.update(overrides)
    return data


def test_page_url_name():
    assert reverse("procurement:simulator") == PAGE


def test_page_renders_for_an_anonymous_visitor(client, db):
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Simulateur de procédure</h1>" in html
    assert "<legend>Lots</legend>" in html
    assert html.count('name="lots-') >= 10  # five rows of two fields
    assert 'for="id_launch_date"' in html
    assert 'aria-describedby="id_launch_date_aide"' in html
    assert "Résultat de la simulation" not in html


def test_page_post_shows_the_band_and_explanation(client, db):
    data = form_data(
        **{
            "lots-0-label": "Ordinateurs",
            "lots-0-estimated_value_ht": "300 000,00",
            "lots-1-label": "Vidéoprojecteurs",
            "lots-1-estimated_value_ht": "70000",
            "lots-2-label": "Visualiseurs",
            "lots-2-estimated_value_ht": "30000",
        }
    )
    response = client.post(PAGE, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Résultat de la simulation" in html
    assert "Procédure formalisée" in html
    assert "400\u00a0000,00\u00a0€\u00a0HT" in html
    assert "La valeur estimée du besoin est de" in html
    assert "R2121-1 CCP" in html
    assert "« Visualiseurs »" in html
    assert 'id="erreurs"' not in html


def test_page_post_of_a_small_need_shows_the_dispense(client, db):
    data = form_data(**{"launch_date": "2026-04-01", "lots-0-estimated_value_ht": "59999,99"})
    html = client.post(PAGE, data).content.decode()
    assert "Marché sans publicité ni mise en concurrence préalables" in html


def test_page_post_with_errors_shows_them_and_keeps_the_input(client, db):
    data = form_data(
        **{
            "launch_date": "pas une date",
            "duration_months": "0",
            "lots-0-label": "Tablettes",
            "lots-0-estimated_value_ht": "12 500,00",
            "lots-1-label": "Écrans",
            "lots-1-estimated_value_ht": "-3",
        }
    )
    response = client.post(PAGE, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="erreurs"' in html and 'role="alert"' in html
    assert '<a href="#id_launch_date">' in html
    assert '<a href="#id_lots-1-estimated_value_ht">' in html
    assert 'id="id_launch_date_erreurs"' in html
    assert 'aria-describedby="id_launch_date_aide id_launch_date_erreurs"' in html
    assert 'aria-invalid="true"' in html
    assert "La durée doit être d&#x27;au moins un mois." in html
    assert 'value="pas une date"' in html
    assert 'value="Tablettes"' in html
    assert 'value="12 500,00"' in html
    assert "Résultat de la simulation" not in html


def test_page_post_without_lots_asks_for_one(client, db):
    html = client.post(PAGE, form_data()).content.decode()
    assert "Indiquez au moins un lot avec son montant." in html


def test_page_shows_engine_errors_next_to_the_field(client, db):
    data = form_data(**{"framework_agreement": "on", "lots-0-estimated_value_ht": "1000"})
    html = client.post(PAGE, data).content.decode()
    assert 'id="id_framework_maximum_ht_erreurs"' in html
    assert "R2162-4" in html


def test_page_refuses_a_date_after_the_known_thresholds(client, db):
    data = form_data(**{"launch_date": "2028-03-01", "lots-0-estimated_value_ht": "1000"})
    html = client.post(PAGE, data).content.decode()
    assert 'id="id_launch_date_erreurs"' in html
    assert "31 décembre 2027" in html
