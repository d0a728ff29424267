"""The pure matching engine: no database. The index is built from the seed catalog file."""

import pytest

from catalog import matching
from catalog.seed import read_seed


@pytest.fixture(scope="module")
def index() -> matching.Index:
    data = read_seed()
    entries = [
        matching.Entry(i["code"], i["label"], i["aliases"], i["family"], i["cpv"]["code"]) for i in data["items"]
    ]
    cpv = {i["cpv"]["code"]: i["cpv"]["label_fr"] for i in data["items"]}
    cpv.update({"39162110": "Fournitures scolaires", "30163100": "Cartes pour l'achat de carburant"})
    return matching.Index(entries, cpv.items())


# --- normalise ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tablettes Tactiles", "tablette tactile"),
        ("Écran numérique  interactif", "ecran numerique interactif"),
        ("<p>Vidéoprojecteur <b>interactif</b></p>", "videoprojecteur interactif"),
        ("Vidéo-projecteur", "videoprojecteur"),
        ("borne Wi-Fi", "borne wifi"),
        ("tablette 10 pouces", "tablette 10pouce"),
        ("tablette 10p", "tablette 10pouce"),
        ('tablette 10"', "tablette 10pouce"),
        ("tablette 10''", "tablette 10pouce"),
        ("tablette 10 inch", "tablette 10pouce"),
        ("PC 8 Go / SSD 256GB", "ordinateur 8go ssd 256go"),
        ("des casques pour les élèves", "casque eleve"),
        ("bureaux locaux", "bureau local"),
        ("Ordi du prof", "ordinateur enseignant"),
        ("l'école &amp; le collège", "ecole college"),
        ("", ""),
        ("😀 🎉", ""),
    ],
)
def test_normalise(text, expected):
    assert matching.normalise(text) == expected


def test_normalise_is_idempotent():
    text = 'Lot de 3 Écrans Numériques Interactifs 75" pour CM1/CM2'
    once = matching.normalise(text)
    assert matching.normalise(once) == once


# --- extract_quantity --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quantity", "unit", "rest"),
    [
        ("20 tablettes", 20, None, "tablettes"),
        ("20 tabblettes 10p pour CM1", 20, None, "tabblettes 10p pour CM1"),
        ("lot de 5 casques", 5, None, "casques"),
        ("casques x12", 12, None, "casques"),
        ("12x casques", 12, None, "casques"),
        ("12 x casque audio", 12, None, "casque audio"),
        ("2 classes mobiles de 16", 2, None, "classes mobiles de 16"),
        ("3 lots de 5 micros", 3, "lot", "5 micros"),
        ("30 licences ENT", 30, "licence", "ENT"),
        ("3 jours de formation TNI", 3, "jour", "formation TNI"),
        ("100 mètres de câble cat6", 100, "metre", "câble cat6"),
        ("trois vidéoprojecteurs", 3, None, "vidéoprojecteurs"),
        ("Qté : 8 - souris", 8, None, "- souris"),
    ],
)
def test_extract_quantity_finds_the_quantity(text, quantity, unit, rest):
    assert matching.extract_quantity(text) == (quantity, unit, rest.strip(" -"))


@pytest.mark.parametrize(
    "text",
    [
        "tablette 10 pouces",
        '65" écran interactif',
        "10 pouces tablette",
        "2026 renouvellement des PC",
        "écran 1920 x 1080",
    ],
)
def test_extract_quantity_ignores_sizes_years_and_resolutions(text):
    quantity, _, rest = matching.extract_quantity(text)
    assert quantity is None
    assert rest == text


def test_extract_quantity_on_empty_text():
    assert matching.extract_quantity("") == (None, None, "")


# --- ranking -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("20 tabblettes 10p pour CM1", "tablette-tactile-10"),
        ("VPI ultra courte focale salle 12", "vpi-ultra-courte-focale"),
        ("Maintenance 3 ans des TNI", "maintenance-tni-vpi"),
        ("licences ENT collège", "ent-second-degre"),
        ("PC portable enseignant", "pc-portable-enseignant-15"),
        ("borne wifi", "borne-wifi-6"),
        ("ordi portable prof", "pc-portable-enseignant-15"),
        ("Ecran numérique interactif 65 pouces pour le CP", "eni-65"),
        ('écran interactif 75"', "eni-75"),
        ("switch 24 ports PoE manageable", "switch-24-poe"),
        ("chariot de recharge pour tablettes", "chariot-recharge-16"),
        ("2 classes mobiles de 16 ordinateurs portables", "classe-mobile-16-portables"),
        ("lot de 30 casques audio", "casque-audio-eleve"),
        ("installation des VPI", "installation-vpi-tni"),
        ("formation des enseignants à l'ENI", "formation-outils-interactifs"),
        ("<b>Tablette</b> &amp; coque", "coque-tablette"),
        ("ipad", "tablette-ipad"),
        ("bee-bot", "robot-sol-maternelle"),
        ("visualiseur", "visualiseur-usb"),
        ("onduleur", "onduleur-600"),
        ("extension de garantie 3 ans sur les portables", "extension-garantie-portable-3ans"),
    ],
)
def test_the_right_item_ranks_first(index, text, code):
    result = matching.match(index, text)
    assert result.item_id == code, result
    assert result.status in (matching.STATUS_MATCHED, matching.STATUS_REVIEW)
    assert result.candidates[0].item_id == code


def test_typical_wordings_are_matched_without_review(index):
    for text in [
        "20 tabblettes 10p pour CM1",
        "VPI ultra courte focale salle 12",
        "borne wifi",
        "PC portable enseignant",
    ]:
        result = matching.match(index, text)
        assert result.status == matching.STATUS_MATCHED, (text, result)
        assert result.score >= matching.MATCH_THRESHOLD


def test_result_gives_candidates_scores_and_a_french_explanation(index):
    result = matching.match(index, "20 tabblettes 10p pour CM1", top_k=3)
    assert len(result.candidates) == 3
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)
    assert result.cpv == "30213200"
    assert "tablette" in result.explanation and "tabblette" in result.explanation
    assert result.explanation.startswith("Rapprochement sûr")


def test_exact_alias_scores_100(index):
    result = matching.match(index, "Tablettes tactiles")
    assert result.score == 100.0
    assert "synonyme" in result.explanation


def test_wording_shared_by_several_items_needs_review(index):
    result = matching.match(index, "écran interactif")
    assert result.score == 100.0
    assert result.status == matching.STATUS_REVIEW
    assert {c.item_id for c in result.candidates} >= {"eni-75", "eni-86"}


def test_contradicting_size_ranks_below_the_right_size(index):
    result = matching.match(index, "ENI 86 pouces")
    scores = {c.item_id: c.score for c in result.candidates}
    assert result.item_id == "eni-86"
    assert scores.get("eni-65", 0) < scores["eni-86"]


# --- thresholds --------------------------------------------------------------------------------------------------


def test_thresholds_are_ordered():
    assert 0 < matching.REVIEW_THRESHOLD < matching.MATCH_THRESHOLD <= 100


@pytest.mark.parametrize(
    ("score", "runner_up", "status"),
    [
        (95, 60, "matched"),
        (matching.MATCH_THRESHOLD, None, "matched"),
        (85, 84, "review"),  # too close to a different item
        (100, 99, "review"),  # two items as good: a buyer decides
        (70, None, "review"),
        (matching.REVIEW_THRESHOLD, None, "review"),
        (matching.REVIEW_THRESHOLD - 0.1, None, "unmatched"),
    ],
)
def test_status_from_thresholds(score, runner_up, status):
    assert matching._status(score, runner_up) == status


@pytest.mark.parametrize(
    "text", ["travaux de peinture du préau", "repas de la cantine", "location de car pour sortie scolaire"]
)
def test_unrelated_text_is_unmatched(index, text):
    result = matching.match(index, text)
    assert result.status == matching.STATUS_UNMATCHED
    assert result.item_id is None


def test_cpv_fallback_proposes_a_code_when_no_item_fits(index):
    result = matching.match(index, "fournitures scolaires")
    assert result.status == matching.STATUS_UNMATCHED
    assert result.cpv_fallback is True
    assert result.cpv == "39162110"
    assert result.cpv_score >= matching.CPV_THRESHOLD
    assert "Code CPV proposé" in result.explanation


def test_index_without_cpv_labels_gives_no_fallback():
    index = matching.Index([matching.Entry(1, "Tablette tactile", ["ipad"])])
    result = matching.match(index, "fournitures scolaires")
    assert result.status == matching.STATUS_UNMATCHED
    assert result.cpv == ""


# --- scoped aliases ------------------------------------------------------------------------------------------------


def test_scoped_alias_applies_only_to_its_scope():
    entries = [
        matching.Entry(1, "Tablette tactile 10 pouces", ["tablette"]),
        matching.Entry(2, "Robot de sol programmable", [matching.AliasText("petite abeille jaune", scope=7)]),
    ]
    index = matching.Index(entries)
    assert matching.match(index, "petite abeille jaune", scope=7).item_id == 2
    assert matching.match(index, "petite abeille jaune", scope=8).item_id is None
    assert matching.match(index, "petite abeille jaune").item_id is None


# --- hostile input ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "12345",
        "42 000",
        "a" * 10_000,
        "tablette " * 1500,
        "😀🎉🚀",
        "планшет для школы",
        "平板电脑",
        "لوحي",
        "<script>alert(1)</script>",
        "<<<>>>",
        "\x00\x01\x02",
        "' OR 1=1 --",
        "%s %d {0} {{ x }}",
        "\u200b\u200b",
    ],
)
def test_hostile_input_never_crashes(index, text):
    result = matching.match(index, text)
    assert result.status == matching.STATUS_UNMATCHED
    assert result.item_id is None
    assert result.reason
    assert result.explanation.startswith("Non reconnue")


def test_non_string_input_is_unmatched(index):
    assert matching.match(index, None).status == matching.STATUS_UNMATCHED  # type: ignore[arg-type]


def test_html_around_real_words_is_stripped(index):
    assert matching.match(index, "<p>Vidéoprojecteur <em>interactif</em> ultra courte focale</p>").item_id == (
        "vpi-ultra-courte-focale"
    )


def test_candidate_generation_does_not_score_every_item(index, monkeypatch):
    scored = []
    original = matching._score_doc

    def spy(sub, doc, *args, **kwargs):
        scored.append(doc.key)
        return original(sub, doc, *args, **kwargs)

    monkeypatch.setattr(matching, "_score_doc", spy)
    index.clear_cache()  # results are memoised: make this call score again
    matching.match(index, "borne wifi")
    assert 0 < len(set(scored)) < len(index) / 4


# --- memoisation -----------------------------------------------------------------------------------------------------


def test_results_are_memoised_on_the_normalised_text(index, monkeypatch):
    index.clear_cache()
    first = matching.match(index, "20 Tablettes 10 pouces")
    calls = []
    monkeypatch.setattr(matching, "_score_doc", lambda *a, **k: calls.append(a))
    again = matching.match(index, "3 tablettes  10 POUCES")  # other quantity and case: same normalised query
    assert again is first
    assert calls == []


def test_memoised_results_respect_learnt_aliases_of_each_scope():
    entries = [matching.Entry(1, "Robot de sol", [matching.AliasText("abeille jaune", scope=7)])]
    index = matching.Index(entries)
    assert matching.match(index, "abeille jaune", scope=8).item_id is None
    assert matching.match(index, "abeille jaune", scope=7).item_id == 1
    assert matching.match(index, "abeille jaune", scope=8).item_id is None


def test_results_are_immutable(index):
    result = matching.match(index, "borne wifi")
    with pytest.raises(AttributeError):
        result.status = "review"  # type: ignore[misc]


# --- contract objects and CPV -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Accord-cadre à bons de commande pour l'acquisition de fournitures scolaires pour les écoles de la Ville",
            [("fourniture", 1.0), ("scolaire", 1.0), ("ecole", 0.35), ("ville", 0.35)],
        ),
        ("Marché subséquent - Lot n°2 : fourniture et livraison de tablettes", [("tablette", 1.0)]),
        ("FOURNITURES DE BUREAU", [("fourniture", 1.0), ("bureau", 1.0)]),
        ("Maintenance du progiciel de paie", [("maintenance", 1.0), ("logiciel", 1.0), ("paie", 1.0)]),
    ],
)
def test_objet_terms_drop_procedure_and_weigh_the_beneficiary_less(text, expected):
    assert matching.objet_terms(text) == expected


@pytest.fixture(scope="module")
def cpv_index() -> matching.Index:
    """A slice of the CPV nomenclature, with synonyms, around computers, software and school supplies."""
    labels = {
        "30000000": "Machines, matériel et fourniture informatique et de bureau, excepté les meubles et logiciels",
        "30200000": "Matériel et fournitures informatiques",
        "30210000": "Machines de traitement de données (matériel)",
        "30213000": "Ordinateurs personnels",
        "30213100": "Ordinateurs portables",
        "30213200": "Ordinateur tablette",
        "30213300": "Ordinateur de bureau",
        "30192000": "Fournitures de bureau",
        "39162110": "Fournitures scolaires",
        "48000000": "Logiciels et systèmes d'information",
        "72000000": "Services de technologies de l'information, conseil, développement de logiciels, internet et appui",
        "72267000": "Services de maintenance et de réparation de logiciels",
        "45000000": "Travaux de construction",
        "45442100": "Travaux de peinture",
    }
    entries = [matching.Entry("tab", "Tablette tactile 10 pouces", ["tablette"], "tablettes", "30213200")]
    synonyms = [(c, t) for c, t in matching.read_cpv_synonyms() if c in labels]
    return matching.Index(entries, labels.items(), synonyms, {"tablettes": "30213200"})


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Accord-cadre pour l'acquisition de fournitures scolaires pour les écoles", "39162110"),
        ("Maintenance du progiciel ALPHAGEST", "72267000"),
        ("Fourniture de tablettes tactiles pour les collèges", "30213200"),
        ("ACHAT DE FOURNITURES DE BUREAU POUR LES SERVICES MUNICIPAUX", "30192000"),
        ("Travaux de peinture de l'école", "45442100"),
    ],
)
def test_predict_cpv_on_contract_objects(cpv_index, text, code):
    guess = matching.predict_cpv(cpv_index, text)
    assert guess is not None and guess.code == code, guess


def test_close_siblings_roll_up_to_their_parent(cpv_index):
    ranked = [(80.0, "30213100", "label"), (79.0, "30213300", "label"), (50.0, "48000000", "label")]
    assert matching._roll_up(cpv_index, ranked, "30213100", "label") == ("30213000", "parent")
    clear = [(80.0, "30213100", "label"), (70.0, "30213300", "label")]
    assert matching._roll_up(cpv_index, clear, "30213100", "label") == ("30213100", "label")


@pytest.mark.parametrize("text", ["", "😀", "12345", None, "x" * 10_000])
def test_predict_cpv_never_crashes(cpv_index, text):
    guess = matching.predict_cpv(cpv_index, text)
    assert guess is None or guess.code in cpv_index.cpv_labels


def test_synonym_file_names_only_valid_codes():
    for code, text in matching.read_cpv_synonyms():
        assert len(code) == 8 and code.isdigit(), code
        assert matching.normalise(text), (code, text)
