"""Import of the reference data (procurement/reference.py and its two management commands).

The tests write their own small CSV files in the real column layouts (PROVENANCE.md §2–3); only the last test
reads the shared files, and only when settings.REFERENCE_DATA_DIR exists.
"""

import csv
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from procurement.models import Collectivity, CollectivityKind, Site, SiteKind
from procurement.reference import (
    ReferenceDataError,
    import_collectivites,
    import_etablissements,
    load_builtin_territory,
)
from procurement.validators import uai_check_letter

pytestmark = pytest.mark.django_db


def columns(text: str, sep: str = ",") -> list[str]:
    return text.split(sep)


REGIONS = ["code_insee", "nom", "chef_lieu_commune", "zone", "siren", "siren_categorie"]
DEPARTEMENTS = ["code_insee", "nom", "region_code", "chef_lieu_commune", "zone", "siren", "siren_categorie"]
EPCI = ["siren", "nom", "type", "mode_financement", "population_totale", "population_municipale", "nb_communes"]
EPCI_MEMBRES = [
    "epci_siren",
    "commune_code_insee",
    "commune_siren",
    "commune_nom",
    "population_totale",
    "population_municipale",
]
COMMUNES = [
    "code_insee",
    "nom",
    "type",
    "departement_code",
    "region_code",
    "arrondissement_code",
    "siren",
    "codes_postaux",
    "population",
    "epci_siren",
    "zone",
    "commune_parente",
]
COLLEGES = columns(
    "numero_uai,appellation_officielle,denomination_principale,patronyme_uai,secteur_public_prive_libe,"
    "adresse_uai,lieu_dit_uai,boite_postale_uai,code_postal_uai,localite_acheminement_uai,libelle_commune,"
    "coordonnee_x,coordonnee_y,EPSG,latitude,longitude,appariement,localisation,nature_uai,nature_uai_libe,"
    "etat_etablissement,etat_etablissement_libe,code_departement,code_region,code_academie,code_commune,"
    "libelle_departement,libelle_region,libelle_academie,position,secteur_prive_code_type_contrat,"
    "secteur_prive_libelle_type_contrat,code_ministere,libelle_ministere,date_ouverture"
)
LYCEES = ["uai", "nom", "ville", "code_postal", "pays", "departement_code", "departement", "region"]
ANNUAIRE = columns(
    "Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Statut_public_prive;Adresse_1;Adresse_2;"
    "Adresse_3;Code postal;Code_commune;Nom_commune;Code_departement;Code_academie;Code_region;Ecole_maternelle;"
    "Ecole_elementaire;Voie_generale;Voie_technologique;Voie_professionnelle;Telephone;Fax;Web;Mail;Restauration;"
    "Hebergement;ULIS;Apprentissage;Segpa;Section_arts;Section_cinema;Section_theatre;Section_sport;"
    "Section_internationale;Section_europeenne;Lycee_Agricole;Lycee_militaire;Lycee_des_metiers;Post_BAC;"
    "Appartenance_Education_Prioritaire;GRETA;SIREN_SIRET;Nombre_d_eleves;Fiche_onisep;position;"
    "Type_contrat_prive;Libelle_departement;Libelle_academie;Libelle_region;coordonnee_X;coordonnee_Y;epsg;"
    "nom_circonscription;latitude;longitude;precision_localisation;date_ouverture;date_maj_ligne;etat;"
    "ministere_tutelle;etablissement_multi_lignes;rpi_concentre;rpi_disperse;code_nature;libelle_nature;"
    "Code_type_contrat_prive;PIAL;etablissement_mere;type_rattachement_etablissement_mere;code_bassin_formation;"
    "libelle_bassin_formation",
    sep=";",
)

RENNES_METROPOLE = "243500139"
VANNES_AGGLO = "200067932"


def uai(number: int) -> str:
    digits = f"{number:07d}"
    return digits + uai_check_letter(digits)


def write_csv(path: Path, header: list[str], rows: list[dict], *, delimiter: str = ",", bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, delimiter=delimiter, lineterminator="\r\n" if bom else "\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")


def commune(code, name, siren, epci="", *, kind="commune-actuelle", population="1000"):
    departement = code[:2]
    region = {"35": "53", "56": "53", "44": "52", "75": "11"}[departement]
    return {
        "code_insee": code,
        "nom": name,
        "type": kind,
        "departement_code": departement,
        "region_code": region,
        "siren": siren,
        "population": population,
        "epci_siren": epci,
        "zone": "metro",
    }


def write_collectivites(root: Path, *, communes: list[dict] | None = None, epci: list[dict] | None = None) -> Path:
    folder = root / "reference" / "collectivites"
    write_csv(
        folder / "regions.csv",
        REGIONS,
        [
            {"code_insee": "53", "nom": "Bretagne", "siren": "233500016"},
            {"code_insee": "52", "nom": "Pays de la Loire", "siren": "234400034"},
            {"code_insee": "11", "nom": "Île-de-France", "siren": "237500079"},
        ],
    )
    write_csv(
        folder / "departements.csv",
        DEPARTEMENTS,
        [
            {"code_insee": "35", "nom": "Ille-et-Vilaine", "region_code": "53", "siren": "223500018"},
            {"code_insee": "56", "nom": "Morbihan", "region_code": "53", "siren": "225600014"},
            {"code_insee": "44", "nom": "Loire-Atlantique", "region_code": "52", "siren": "224400028"},
            # Paris: one SIREN for the département and the commune
            {"code_insee": "75", "nom": "Paris", "region_code": "11", "siren": "217500016"},
        ],
    )
    if epci is None:
        epci = [
            {"siren": RENNES_METROPOLE, "nom": "Rennes Métropole", "type": "METRO", "population_municipale": "473973"},
            {"siren": VANNES_AGGLO, "nom": "Golfe du Morbihan - Vannes Agglomération", "type": "CA"},
        ]
    write_csv(folder / "epci.csv", EPCI, epci)
    write_csv(folder / "epci_membres.csv", EPCI_MEMBRES, [])
    if communes is None:
        communes = [
            commune("35238", "Rennes", "213502388", RENNES_METROPOLE, population="230890"),
            commune("35047", "Bruz", "213500473", RENNES_METROPOLE),
            commune("56260", "Vannes", "215602608", VANNES_AGGLO),
            commune("44109", "Nantes", "214401093"),
            commune("75056", "Paris", "217500016"),
            commune("75101", "Paris 1er Arrondissement", "", kind="arrondissement-municipal"),
        ]
    write_csv(folder / "communes.csv", COMMUNES, communes)
    return root


def college(number, name, commune_code, *, departement="035", sector="Public"):
    return {
        "numero_uai": uai(number),
        "appellation_officielle": name,
        "secteur_public_prive_libe": sector,
        "code_postal_uai": "35000",
        "libelle_commune": "Rennes",
        "code_commune": commune_code,
        "code_departement": departement,
        "code_region": "53",
    }


def ecole(number, name, commune_code, *, status="Public", pupils="120", departement="035"):
    return {
        "Identifiant_de_l_etablissement": uai(number),
        "Nom_etablissement": name,
        "Type_etablissement": "Ecole",
        "Statut_public_prive": status,
        "Code postal": "35000",
        "Code_commune": commune_code,
        "Nom_commune": "Rennes",
        "Code_departement": departement,
        "Nombre_d_eleves": pupils,
    }


def write_etablissements(root: Path, *, colleges=None, lycees=None, ecoles=None) -> Path:
    folder = root / "reference" / "etablissements"
    write_csv(
        folder / "colleges_france.csv",
        COLLEGES,
        colleges
        if colleges is not None
        else [
            college(350027, "Collège Les Gayeulles", "35238"),
            college(350090, "Collège privé Saint-Martin", "35238", sector="Privé"),
            college(560001, "Collège Jules Simon", "56260", departement="056"),
        ],
    )
    write_csv(
        folder / "lycees_france.csv",
        LYCEES,
        lycees
        if lycees is not None
        else [
            {"uai": "0350024L", "nom": "LYCÉE ÉMILE ZOLA", "ville": "RENNES CEDEX", "code_postal": "35044"},
            {"uai": "0350800E", "nom": "LYCÉE PRIVÉ SAINT-VINCENT", "ville": "RENNES", "code_postal": "35000"},
            {"uai": "0050001Z", "nom": "LYCÉE FRANÇAIS DE MADRID", "ville": "MADRID", "code_postal": "", "pays": "ES"},
        ],
    )
    if ecoles is None:
        ecoles = [
            ecole(350592, "Ecole élémentaire publique Joseph Lotte", "35238"),
            ecole(350593, "Ecole privée Sainte-Thérèse", "35238", status="Privé"),
            ecole(351813, "Ecole primaire publique Champ L'Evêque", "35047", pupils="435"),
        ]
    write_csv(folder / "sample_annuaire_education_35_ille-et-vilaine.csv", ANNUAIRE, ecoles, delimiter=";", bom=True)
    return root


def _fill_lycee_defaults(root: Path) -> None:
    """lycees_france.csv rows default to France, Ille-et-Vilaine."""
    path = root / "reference" / "etablissements" / "lycees_france.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        row["pays"] = row["pays"] or "FR"
        row["departement_code"] = row["departement_code"] or "35"
    write_csv(path, LYCEES, rows)


@pytest.fixture
def data_dir(tmp_path):
    write_collectivites(tmp_path)
    write_etablissements(tmp_path)
    _fill_lycee_defaults(tmp_path)
    return tmp_path


def get(kind, code):
    return Collectivity.objects.get(kind=kind, insee_code=code)


# --- Collectivités -----------------------------------------------------------------------------------------------


def test_import_links_each_commune_to_its_epci_departement_and_region(data_dir):
    report = import_collectivites(data_dir)

    rennes = get(CollectivityKind.COMMUNE, "35238")
    assert rennes.siren == "213502388"
    assert rennes.population == 230890
    assert rennes.epci.siren == RENNES_METROPOLE
    assert rennes.departement == get(CollectivityKind.DEPARTEMENT, "35")
    assert rennes.region == get(CollectivityKind.REGION, "53")
    assert get(CollectivityKind.DEPARTEMENT, "35").region.name == "Bretagne"
    assert get(CollectivityKind.COMMUNE, "44109").epci is None
    assert report.stats["communes"].created == 5
    assert report.stats["epci"].created == 2


def test_import_skips_arrondissements_municipaux(data_dir):
    report = import_collectivites(data_dir)

    assert not Collectivity.objects.filter(insee_code="75101").exists()
    assert report.stats["communes"].skipped == 1


def test_second_import_creates_and_updates_nothing(data_dir):
    import_collectivites(data_dir)
    import_etablissements(data_dir)
    counts = (Collectivity.objects.count(), Site.objects.count())

    collectivites = import_collectivites(data_dir)
    etablissements = import_etablissements(data_dir)

    assert (collectivites.created, collectivites.updated) == (0, 0)
    assert (etablissements.created, etablissements.updated) == (0, 0)
    assert (Collectivity.objects.count(), Site.objects.count()) == counts


def test_reimport_updates_changed_values_in_place(data_dir):
    import_collectivites(data_dir)
    rennes_id = get(CollectivityKind.COMMUNE, "35238").pk
    write_collectivites(data_dir, communes=[commune("35238", "Rennes", "213502388", RENNES_METROPOLE, population="1")])

    report = import_collectivites(data_dir)

    assert report.stats["communes"].updated == 1
    assert report.stats["communes"].created == 0
    assert get(CollectivityKind.COMMUNE, "35238").pk == rennes_id
    assert get(CollectivityKind.COMMUNE, "35238").population == 1


def test_reimport_keeps_the_school_competence_of_an_epci(data_dir):
    import_collectivites(data_dir)
    Collectivity.objects.filter(siren=RENNES_METROPOLE).update(has_school_competence=True)

    import_collectivites(data_dir)

    assert Collectivity.objects.get(siren=RENNES_METROPOLE).has_school_competence


def test_shared_siren_stays_on_the_departement_and_is_counted(data_dir):
    report = import_collectivites(data_dir)

    assert get(CollectivityKind.DEPARTEMENT, "75").siren == "217500016"
    assert get(CollectivityKind.COMMUNE, "75056").siren is None
    assert any("SIREN déjà porté" in line for line in report.warnings)


def test_invalid_sirens_are_skipped_and_counted(tmp_path):
    write_collectivites(
        tmp_path,
        epci=[
            {"siren": RENNES_METROPOLE, "nom": "Rennes Métropole"},
            {"siren": "243500138", "nom": "EPCI à la clé fausse"},
        ],
        communes=[commune("35238", "Rennes", "213502389", RENNES_METROPOLE)],
    )

    report = import_collectivites(tmp_path)

    assert not Collectivity.objects.filter(name="EPCI à la clé fausse").exists()
    assert report.stats["epci"].skipped == 1
    rennes = get(CollectivityKind.COMMUNE, "35238")
    assert rennes.siren is None  # the commune is kept, keyed on its INSEE code
    assert report.stats["communes"].reasons["SIREN invalide (importé sans SIREN)"] == 1


def test_departement_filter_restricts_communes_and_epci_but_not_regions_or_departements(data_dir):
    import_collectivites(data_dir, departements=["35"])

    communes = set(Collectivity.objects.filter(kind=CollectivityKind.COMMUNE).values_list("insee_code", flat=True))
    assert communes == {"35238", "35047"}
    assert set(Collectivity.objects.filter(kind=CollectivityKind.EPCI).values_list("siren", flat=True)) == {
        RENNES_METROPOLE
    }
    assert Collectivity.objects.filter(kind=CollectivityKind.DEPARTEMENT).count() == 4
    assert Collectivity.objects.filter(kind=CollectivityKind.REGION).count() == 3


def test_import_adopts_a_collectivity_created_by_hand_with_the_same_siren(data_dir):
    handmade = Collectivity.objects.create(kind=CollectivityKind.COMMUNE, name="Ville de Bruz", siren="213500473")

    import_collectivites(data_dir)

    handmade.refresh_from_db()
    assert handmade.insee_code == "35047"
    assert handmade.name == "Bruz"
    assert Collectivity.objects.filter(siren="213500473").count() == 1


# --- Errors ------------------------------------------------------------------------------------------------------


def test_missing_column_is_named_in_the_error(data_dir):
    path = data_dir / "reference" / "collectivites" / "communes.csv"
    write_csv(path, [c for c in COMMUNES if c != "epci_siren"], [])

    with pytest.raises(ReferenceDataError) as error:
        import_collectivites(data_dir)

    assert "communes.csv" in error.value.message
    assert "epci_siren" in error.value.message
    assert not Collectivity.objects.exists()  # files are all checked before anything is written


def test_file_not_in_utf8_gives_a_clear_error(data_dir):
    path = data_dir / "reference" / "etablissements" / "lycees_france.csv"
    path.write_bytes(",".join(LYCEES).encode() + b"\n0350024L,LYC\xc9E \xc9MILE ZOLA,RENNES,35044,FR,35,,\n")

    with pytest.raises(ReferenceDataError) as error:
        import_etablissements(data_dir)

    assert "lycees_france.csv" in error.value.message
    assert "UTF-8" in error.value.message


def test_missing_directory_is_a_french_command_error(tmp_path):
    with pytest.raises(CommandError, match="introuvable"):
        call_command("import_collectivites", path=tmp_path / "absent", stdout=StringIO())


def test_missing_file_is_a_french_command_error(data_dir):
    (data_dir / "reference" / "etablissements" / "colleges_france.csv").unlink()

    with pytest.raises(CommandError, match=r"Fichier introuvable.*colleges_france\.csv"):
        call_command("import_etablissements", path=data_dir, stdout=StringIO())


# --- Établissements ----------------------------------------------------------------------------------------------


def test_each_school_belongs_to_its_competent_collectivity(data_dir):
    import_collectivites(data_dir)

    import_etablissements(data_dir)

    ecole = Site.objects.get(uai=uai(350592))
    assert ecole.kind == SiteKind.ECOLE
    assert ecole.competent_collectivity == get(CollectivityKind.COMMUNE, "35238")
    assert ecole.commune == ecole.competent_collectivity
    assert ecole.pupils == 120
    college = Site.objects.get(uai=uai(350027))
    assert college.competent_collectivity == get(CollectivityKind.DEPARTEMENT, "35")
    assert college.commune == get(CollectivityKind.COMMUNE, "35238")
    lycee = Site.objects.get(uai="0350024L")
    assert lycee.competent_collectivity == get(CollectivityKind.REGION, "53")
    assert lycee.commune == get(CollectivityKind.COMMUNE, "35238")  # "RENNES CEDEX" matched by name


def test_ecole_belongs_to_the_epci_that_received_the_school_competence(data_dir):
    import_collectivites(data_dir)
    Collectivity.objects.filter(siren=RENNES_METROPOLE).update(has_school_competence=True)

    import_etablissements(data_dir)

    ecole = Site.objects.get(uai=uai(351813))
    assert ecole.competent_collectivity.siren == RENNES_METROPOLE
    assert ecole.commune == get(CollectivityKind.COMMUNE, "35047")


def test_private_schools_are_skipped_unless_asked(data_dir):
    import_collectivites(data_dir)

    report = import_etablissements(data_dir)

    assert not Site.objects.filter(uai__in=[uai(350090), "0350800E", uai(350593)]).exists()
    assert report.stats["colleges"].skipped == 1

    import_etablissements(data_dir, include_private=True)

    assert not Site.objects.get(uai=uai(350090)).is_public
    assert not Site.objects.get(uai="0350800E").is_public  # lycées: "PRIVÉ" in the name
    assert not Site.objects.get(uai=uai(350593)).is_public


def test_lycees_abroad_are_skipped(data_dir):
    import_collectivites(data_dir)

    report = import_etablissements(data_dir)

    assert not Site.objects.filter(uai="0050001Z").exists()
    assert report.stats["lycees"].reasons["lycée à l'étranger (ligne ignorée)"] == 1


def test_lycee_departement_comes_from_its_uai_when_the_postal_code_lost_its_zero(tmp_path):
    # lycees_france.csv writes Nice "6000" and derives département "60" (Oise) from it
    # (made-up example on a lycée of Nantes: only the UAI "044…" tells the truth)
    write_collectivites(tmp_path)
    write_etablissements(
        tmp_path,
        lycees=[
            {"uai": "0440021J", "nom": "LYCÉE CLEMENCEAU", "ville": "NANTES", "code_postal": "4400", "pays": "FR"}
            | {"departement_code": "60", "departement": "Oise", "region": "Hauts-de-France"}
        ],
    )
    import_collectivites(tmp_path)

    import_etablissements(tmp_path)

    lycee = Site.objects.get(uai="0440021J")
    assert lycee.competent_collectivity == get(CollectivityKind.REGION, "52")
    assert lycee.postal_code == "04400"
    assert lycee.commune == get(CollectivityKind.COMMUNE, "44109")


def test_invalid_uai_rows_are_skipped_and_counted(data_dir):
    bad = ecole(350592, "Ecole à l'UAI faux", "35238") | {"Identifiant_de_l_etablissement": "0350592A"}
    write_etablissements(data_dir, ecoles=[bad, ecole(351813, "Ecole Champ L'Evêque", "35047")])
    _fill_lycee_defaults(data_dir)
    import_collectivites(data_dir)

    report = import_etablissements(data_dir)

    assert not Site.objects.filter(uai="0350592A").exists()
    assert report.stats["ecoles"].reasons["code UAI invalide (ligne ignorée)"] == 1
    assert report.stats["ecoles"].created == 1


def test_schools_whose_collectivity_is_not_in_the_database_are_skipped_and_counted(data_dir):
    import_collectivites(data_dir, departements=["56"])

    report = import_etablissements(data_dir)

    assert not Site.objects.filter(kind=SiteKind.ECOLE).exists()  # Rennes and Bruz were not imported
    assert report.stats["ecoles"].skipped == 3
    assert any("commune absente de la base" in line for line in report.warnings)
    assert Site.objects.get(uai=uai(560001)).competent_collectivity == get(CollectivityKind.DEPARTEMENT, "56")


def test_departement_filter_restricts_schools(data_dir):
    import_collectivites(data_dir)

    import_etablissements(data_dir, departements=["56"])

    assert set(Site.objects.values_list("uai", flat=True)) == {uai(560001)}


# --- Commands ----------------------------------------------------------------------------------------------------


def test_commands_print_progress_and_change_nothing_the_second_time(data_dir):
    out = StringIO()
    call_command("import_collectivites", path=data_dir, stdout=out)
    call_command("import_etablissements", path=data_dir, stdout=out)
    assert "Communes : 6 lignes lues…" in out.getvalue()
    assert "Écoles — créations : 2" in out.getvalue()

    again = StringIO()
    call_command("import_collectivites", path=data_dir, departements=["35"], stdout=again)
    call_command("import_etablissements", path=data_dir, departements=["35"], include_private=True, stdout=again)

    assert "Communes — créations : 0, mises à jour : 0" in again.getvalue()
    assert "Écoles — créations : 1, mises à jour : 0" in again.getvalue()  # only the private école is new


def test_annuaire_extract_of_another_departement_is_named_not_read(data_dir):
    import_collectivites(data_dir)
    out = StringIO()

    call_command("import_etablissements", path=data_dir, departements=["56"], stdout=out)

    text = out.getvalue()
    assert "sample_annuaire_education_35_ille-et-vilaine.csv (aucune école des départements demandés)" in text
    assert "Écoles : 0 lignes lues" not in text


# --- Built-in territory ------------------------------------------------------------------------------------------


def test_builtin_territory_loads_valid_rows():
    report = load_builtin_territory()

    assert report.skipped == 0
    assert Collectivity.objects.filter(kind=CollectivityKind.COMMUNE).count() == 30
    assert Site.objects.filter(kind=SiteKind.ECOLE).count() >= 40
    assert Site.objects.filter(kind=SiteKind.COLLEGE).count() == 10
    assert Site.objects.filter(kind=SiteKind.LYCEE).count() == 3
    for collectivity in Collectivity.objects.all():
        collectivity.full_clean()
    for site in Site.objects.all():
        site.full_clean()
    rennes = get(CollectivityKind.COMMUNE, "35238")
    assert rennes.epci.name == "Rennes Métropole"
    assert Site.objects.get(uai="0350024L").competent_collectivity == get(CollectivityKind.REGION, "53")
    assert Site.objects.get(uai="0350024L").pupils == 1019
    assert load_builtin_territory().created == 0


def test_real_import_updates_the_builtin_rows_instead_of_duplicating_them(data_dir):
    load_builtin_territory()
    rennes_id = get(CollectivityKind.COMMUNE, "35238").pk

    report = import_collectivites(data_dir)
    import_etablissements(data_dir)

    assert get(CollectivityKind.COMMUNE, "35238").pk == rennes_id
    assert report.stats["communes"].created == 3  # Vannes, Nantes, Paris; Rennes and Bruz already there
    assert report.stats["regions"].created == 2
    assert Site.objects.filter(uai="0350592D").count() == 1


# --- Real reference data -----------------------------------------------------------------------------------------

REAL_DATA = Path(settings.REFERENCE_DATA_DIR)


@pytest.mark.skipif(
    not (REAL_DATA / "reference" / "collectivites" / "communes.csv").is_file(), reason="REFERENCE_DATA_DIR absent"
)
def test_commands_on_the_real_reference_data_for_ille_et_vilaine():
    out = StringIO()
    call_command("import_collectivites", departements=["35"], stdout=out)
    call_command("import_etablissements", departements=["35"], stdout=out)

    ille_et_vilaine = get(CollectivityKind.DEPARTEMENT, "35")
    assert Collectivity.objects.filter(kind=CollectivityKind.COMMUNE, departement=ille_et_vilaine).count() > 300
    assert Collectivity.objects.filter(kind=CollectivityKind.DEPARTEMENT).count() > 100
    assert Site.objects.filter(kind=SiteKind.COLLEGE, competent_collectivity=ille_et_vilaine).count() > 50
    assert Site.objects.filter(kind=SiteKind.LYCEE, competent_collectivity__insee_code="53").count() > 20
    assert Site.objects.filter(kind=SiteKind.ECOLE, commune__departement=ille_et_vilaine).count() > 300
    assert not Site.objects.exclude(commune__departement=ille_et_vilaine).exclude(commune=None).exists()

    again = StringIO()
    call_command("import_collectivites", departements=["35"], stdout=again)
    call_command("import_etablissements", departements=["35"], stdout=again)
    assert set(re.findall(r"(?:créations|mises à jour) : ([\d ]+)", again.getvalue())) == {"0"}
