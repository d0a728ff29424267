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
        ("Site Internet de l'école", "siteweb ecole"),
        ("tablette 10 pouces", "tablette 10pouce"),
        ("tablette 10p", "tablette 10pouce"),
        ('tablette 10"', "tablette 10pouce"),
        ("tablette 10''", "tablette 10pouce"),
        ("tablette 10 inch", "tablette 10pouce"),
        ("PC 8 Go / SSD 256GB", "ordinateur 8go ssd 256go"),
        ("portable 15,6 pouces", "portable 15.6pouce"),
        ("Câble HDMI 2.0, 1,5 m", "cable hdmi 2.0 1.5m"),
        ("Onduleur 3 000 VA", "onduleur 3000va"),
        ("1\u202f200 licences", "1200 licence"),
        ("fin de phrase. Suite", "fin phrase suite"),
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
        ("Achat de 12 écrans interactifs", 12, None, "écrans interactifs"),
        ("2 000 feuilles A4", 2000, None, "feuilles A4"),
        ("acq. 15 PC portables", 15, None, "PC portables"),
        ("Acquisition d'1 serveur", 1, None, "serveur"),
        ("Fourniture de 30 licences ENT", 30, "licence", "ENT"),
        ("Commande : 4 casques", 4, None, "casques"),
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
        "Achat de 2026 licences",
        "1 500,5 kg de papier",
        "Acquisition de 10 pouces",
        "Achat de tablettes",
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
        ("netbooks pour les élèves", "pc-portable-eleve-14"),
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


@pytest.mark.parametrize("text", ["ENI 75 pouces", "TNI 75 pouces", "eni 86 pouces"])
def test_a_size_written_out_answers_an_alias_giving_the_number_alone(index, text):
    """The seed alias is « eni 75 »: the 75 of « 75 pouces » is that number, not an unexplained word."""
    result = matching.match(index, text)
    assert result.item_id in ("eni-75", "eni-86")
    assert result.status == matching.STATUS_MATCHED, result


@pytest.mark.parametrize(
    ("text", "item_id"),
    [
        ("Câble HDMI 5 m", "cable-hdmi"),  # the cable is sold « de 1 à 10 m »
        ("onduleur 600 VA", "onduleur-600"),  # « 600 à 800 VA »
        ("portable 15 pouces enseignant", "pc-portable-enseignant-15"),  # 15.6 inches, as buyers round it
    ],
)
def test_a_size_inside_the_item_range_or_within_tolerance_is_no_conflict(index, text, item_id):
    result = matching.match(index, text)
    assert result.item_id == item_id
    assert "Taille demandée" not in result.explanation


def test_a_size_outside_the_item_range_still_needs_review(index):
    result = matching.match(index, "câble HDMI 15 m")
    assert result.status == matching.STATUS_REVIEW
    assert "Taille demandée (15 m)" in result.explanation


def test_a_large_number_alone_is_read_as_a_size_of_the_vocabulary(index):
    """« APC Back-UPS 1500 » is a 1,500 VA UPS, not the 600–800 VA one its brand alias names; a number within the
    item's range, or a small one (a version, a generation), is no conflict."""
    apc = matching.match(index, "APC Back-UPS 1500")
    assert apc.status == matching.STATUS_REVIEW and "Taille demandée (1500 VA)" in apc.explanation
    assert matching.match(index, "onduleur APC 700").status == matching.STATUS_MATCHED
    assert matching.match(index, "iPad 10").status == matching.STATUS_MATCHED


@pytest.mark.parametrize(
    ("text", "right_size", "item_id", "size"),
    [
        ("scanner A3", "scanner A4", "scanner-documents", "A3"),
        ("disque SSD 1 To", "disque SSD 512 Go", "ssd-interne", "1 To"),
    ],
)
def test_paper_formats_and_capacities_in_to_are_sizes(index, text, right_size, item_id, size):
    """An A4 scanner does not do A3; 1 To is no 512 Go (capacities compare in one unit)."""
    result = matching.match(index, text)
    assert (result.item_id, result.status) == (item_id, matching.STATUS_REVIEW)
    assert f"Taille demandée ({size}) absente de cet article." in result.explanation
    right = matching.match(index, right_size)
    assert (right.item_id, right.status) == (item_id, matching.STATUS_MATCHED)


@pytest.mark.parametrize(
    ("text", "item_id", "size"),
    [
        ("ENI 55 pouces", "eni-65", "55 pouces"),
        ("clé USB 64 Go", "cle-usb", "64 Go"),
        ("imprimante multifonction couleur A3", "multifonction-laser-couleur", "A3"),  # a paper format is a size
    ],
)
def test_an_item_of_another_size_is_never_matched_without_review(index, text, item_id, size):
    result = matching.match(index, text)
    assert result.item_id == item_id
    assert result.score >= matching.MATCH_THRESHOLD  # close enough to propose…
    assert result.status == matching.STATUS_REVIEW  # …but the buyer decides whether the other size will do
    assert f"Taille demandée ({size}) absente de cet article." in result.explanation


@pytest.mark.parametrize(
    ("text", "item_id"),
    [
        ("pc d'occasion", "pc-portable-reconditionne"),
        ("journée en régie", "intervention-technicien-jour"),
        ("office 365", "m365-a3"),
        ("supervision des écrans", "gestion-classe"),
    ],
)
def test_seed_aliases_name_the_product(index, text, item_id):
    assert matching.match(index, text).item_id == item_id


@pytest.mark.parametrize(
    "text", ["véhicule d'occasion", "régie de recettes", "office de tourisme", "supervision des équipes sociales"]
)
def test_a_qualifier_alone_never_matches_a_seed_item_outright(index, text):
    """A bare qualifier ("occasion", "régie", "office", "supervision") is not a product: at most a line to review."""
    assert matching.match(index, text).status != matching.STATUS_MATCHED


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


def test_cpv_fallback_needs_a_word_of_the_nomenclature_as_written():
    """« Dell Latitude 3440 » is no lettuce: a brand or model read as a typo of a label's word proposes nothing."""
    index = matching.Index(
        [matching.Entry(1, "Tablette tactile", ["ipad"])], [("03221310", "Laitues"), ("15000000", "Produits laitiers")]
    )
    assert matching.match(index, "laitues").cpv == "03221310"
    result = matching.match(index, "Dell Latitude 3440")
    assert (result.status, result.cpv, result.cpv_fallback) == (matching.STATUS_UNMATCHED, "", False)


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


def test_a_quantity_after_a_buying_verb_is_not_a_size(index):
    """ "15" in "acq. 15 PC portables" is how many, not the 15.6-inch teacher laptop."""
    assert matching.prepare("acq. 15 PC portables") == matching.prepare("PC portables")
    assert matching.match(index, "Achat de 15 ordinateurs portables") is matching.match(index, "ordinateurs portables")


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
    assert list(matching.objet_query(text).terms) == expected


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
        "30237132": "Bus série universel (USB)",
        "34121000": "Autobus et cars",
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
        # everyday words the nomenclature does not use: a bus is an "autobus", not a USB bus
        ("Location d'un bus sans chauffeur", "34121000"),
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


def test_cpv_suggestions_start_with_the_predicted_code_then_the_closest_others(cpv_index):
    text = "Ordinateurs portables pour les enseignants"
    suggestions = matching.cpv_suggestions(cpv_index, text, limit=4)

    codes = [s.code for s in suggestions]
    assert codes[0] == matching.predict_cpv(cpv_index, text).code
    assert len(codes) == len(set(codes)) <= 4
    assert "30213000" in codes or "30213100" in codes
    assert all(s.label == cpv_index.cpv_labels[s.code] for s in suggestions)
    # the same kind of purchase as the decided code: no software maintenance offered for laptops
    assert {matching.code_kind(s.code) for s in suggestions} == {"supply"}
    maintenance = matching.cpv_suggestions(cpv_index, "Maintenance du progiciel de gestion")
    assert maintenance and {matching.code_kind(s.code) for s in maintenance} == {
        matching.code_kind(maintenance[0].code)
    }


def test_cpv_suggestions_are_memoised_per_index_and_never_shared_as_one_list(cpv_index):
    text = "Tablettes numériques pour les élèves"
    first = matching.cpv_suggestions(cpv_index, text)
    hits = cpv_index._suggest.cache_info().hits
    first.clear()  # a caller changing its list changes nothing for the next one

    again = matching.cpv_suggestions(cpv_index, text)
    assert again and again == matching._cpv_suggestions(cpv_index, text, 5)
    assert cpv_index._suggest.cache_info().hits > hits
    cpv_index.clear_cache()
    assert cpv_index._suggest.cache_info().currsize == 0


@pytest.mark.parametrize("text", ["", "😀", None, "x" * 10_000])
def test_cpv_suggestions_of_nothing_are_none(cpv_index, text):
    assert all(s.code in cpv_index.cpv_labels for s in matching.cpv_suggestions(cpv_index, text))


@pytest.mark.parametrize("text", ["", "😀", "12345", None, "x" * 10_000])
def test_predict_cpv_never_crashes(cpv_index, text):
    guess = matching.predict_cpv(cpv_index, text)
    assert guess is None or guess.code in cpv_index.cpv_labels


def test_synonym_file_names_only_valid_codes():
    for code, text in matching.read_cpv_synonyms():
        assert len(code) == 8 and code.isdigit(), code
        assert matching.normalise(text), (code, text)


# --- contract objects: nature, procedure, head words ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "nature"),
    [
        ("Maintenance des photocopieurs de la mairie", "maintenance"),
        ("Entretien et dépannage des ascenseurs", "maintenance"),
        ("Prestation de maintenance des bornes de recharge", "maintenance"),
        ("Travaux de réfection de la toiture du gymnase", "works"),
        ("Aménagement de la place de l'église", "works"),
        ("Lot 9 : Peinture - revêtements muraux", "works"),
        ("Grosses réparations des bâtiments communaux", "works"),
        ("Fourniture, installation et maintenance de vidéoprojecteurs", "supply"),
        ("Accord-cadre à bons de commande pour l'acquisition de mobilier", "supply"),
        ("Installation de bornes de recharge", "installation"),
        ("Location de véhicules utilitaires", "rental"),
        # renting makes the contract a supply one (L1111-3), even after the service that comes with it
        ("Maintenance et location de copieurs", "rental"),
        ("LOT1 MAINT. ET LOC PHOTOCOPIEUR", "rental"),
        ("Maintenance locative des logements", "maintenance"),
        ("Formation des agents à la sécurité incendie", "training"),
        ("Mission d'assistance à maîtrise d'ouvrage pour le schéma directeur", "study"),
        ("Prestations de services de nettoyage des locaux", "service"),
        ("Migration du logiciel de gestion financière", "service"),
        ("Logiciels de gestion : fourniture et maintenance", "supply"),
        ("Contrat d'exploitation des installations de chauffage", "service"),
        ("Tablettes tactiles pour les écoles", ""),
        ("Ordinateurs portables, souris et claviers pour la maintenance", ""),  # the cue must open the object
    ],
)
def test_objet_query_reads_the_nature_of_the_purchase(text, nature):
    assert matching.objet_query(text).nature == nature


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Accord-cadre mono-attributaire à bons de commande - Lot n°3 : fourniture de papier pour une durée de "
            "4 ans reconductible",
            ["papier"],
        ),
        ("Relance suite à infructuosité - 2ème tranche : travaux de voirie", ["traval", "voirie"]),
        ("Fourniture de mobilier scolaire pour les années 2019 à 2021", ["mobilier", "scolaire"]),
        ("Acquisition de licences, en application de l'article R2122-8 du code de la commande publique", ["licence"]),
        ("Fourniture, installation et maintenance de vidéoprojecteurs et prestations associées", ["videoprojecteur"]),
        ("Fourniture et pose de stores, et maintenance associée", ["store"]),
        # renting products is a supply contract (code de la commande publique, L1111-3): the object is the product
        ("Location et entretien de fontaines à eau", ["fontaine", "eau"]),
        ("Location-maintenance de photocopieurs", ["photocopieur"]),
        # several buying verbs without "de", abbreviated as administrative objects often are
        ("ACQ. ET MAINT. PHOTOCOPIEURS", ["photocopieur"]),
        ("Fourniture et pose mobilier urbain", ["mobilier", "urbain"]),
        # a service opening the object is what is bought; a lone supply word is a noun
        ("Entretien et maintenance des ascenseurs", ["entretien", "maintenance", "ascenseur"]),
        ("Fournitures scolaires", ["fourniture", "scolaire"]),
        ("Maintenance et location de copieurs", ["photocopieur"]),
        ("LOT2 MAINT. ET LOC PHOTOCOPIEUR", ["photocopieur"]),
        # an object exported twice says it once
        ("ACQ ET MAINT PHOTOCOPIEURS - ACQ ET MAINT PHOTOCOPIEURS", ["photocopieur"]),
        # a part made of buying verbs only says how the thing named before it is bought
        ("Mobilier de bureau : fourniture, livraison et montage", ["mobilier", "bureau"]),
        ("Lot 2 : fournitures scolaires", ["fourniture", "scolaire"]),
        # lone letters of a reference ("2018-S-0051") are not words
        ("2018-S-0051 ATAL - Extension du module télé-service", ["atal", "extension", "module", "tele", "service"]),
    ],
)
def test_objet_query_strips_procedure_and_services_sold_alongside(text, expected):
    assert [term for term, _ in matching.objet_query(text).terms] == expected


def test_objet_query_weighs_the_head_words_more_than_trailing_ones():
    text = "Fourniture de matériel informatique, audiovisuel, logiciels, mobilier et jeux"
    weights = dict(matching.objet_query(text).terms)
    assert weights["materiel"] == weights["informatique"] == 1.0
    assert weights["materiel"] > weights["mobilier"] > weights["jeu"] >= 0.5


def test_objet_query_keeps_the_object_after_a_generic_head():
    weights = dict(matching.objet_query("Prestations de services pour la sauvegarde des données informatiques").terms)
    assert weights["sauvegarde"] == 1.0  # "prestations de services" says nothing: the object follows "pour"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("30121100", "supply"),
        ("48000000", "supply"),
        ("03452000", "supply"),
        ("45442100", "works"),
        ("50313000", "maintenance"),
        ("51611100", "installation"),
        ("80500000", "training"),
        ("71240000", "study"),
        ("72267000", "service"),
        ("90910000", "service"),
    ],
)
def test_code_kind_follows_the_nomenclature_divisions(code, kind):
    assert matching.code_kind(code) == kind


def test_nature_factor_lowers_only_codes_that_contradict_the_nature():
    assert matching.nature_factor("", "45000000") == 1.0
    assert matching.nature_factor("supply", "30121100") == 1.0
    assert matching.nature_factor("supply", "50313000") < 1.0
    assert matching.nature_factor("maintenance", "50313000") == 1.0
    assert matching.nature_factor("maintenance", "30121100") < matching.nature_factor("maintenance", "72267000")
    assert matching.nature_factor("works", "44111400") < 1.0


@pytest.fixture(scope="module")
def nature_index() -> matching.Index:
    """Official labels around copiers, paint and public spaces: supplies, works and services for the same things."""
    labels = {
        "30000000": "Machines, matériel et fourniture informatique et de bureau, excepté les meubles et logiciels",
        "30120000": "Photocopieurs et matériel d'impression offset",
        "30121000": "Matériel de photocopie et d'impression offset",
        "30121100": "Photocopieurs",
        "39200000": "Aménagements",
        "44111400": "Peintures et revêtements muraux",
        "45000000": "Travaux de construction",
        "45233140": "Travaux routiers",
        "45112700": "Travaux d'aménagement paysager",
        "45442100": "Travaux de peinture",
        "50000000": "Services de réparation et d'entretien",
        "50310000": "Maintenance et réparation de machines de bureau",
        "50313000": "Maintenance et réparation de matériel de reprographie",
        "50313100": "Services de réparation de photocopieurs",
        "50313200": "Services d'entretien de photocopieurs",
    }
    return matching.Index([], labels.items())


@pytest.mark.parametrize(
    ("text", "division"),
    [
        ("Maintenance des photocopieurs", "50"),
        ("Contrat d'entretien des photocopieurs des écoles", "50"),
        ("Fourniture de photocopieurs pour les écoles", "30"),
        ("Location et maintenance de photocopieurs pour la mairie", "30"),  # renting is supplying the copiers
        ("Travaux d'aménagement de la place de la mairie", "45"),
        ("Lot 4 : peinture", "45"),
        ("Fourniture de peintures", "44"),
    ],
)
def test_predict_cpv_follows_the_nature_of_the_purchase(nature_index, text, division):
    guess = matching.predict_cpv(nature_index, text)
    assert guess is not None and guess.code[:2] == division, guess


def test_vote_prefers_a_division_with_several_good_codes_to_one_lone_label(cpv_index, monkeypatch):
    monkeypatch.setattr(matching, "CPV_BRANCH_WEIGHT", 0.0)  # the vote on scores alone
    query = matching._prepare_query(cpv_index.cpv, ["ordinateur"])
    ranked = [
        (80.0, "39162110", "label"),
        (76.0, "30213100", "label"),
        (75.0, "30213300", "label"),
        (72.0, "30213000", "label"),
    ]
    narrowed = matching._narrow(cpv_index, query, ranked)
    assert narrowed[0][1] == "30213100"
    assert {code[:3] for _, code, _ in narrowed} == {"302"}
    lone = [(95.0, "39162110", "label"), (60.0, "30213100", "label"), (58.0, "30213300", "label")]
    assert matching._narrow(cpv_index, query, lone)[0][1] == "39162110"  # far ahead: the lone label stays


def test_branch_coverage_credits_the_branches_whose_vocabulary_explains_the_text(nature_index):
    query = matching._prepare_query(nature_index.cpv, ["maintenance", "photocopieur"])
    coverage = matching._branch_coverage(nature_index, query, 2, ["30", "45", "50"])
    assert coverage["50"] > coverage["30"] > coverage.get("45", 0.0)


# --- character folding (computed once per character) -------------------------------------------------------------


def _strip_accents_reference(text):
    import unicodedata

    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@pytest.mark.parametrize(
    "text",
    ["Écran numérique", "ŒUVRE Æ", "ﬁchier ½ ²", "e\u0301cole", "ΟΔΟΣ", "İstanbul", "平板电脑 😀", "", "plain ascii"],
)
def test_strip_accents_matches_the_whole_text_decomposition(text):
    assert matching.strip_accents(text) == _strip_accents_reference(text)


def test_fold_keeps_one_character_per_character():
    from catalog.textnorm import _fold

    text = "Qté : 12 – Écrans ﬁ 😀"
    assert len(_fold(text)) == len(text)
    assert _fold(text).startswith("qte : 12")


def _outputs_under_hash_seeds(script: str, seeds: int) -> set[str]:
    """What a Python script prints under hash seeds 1 to ``seeds``: one output when nothing depends on the seed."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    return {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(1, seeds + 1)
    }


def test_the_same_text_gets_the_same_result_in_every_process():
    """Several app servers and workers must agree: no result may depend on the hash seed of the process."""
    script = (
        "from catalog import matching\n"
        "letters = 'bcdfghjkmnrstvz'\n"
        "words = [f'pla{a}{b}' for a in letters for b in letters[:4]] + ['paie']\n"
        "index = matching.Index([matching.Entry(i, w, [w]) for i, w in enumerate(words)])\n"
        "print(index.items.expand('plaie'), matching.match(index, 'plaie').candidates)\n"
    )
    outputs = _outputs_under_hash_seeds(script, 5)
    assert len(outputs) == 1, outputs


def test_wording_weights_add_up_the_same_in_every_process():
    """A wording's total weight is summed over a set, read in another order under each hash seed: the total (and so
    every score and tie between wordings) must not move by a last bit from one server to another."""
    script = (
        "from catalog import matching\n"
        "labels = ['ecran numerique interactif 65 pouces 4k tactile', 'tablette tactile 10 pouces wifi 64 go',\n"
        "          'ordinateur portable enseignant 15 pouces ssd', 'borne wifi 6 interieure point acces poe']\n"
        "entries = [matching.Entry(i, t, [' '.join(t.split()[:k]) for k in (2, 3)]) for i, t in enumerate(labels)]\n"
        "index = matching.Index(entries)\n"
        "print([repr(d.total) for d in index.items.docs])\n"
    )
    outputs = _outputs_under_hash_seeds(script, 8)
    assert len(outputs) == 1, outputs


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("ENI 75 pouces école Jules Ferry", "ENI 75 pouces école"),
        ("haut parleur bluetooth collège Jean Moulin", "haut parleur bluetooth collège"),
        ("vidéoprojecteur salle Molière", "vidéoprojecteur salle"),
        ("Classe mobile 16 tablettes salle 12", "Classe mobile 16 tablettes salle"),
        ("Classe mobile 16 tablettes étage 12", "Classe mobile 16 tablettes étage"),
        ("switch 24 ports bureau 8", "switch 24 ports bureau"),
        ("vidéoprojecteur bâtiment B niveau 3", "vidéoprojecteur bâtiment niveau"),
    ],
)
def test_the_name_of_a_school_or_room_does_not_weigh_on_the_match(index, text, plain):
    """The words naming the place say where, not what: the line scores as it would without them."""
    named, unnamed = matching.match(index, text), matching.match(index, plain)
    assert (named.item_id, named.score, named.status) == (unnamed.item_id, unnamed.score, unnamed.status)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Classe mobile 16 tablettes étage 12", "classe-mobile-16-tablettes"),
        ("switch 24 ports bloc 8", "switch-24-poe"),
        ("tablette étage 2", "tablette-tactile-10"),
    ],
)
def test_a_floor_or_office_number_does_not_pick_another_size(index, text, code):
    result = matching.match(index, text)
    assert (result.item_id, result.status) == (code, matching.STATUS_MATCHED)


def test_a_catalog_word_after_a_naming_word_still_counts(index):
    strip = matching._without_place_names
    assert strip(index.items, ["ecole", "jule", "ferry", "tablette"]) == ["ecole", "tablette"]
    assert strip(index.items, ["salle", "informatique", "tablette"]) == ["salle", "informatique", "tablette"]
    assert strip(index.items, ["salle", "12", "casque"]) == ["salle", "casque"]  # the room's number
    assert strip(index.items, ["casque", "12"]) == ["casque", "12"]
    assert strip(index.items, ["tablettte", "ecole"]) == ["tablettte", "ecole"]  # a typo before is not a name


def test_a_tie_between_two_items_says_which_other_item_fits_and_what_to_add(index):
    result = matching.match(index, "chromebook")
    assert result.status == matching.STATUS_REVIEW
    assert {c.item_id for c in result.candidates[:2]} == {"chromebook-eleve-11", "chromebook-14"}
    rival = result.candidates[1].label
    assert f"« {rival} » convient aussi" in result.explanation
    assert "précisez le modèle, la taille ou la capacité" in result.explanation
    sure = matching.match(index, "chromebook 14 pouces")
    assert sure.status == matching.STATUS_MATCHED and "convient aussi" not in sure.explanation


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("blue bot", "robot-sol-bluetooth"),  # the Bluetooth floor robot, not the Bee-Bot
        ("bee bot", "robot-sol-maternelle"),
        ("casque audio avec micro", "casque-micro-usb"),  # « avec micro » is the point
        ("casque audio", "casque-audio-eleve"),
        ("clavier filaire pour CM1", "clavier"),
        ("portable 15 pouces", "pc-portable-enseignant-15"),  # how buyers write the 15.6-inch laptop
        ("licences ENT école", "ent-premier-degre"),  # was the collège ENT, through « licence ent »
        ("licences ENT collège", "ent-second-degre"),
    ],
)
def test_common_wordings_of_the_seed_catalog_are_matched_for_sure(index, text, code):
    result = matching.match(index, text)
    assert (result.item_id, result.status) == (code, matching.STATUS_MATCHED)


def test_a_number_written_alone_answers_the_sizes_of_that_number(index):
    """« portable 15,6 » without « pouces »: the 15.6-inch laptop comes first; « onduleur 600 » is the 600 VA one."""
    assert matching.match(index, "portable 15,6").item_id == "pc-portable-enseignant-15"
    assert matching.match(index, "onduleur 600").item_id == "onduleur-600"
    assert dict(index.items.expand("15.6")).get("15.6pouce") == matching.EQUIVALENT_SIMILARITY


@pytest.mark.parametrize("text", ["ENT", "abonnement ENT", "espace numérique de travail"])
def test_an_ent_that_says_no_school_level_needs_a_look(index, text):
    """Communes buy the primary ENT, départements and régions the secondary one: the wording alone cannot tell."""
    result = matching.match(index, text)
    assert result.status == matching.STATUS_REVIEW
    assert {c.item_id for c in result.candidates[:2]} == {"ent-premier-degre", "ent-second-degre"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("19 licences pare-feu", "licence-pare-feu"),
        ("27 licences serveur", "windows-server"),
        ("10 abonnements ENT collège", "ent-second-degre"),
    ],
)
def test_a_licence_or_subscription_unit_is_part_of_what_is_bought(index, text, code):
    """« licences » is read as the unit, but it also says what is bought: a firewall licence, not a firewall."""
    result = matching.match(index, text)
    assert (result.item_id, result.status) == (code, matching.STATUS_MATCHED)
    assert matching.extract_quantity(text)[:2] == (int(text.split()[0]), text.split()[1].rstrip("s"))


@pytest.mark.parametrize(
    ("text", "unknown"), [("Barres de gymnastique", "gymnastique"), ("Sonde dentaire", "dentaire")]
)
def test_one_generic_catalog_word_beside_a_word_no_item_uses_needs_a_look(index, text, unknown):
    """« barre » alone is an alias of the sound bar: « barres de gymnastique » must not be matched for sure."""
    result = matching.match(index, text)
    assert result.status == matching.STATUS_REVIEW
    assert f"Un seul mot reconnu, et « {unknown} » n'apparaît dans aucun article" in result.explanation


@pytest.mark.parametrize("text", ["casque", "tablette samsung", "casque audio enfant"])
def test_a_known_item_word_with_a_brand_or_qualifier_stays_matched(index, text):
    assert matching.match(index, text).status == matching.STATUS_MATCHED


@pytest.mark.parametrize(
    ("text", "code"),
    [("cmaera document", "visualiseur-usb"), ("swtich 8 ports", "switch-8-poe"), ("robot tyhmio", "robot-thymio")],
)
def test_two_swapped_letters_are_read_as_the_word(index, text, code):
    """A swap costs two edits to rapidfuzz's ratio and fell under the cutoff in short words."""
    result = matching.match(index, text)
    assert (result.item_id, result.status) == (code, matching.STATUS_MATCHED)


def test_a_typo_too_far_to_read_is_not_an_unknown_word(index):
    """« muarle » resembles « murale »: the line stays matched; « gymnastique » resembles nothing."""
    assert matching.match(index, "armoire muarle").status == matching.STATUS_MATCHED
    assert index.items.resembles_vocabulary("muarle") and not index.items.resembles_vocabulary("gymnastique")


@pytest.mark.parametrize(
    "text", ["maintenance", "formation", "ordinateur", "hub", "PC pour salle de SVT", "ordinateurs ULIS"]
)
def test_one_word_that_is_only_part_of_a_wording_needs_a_look(index, text):
    """« maintenance » alone was matched for sure to the maintenance of the computer park: it could be any. Words
    no item has (« SVT ») or saying where (« salle ») do not make « PC » say more."""
    result = matching.match(index, text)
    assert result.status == matching.STATUS_REVIEW
    assert "Un seul mot reconnu, qui ne suffit pas à désigner cet article" in result.explanation


@pytest.mark.parametrize("text", ["classe mobile", "ENT lycée", "intervention sur site"])
def test_a_context_word_of_the_wording_itself_is_a_word_said(index, text):
    assert matching.match(index, text).status == matching.STATUS_MATCHED


@pytest.mark.parametrize("text", ["casque", "tablette", "VPI", "webcam"])
def test_one_word_that_is_a_whole_wording_stays_matched(index, text):
    assert matching.match(index, text).status == matching.STATUS_MATCHED


def test_a_real_word_of_the_nomenclature_is_not_read_as_a_typo_of_a_catalog_word():
    """« routier » is no typo of « router », nor « mousse » of « mouse », when the CPV labels use them."""
    entries = [
        matching.Entry("router", "Routeur d'accès internet", ["router"]),
        matching.Entry("mouse", "Souris optique USB", ["mouse"]),
    ]
    cpv = [("34000000", "Véhicules routiers"), ("24000000", "Mousse pour extincteurs")]
    with_nomenclature = matching.Index(entries, cpv)
    assert matching.match(with_nomenclature, "tracteurs routiers").status == matching.STATUS_UNMATCHED
    assert matching.match(with_nomenclature, "mousse").status == matching.STATUS_UNMATCHED
    assert matching.match(with_nomenclature, "routre").item_id == "router"  # a typo still reads
    alone = matching.Index(entries)  # without the nomenclature, nothing says « routier » is a word
    assert matching.match(alone, "routier").item_id == "router"


def test_a_real_word_beside_a_one_word_alias_is_an_unknown_word_even_if_it_resembles_one():
    """« routier » resembles « router » but is a word of its own (the nomenclature uses it): « modem routier » is
    not a modem for sure."""
    entries = [matching.Entry("modem", "Modem", ["modem"]), matching.Entry("router", "Routeur", ["router"])]
    index = matching.Index(entries, [("34000000", "Véhicules routiers")])
    result = matching.match(index, "modem routier")
    assert result.status == matching.STATUS_REVIEW and "« routier » n'apparaît dans aucun article" in result.explanation


def test_a_service_on_things_is_not_sure_for_a_line_naming_the_things_only():
    index = matching.Index(
        [
            matching.Entry(
                "deee",
                "Reprise et recyclage des équipements usagés",
                ["recyclage materiel informatique"],
                "s",
                "90500000",
            ),
            matching.Entry("pc", "Ordinateur portable 15 pouces", ["pc portable"], "postes", "30213100"),
        ]
    )

    things = matching.match(index, "matériel informatique")
    assert (things.item_id, things.status) == ("deee", matching.STATUS_REVIEW)
    assert "prestation (« recyclage »)" in things.explanation
    assert matching.match(index, "recyclage matériel informatique").status == matching.STATUS_MATCHED
    # a supply named without its head word (« portable » for « ordinateur portable ») stays sure
    laptop = matching.match(index, "portable 15 pouces")
    assert (laptop.item_id, laptop.status) == ("pc", matching.STATUS_MATCHED)


def test_a_line_opening_with_another_catalog_thing_is_not_sure_for_the_thing_it_fits():
    """« chargeur ordinateur portable » asks for a charger: said first, it is what is bought, even when the
    computer's wording is all the line matches."""
    index = matching.Index(
        [
            matching.Entry("pc", "Ordinateur portable élève", ["ordi portable"], "postes", "30213100"),
            matching.Entry("cart", "Chariot de recharge", ["chargeur de tablettes"], "u", "39150000"),
            matching.Entry("vp", "Vidéoprojecteur interactif", ["vpi"], "u", "38652120"),
        ]
    )

    charger = matching.match(index, "chargeur ordinateur portable")
    assert (charger.item_id, charger.status) == ("pc", matching.STATUS_REVIEW)
    assert "porte d'abord sur « chargeur »" in charger.explanation
    # the computer itself, with a leading adjective or a context, stays sure
    for text in ("ordinateur portable élève", "nouveau ordinateur portable", "20 ordi portables pour la classe"):
        result = matching.match(index, text)
        assert (result.item_id, result.status) == ("pc", matching.STATUS_MATCHED), text
        assert "porte d'abord sur" not in result.explanation
    # a word written in two (« video projecteur ») is the item's own word, not another thing
    split = matching.match(index, "video projecteur interactif")
    assert (split.item_id, split.status) == ("vp", matching.STATUS_MATCHED)
    # an unknown first word (a brand the catalog does not know) is no other thing of the catalog
    assert "porte d'abord sur" not in matching.match(index, "zorglub ordinateur portable élève").explanation
    # nor is a maker's name (« Microsoft Surface Go ») or a word saying for whom, though the catalog uses them
    with_brand = matching.Index(
        [*index.entries.values(), matching.Entry("m365", "Suite Microsoft 365", ["microsoft 365"], "u", "48000000")]
    )
    for text in ("microsoft ordinateur portable élève", "direction ordinateur portable élève"):
        assert "porte d'abord sur" not in matching.match(with_brand, text).explanation, text
    assert "porte d'abord sur « chargeur »" in matching.match(with_brand, "chargeur ordinateur portable").explanation
    # but a word of the nomenclature that no item has is one (« batterie »)
    with_batteries = matching.Index(index.entries.values(), [("31440000", "Batteries")])
    battery = matching.match(with_batteries, "batterie ordinateur portable élève")
    assert battery.status == matching.STATUS_REVIEW and "porte d'abord sur « batterie »" in battery.explanation
    # … only when it opens the line: after a word of kind, it says what the thing is for (« logiciel de maths »)
    with_maths = matching.Index(index.entries.values(), [("80000000", "Mathématiques")])
    assert "porte d'abord" not in matching.match(with_maths, "licence mathématiques ordinateur portable").explanation


def test_the_thing_a_line_opens_with_is_proposed_before_the_thing_it_fits():
    """« souris pour ordinateur portable » asks for a mouse. The laptop explains more of its words and scores more,
    but the mouse comes first among the candidates; the line stays to review, and says why."""
    index = matching.Index(
        [
            matching.Entry("pc", "Ordinateur portable élève", ["ordi portable"], "postes", "30213100"),
            matching.Entry("souris", "Souris optique USB", ["souris", "souris usb"], "u", "30237410"),
            matching.Entry("vp", "Vidéoprojecteur", ["videoprojecteur"], "u", "38652120"),
        ]
    )

    mouse = matching.match(index, "souris pour ordinateur portable")
    assert (mouse.item_id, mouse.status) == ("souris", matching.STATUS_REVIEW)
    assert [c.item_id for c in mouse.candidates][:2] == ["souris", "pc"]
    assert mouse.candidates[0].score < mouse.candidates[1].score  # proposed for what is asked, not for its score
    assert "porte d'abord sur « souris » : cet article passe devant « Ordinateur portable élève »" in mouse.explanation
    # a line with nothing of the catalog's in its first word keeps the order of the scores
    laptop = matching.match(index, "ordinateur portable avec souris")
    assert laptop.candidates[0].item_id == "pc" and "passe devant" not in laptop.explanation
    # no candidate has the first word: the best one stays first (« chargeur »: no charger in this catalog)
    charger = matching.match(index, "chargeur ordinateur portable")
    assert charger.item_id == "pc" and "passe devant" not in charger.explanation


def test_a_line_naming_a_thing_the_best_item_lacks_proposes_the_item_that_has_it_first(index):
    """« garantie tablettes 3 ans » is the tablets' breakage cover, though the computers' warranty extension explains
    « garantie » and « 3 ans » too and scores more."""
    result = matching.match(index, "garantie tablettes 3 ans")
    assert (result.item_id, result.status) == ("assurance-casse-tablette", matching.STATUS_REVIEW)
    assert result.candidates[1].item_id == "extension-garantie-portable-3ans"
    assert "parle de « tablette » : cet article passe devant « Extension de garantie 3 ans" in result.explanation


def test_a_whole_number_of_inches_is_the_size_buyers_round_down_to(index):
    """« chromebook 11 pouces » is the 11.6-inch Chromebook: buyers drop the decimals. The explanation writes the
    sizes the French way."""
    result = matching.match(index, "chromebook acer 11 pouces")
    assert (result.item_id, result.status) == ("chromebook-eleve-11", matching.STATUS_MATCHED)
    assert "11,6 pouces (lu « 11 pouces »)" in result.explanation
    # a whole size of another item is still another size
    assert matching.match(index, "chromebook 13 pouces").status == matching.STATUS_REVIEW


def test_a_makers_name_is_no_other_thing_beside_a_one_word_match(index):
    """« tambour Brother » is a drum; « Brother » is a maker no item names, not a second thing to check."""
    assert matching.match(index, "tambour brother DR-2400").status == matching.STATUS_MATCHED
    assert matching.match(index, "tambour gymnastique").status == matching.STATUS_REVIEW


def test_a_line_opening_with_a_thing_no_item_sells_falls_back_to_the_nomenclature(index):
    """« mobilier pour la salle informatique » shares one word with the users' hotline: the line is about furniture,
    which the catalog does not sell. It is unrecognised, with the nomenclature's code, rather than an item to review."""
    labels = [
        *index.cpv_labels.items(),
        ("39134000", "Mobilier informatique"),
        ("38820000", "Matériel de télécommande"),
        ("41110000", "Eau potable"),
    ]
    with_furniture = matching.Index(index.entries.values(), labels)

    furniture = matching.match(with_furniture, "mobilier pour la salle informatique")
    assert (furniture.status, furniture.cpv) == (matching.STATUS_UNMATCHED, "39134000")
    assert "le texte porte d'abord sur « mobilier », qu'aucun article du catalogue ne propose" in furniture.explanation
    # the word is written as the nomenclature writes it
    remote = matching.match(with_furniture, "telecommande videoprojecteur")
    assert remote.status == matching.STATUS_UNMATCHED and "« télécommande »" in remote.explanation
    # a slip for a catalog word (« potable » for « portable ») is not another thing: the line stays to review
    assert matching.match(with_furniture, "potable élève").status == matching.STATUS_REVIEW
    # nor is a line whose item explains more than one of its words
    assert matching.match(with_furniture, "mobilier ordinateur portable élève").status == matching.STATUS_REVIEW


def test_a_line_sharing_only_a_word_of_kind_with_the_catalog_is_unrecognised(index):
    """« licence GeoGebra » shares « licence » with every licence the catalog sells: no item is proposed for sure or
    for review, and the nomenclature's code is, with the reason."""
    labels = [*index.cpv_labels.items(), ("48000000", "Logiciels et systèmes d'information")]
    with_software = matching.Index(index.entries.values(), labels, matching.read_cpv_synonyms())
    for text in ("licence GeoGebra", "abonnement Quizlet", "logiciel"):
        result = matching.match(with_software, text)
        assert (result.status, result.item_id) == (matching.STATUS_UNMATCHED, None), text
    geogebra = matching.match(with_software, "licence GeoGebra")
    assert "le seul mot reconnu, « licence », dit le genre de chose, pas laquelle" in geogebra.explanation
    assert geogebra.cpv == "48000000"
    # a word of kind beside the thing itself is a match as before
    assert matching.match(with_software, "licence windows").item_id == "windows-education"


def test_a_size_inside_the_range_of_an_item_counts_as_said_by_it():
    """« câble HDMI 5 m » is the cable sold « de 1 à 10 m »: the size is part of what the item explains, even when
    another item writes « 5 m » as a word of its own."""
    index = matching.Index(
        [
            matching.Entry("hdmi", "Câble HDMI (1 à 10 m)", ["cable hdmi"], "u", "32581100"),
            matching.Entry("usb", "Câble USB (1 à 5 m)", ["cable usb"], "u", "32581100"),
        ]
    )

    result = matching.match(index, "câble HDMI 5 m pour la salle 12")
    assert (result.item_id, result.status) == ("hdmi", matching.STATUS_MATCHED)
    assert "mots reconnus câble, HDMI, 5 m" in result.explanation
    assert result.score > matching.match(index, "câble HDMI 15 m pour la salle 12").score


@pytest.mark.parametrize(
    ("text", "item_id"),
    [
        ("chargeur ordinateur portable", "chargeur-portable"),
        ("alimentation secteur pc portable", "chargeur-portable"),
        ("batterie pc portable", "batterie-portable"),
        ("lampe de vidéoprojecteur", "lampe-videoprojecteur"),
        ("support plafond vidéoprojecteur", "support-plafond-videoprojecteur"),
        ("chargeur ipad", "chargeur-tablette"),
        ("pied pour tablette", "support-tablette"),
        ("câble VGA 10 m", "cable-vga"),
        ("rallonge USB 5 m", "cable-usb"),
        ("tambour imprimante laser", "tambour-imprimante"),
        ("cartouches d'encre epson", "cartouche-encre"),  # ink is no laser toner
        ("licence office 365 élèves", "m365-a3"),  # not the perpetual Office its « licence office » names
        ("stylets pour ENI Speechi", "stylet-tni"),  # not the tablet stylus
        ("clavier sans fil", "clavier-sans-fil"),  # not the wired keyboard
        ("kit clavier souris sans fil", "clavier-souris-sans-fil"),
        ("jarretière optique", "jarretiere-optique"),  # not the RJ45 patch cord
        ("écran tactile 24 pouces", "ecran-tactile-22"),  # not the 24-inch monitor that is not touch
        ("licence FortiGuard", "licence-pare-feu"),  # the makers' names of firewall subscriptions
        ("remplacement des écrans d'iPad", "reparation-ecran-tablette"),  # not the iPad, nor a monitor
    ],
)
def test_accessories_and_spare_parts_have_items_of_their_own(index, text, item_id):
    """A charger, a lamp or a mount is bought on its own and pooled on its own: the device it fits is not what the
    line asks for."""
    result = matching.match(index, text)
    assert (result.item_id, result.status) == (item_id, matching.STATUS_MATCHED), result.explanation


def test_a_sector_is_where_the_line_goes_not_a_mains_charger(index):
    """« secteur » says where (« écoles du secteur nord ») far more often than « mains » (« chargeur secteur »): a
    context word, which no longer makes the tablet charger the first candidate for tablets."""
    result = matching.match(index, "tablettes écoles du secteur nord")
    assert (result.item_id, result.status) == ("tablette-tactile-10", matching.STATUS_MATCHED)
    assert matching.match(index, "chargeur secteur tablette").item_id == "chargeur-tablette"


def test_a_cartridge_without_ink_or_toner_says_too_little(index):
    result = matching.match(index, "cartouche")
    assert result.status == matching.STATUS_REVIEW
    assert {c.item_id for c in result.candidates[:2]} == {"toner", "cartouche-encre"}


def test_a_maker_range_is_no_sure_match_for_one_model(index):
    """The Epson EB range holds interactive and plain projectors: the alias « epson eb-7 » is retired."""
    assert matching.match(index, "Vidéoprojecteur Epson EB-L210SF").status == matching.STATUS_REVIEW
    assert matching.match(index, "epson eb 725wi").status == matching.STATUS_MATCHED


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("HP ProBook 450 G10", "postes-portables"),
        ("Acer TravelMate B3", "postes-portables"),
        ("Dell Latitude 3440 14 pouces", "postes-portables"),
        ("Lenovo ThinkCentre M70q", "postes-fixes"),
        ("Samsung Flip 3", "affichage-interactif"),  # an interactive display, not the « flip » convertible laptop
        ("Clevertouch", "affichage-interactif"),
    ],
)
def test_a_makers_model_range_names_the_kind_of_computer_not_one_item(index, text, family):
    """A line copied from a quote names a model range (« ProBook », « Latitude », « Clevertouch »): it is a laptop or
    an interactive display, of a size and use the buyer must say. Such lines were unrecognised; they now go to
    review with the items of that kind, and the size decides when the line gives it."""
    result = matching.match(index, text)
    assert result.status == matching.STATUS_REVIEW
    assert len(result.candidates) >= 2
    assert all(index.entries[c.item_id].family == family for c in result.candidates[:2])


def test_a_display_range_with_its_size_is_that_display(index):
    result = matching.match(index, "Promethean ActivPanel 75 pouces")
    assert (result.item_id, result.status) == ("eni-75", matching.STATUS_MATCHED)


def test_office_alone_does_not_say_subscription_or_perpetual_licence(index):
    """« Microsoft Office » is sold as the Microsoft 365 subscription and as a perpetual licence: alone it is to
    review; a version says which (« 2021 »: perpetual, « 365 »: subscription)."""
    assert matching.match(index, "microsoft office").status == matching.STATUS_REVIEW
    perpetual = matching.match(index, "microsoft office 2021")
    assert (perpetual.item_id, perpetual.status) == ("office-ltsc", matching.STATUS_MATCHED)
    subscription = matching.match(index, "microsoft office 365")
    assert (subscription.item_id, subscription.status) == ("m365-a3", matching.STATUS_MATCHED)


@pytest.mark.parametrize("text", ["formation des enseignants", "formation PIX enseignants"])
def test_a_training_for_teachers_without_its_subject_is_not_the_interactive_display_one(index, text):
    """Every training is for teachers: without its subject, the line is no sure match for the training on
    interactive displays (its alias « formation enseignants » is retired)."""
    assert matching.match(index, text).status == matching.STATUS_REVIEW


def test_a_nomenclature_word_beside_a_wording_the_line_does_not_cover_is_not_sure(index):
    """« logiciel de gestion de la cantine » is no classroom-management software: the line names « cantine », which
    no item has, and does not say « classe »."""
    labels = [*index.cpv_labels.items(), ("55524000", "Services de traiteur pour cantine scolaire")]
    with_canteen = matching.Index(index.entries.values(), labels)

    canteen = matching.match(with_canteen, "logiciel de gestion de la cantine")
    assert canteen.status == matching.STATUS_REVIEW
    assert with_canteen.entries[canteen.item_id].label.startswith("Logiciel de gestion de classe")
    assert "parle de « cantine »" in canteen.explanation and "ne dit pas « classe »" in canteen.explanation
    # the wording said in full stays sure, whatever the line adds about where it goes
    assert matching.match(with_canteen, "logiciel de gestion de classe").status == matching.STATUS_MATCHED
    assert matching.match(with_canteen, "casque audio pour la cantine").status == matching.STATUS_MATCHED


def test_a_one_word_match_beside_a_word_another_item_explains_is_not_sure(index):
    """« valise de robotique » is no tablet case: the case's one-word alias « valise » matches, but « robotique »
    is the word of other items. A word saying for whom (« direction ») is no other thing."""
    case = matching.match(index, "valise de robotique")
    assert case.status == matching.STATUS_REVIEW
    assert "« robotique » figure dans un autre article" in case.explanation

    assert matching.match(index, "valise").status == matching.STATUS_MATCHED
    assert matching.match(index, "valise pour les enseignants").status == matching.STATUS_MATCHED
    assert "autre article" not in matching.match(index, "valise (direction)").explanation


@pytest.mark.parametrize(
    ("text", "item_id"),
    [
        ("Ordinateur portable 14 pouces Intel Core i5 16 Go RAM SSD 512 Go Windows 11 Pro", "pc-portable-eleve-14"),
        ("Tablette iPad 10e génération 64 Go Wi-Fi avec coque renforcée", "tablette-ipad"),
        ("Chromebook 11,6 pouces 4 Go 32 Go eMMC licence CEU incluse", "chromebook-eleve-11"),
    ],
)
def test_a_long_line_copied_from_a_quote_is_the_thing_it_opens_with(index, text, item_id):
    """The last words of a spec line (« Windows 11 Pro », « coque renforcée », « licence CEU ») describe the thing
    named first; they do not make it a licence or a case."""
    assert matching.match(index, text).item_id == item_id


def test_the_explanation_writes_words_as_the_catalog_does(index):
    """Sizes as a buyer writes them, accents and acronyms as the catalog's labels and aliases write them."""
    result = matching.match(index, "ENI 75 pouces")
    assert "mots reconnus ENI, 75 pouces" in result.explanation and "75pouce" not in result.explanation
    screen = matching.match(index, "ecran numerique interactif 65 pouces")
    assert "mots reconnus écran, numérique, interactif" in screen.explanation
    # a normalised word is never shown in a form meaning something else (« PC » normalises to « ordinateur »)
    assert index.display.get("ordinateur", "ordinateur") == "ordinateur"
    # a word the normalisation cuts is shown whole (« souris », read « souri »), a plural only when no singular is
    assert "mots reconnus souris" in matching.match(index, "souris").explanation
    assert "mots reconnus tablette" in matching.match(index, "tablette tactile").explanation
    # hyphens and capitals inside a word as the catalog writes them (« pare-feu » is one token, « parefeu »)
    assert "mots reconnus pare-feu" in matching.match(index, "parefeu stormshield").explanation
    assert "mots reconnus borne, Wi-Fi" in matching.match(index, "borne wifi").explanation
    # a word only the nomenclature has is written as the nomenclature writes it
    with_remote = matching.Index(
        index.entries.values(), [*index.cpv_labels.items(), ("38820000", "Matériel de télécommande")]
    )
    remote = matching.match(with_remote, "tambour telecommande")
    assert "« télécommande » n'apparaît dans aucun article" in remote.explanation


def test_a_line_naming_another_thing_than_the_item_is_not_sure(index):
    """« extension de garantie tablettes » is no warranty extension for computers, and « formation des
    enseignants aux tablettes » no training on interactive displays, though their wordings match."""
    warranty = matching.match(index, "extension de garantie tablettes")
    assert warranty.status == matching.STATUS_REVIEW
    assert "Le texte parle de « tablette » et cet article de « ordinateur »" in warranty.explanation
    assert warranty.candidates[0].item_id == "extension-garantie-portable-3ans"  # the tablet, only mentioned, is not
    training = matching.match(index, "formation des enseignants aux tablettes")
    assert (training.item_id, training.status) == ("formation-tablettes", matching.STATUS_MATCHED)
    # the thing of the item itself, or no thing at all, keeps the match sure
    assert matching.match(index, "extension de garantie ordinateurs").status == matching.STATUS_MATCHED
    assert matching.match(index, "formation des enseignants à l'ENI").status == matching.STATUS_MATCHED


def test_a_line_listing_several_things_is_not_sure_unless_the_item_sells_them_together(index):
    """Each thing is pooled with the same needs of other members: « tablettes et coques » needs two lines."""
    for text in ("tablettes et coques", "ordinateurs et écrans", "PC portable avec souris et sacoche"):
        result = matching.match(index, text)
        assert result.status == matching.STATUS_REVIEW, text
        assert result.explanation.startswith("Rapprochement à vérifier")
        assert "plusieurs choses" in result.explanation and "déclarez-en une par ligne" in result.explanation
    # a set the catalog sells as one item, and a thing with its features, stay sure
    assert matching.match(index, "clavier et souris").status == matching.STATUS_MATCHED
    assert matching.match(index, "switch 24 ports PoE+ manageable").status == matching.STATUS_MATCHED
    assert matching.match(index, "coque de protection pour tablette").status == matching.STATUS_MATCHED


def test_a_wording_the_collectivite_taught_is_sure_again_whatever_the_rules_for_doubtful_lines(index):
    """Confirming a line teaches its wording: the same text is then matched for sure, even one the rules send to
    review (several things listed, another thing named first, a vague word)."""
    doubtful = ("tablettes et coques", "souris pour ordinateur portable", "télécommande vidéoprojecteur")
    for text in (*doubtful, "PC pour salle de SVT", "maintenance"):
        proposed = matching.match(index, text)
        assert proposed.status == matching.STATUS_REVIEW, text
        entries = [
            matching.Entry(
                e.item_id,
                e.label,
                [*e.aliases, *([matching.AliasText(text, 7)] if e.item_id == proposed.item_id else [])],
                e.family,
                e.cpv,
            )
            for e in index.entries.values()
        ]
        taught = matching.Index(entries, index.cpv_labels.items())
        again = matching.match(taught, text.upper(), scope=7)
        assert (again.item_id, again.status) == (proposed.item_id, matching.STATUS_MATCHED), text
        assert matching.match(taught, text).status == matching.STATUS_REVIEW  # other collectivités still check


def test_a_website_is_no_internet_access(index):
    """« site internet de l'école » was a sure match for the fibre access (« internet », and « site » read from its
    billing unit « par site »): a website is a word of its own, which no item sells."""
    result = matching.match(index, "site internet de l'école")
    assert result.status == matching.STATUS_UNMATCHED
    assert matching.match(index, "accès internet par site").status == matching.STATUS_MATCHED
