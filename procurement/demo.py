"""Realistic demo needs, written the way buyers write them: typos, abbreviations, brand names, mixed units.

Deterministic for a given seed, so the demo and its tests are reproducible.
"""

import random
from dataclasses import dataclass

# (phrase template, typical quantity range, unit). {n} is the quantity written into the text when present.
ECOLE_NEEDS = [
    ("{n} tablettes 10 pouces pour les CM1", (6, 30), "unite"),
    ("{n} tabblettes 10p pour CM2", (6, 24), "unite"),
    ("tablettes tactiles classe de CE2", (8, 16), "unite"),
    ("iPad 10.9 pour la classe ULIS", (4, 12), "unite"),
    ("tablete samsung galaxy tab pour maternelle", (4, 10), "unite"),
    ("classe mobile 16 tablettes avec chariot de recharge", (1, 2), "lot"),
    ("valise de recharge pour tablettes", (1, 2), "unite"),
    ("VPI ultra courte focale salle 12", (1, 2), "unite"),
    ("videoprojecteur interactif classe CP", (1, 3), "unite"),
    ("TBI pour la classe de CE1", (1, 2), "unite"),
    ("ENI 75 pouces salle polyvalente", (1, 2), "unite"),
    ('ecran numerique interactif 65" pour la classe de CM1', (1, 3), "unite"),
    ("écran interactif tactile 86 pouces", (1, 2), "unite"),
    ("PC portable enseignant", (1, 8), "unite"),
    ("ordi portable pour la directrice", (1, 1), "unite"),
    ("ordinateur portable pour le bureau de direction", (1, 1), "unite"),
    ("pc fixe salle informatique", (4, 15), "unite"),
    ("visualiseur pour la classe de CP", (1, 6), "unite"),
    ("camera de documents", (1, 4), "unite"),
    ("casques audio enfants avec micro", (10, 30), "unite"),
    ("enceinte bluetooth pour la classe", (1, 4), "unite"),
    ("imprimante multifonction couleur", (1, 2), "unite"),
    ("borne wifi pour le préau", (1, 4), "unite"),
    ("point d'accès wifi classes", (2, 8), "unite"),
    ("switch 24 ports poe", (1, 2), "unite"),
    ("robots Thymio pour le cycle 3", (4, 12), "unite"),
    ("beebot robots maternelle", (4, 8), "unite"),
    ("licences ENT école", (50, 250), "licence"),
    ("abonnement ressources numeriques pedagogiques", (1, 3), "abonnement"),
    ("Maintenance 3 ans des TNI", (1, 6), "forfait"),
    ("installation et fixation des VPI", (1, 6), "forfait"),
    ("formation des enseignants à l'ENI (demi-journée)", (1, 3), "jour"),
    ("cablage reseau de l'ecole", (1, 1), "forfait"),
    ("onduleur pour la baie", (1, 1), "unite"),
    ("webcam pour visio", (1, 4), "unite"),
    ("{n} chromebooks pour les CM2", (8, 24), "unite"),
    ("lot de 5 souris sans fil", (1, 4), "lot"),
    ("MDM gestion de flotte tablettes", (10, 60), "licence"),
    # wordings the engine cannot settle alone: they fill the review queue, as in a real census
    ("chromebook", (6, 16), "unite"),
    ("ENI 55 pouces", (1, 2), "unite"),
    # not in the catalog: the buyers declare them « hors catalogue », to be pooled by CPV code
    ("mobilier pour la salle informatique", (4, 12), "unite"),
]
COLLEGE_NEEDS = [
    ("licences ENT collège", (300, 900), "licence"),
    ("PC portable enseignant 15 pouces", (10, 40), "unite"),
    ("{n} ordinateurs fixes salle de techno", (12, 30), "unite"),
    ("UC + écran salle informatique", (12, 28), "unite"),
    ("écran interactif 75 pouces salles de classe", (4, 15), "unite"),
    ("videoprojecteur courte focale", (2, 10), "unite"),
    ("classes mobiles 2 x 16 tablettes", (1, 2), "lot"),
    ("bornes wifi bâtiment B", (4, 12), "unite"),
    ("switch 48 ports administrable", (1, 3), "unite"),
    ("serveur pédagogique", (1, 1), "unite"),
    ("NAS sauvegarde 4 baies", (1, 1), "unite"),
    ("imprimante 3D pour le FabLab", (1, 2), "unite"),
    ("kits arduino pour la techno", (10, 20), "unite"),
    ("casques avec micro pour le labo de langues", (15, 30), "unite"),
    ("visualiseurs pour les salles de sciences", (3, 10), "unite"),
    ("maintenance et garantie 5 ans des PC", (1, 1), "forfait"),
    ("formation prise en main ENI enseignants", (1, 4), "jour"),
    ("pare-feu et filtrage internet", (1, 1), "unite"),
    ("onduleur 3000 VA salle serveur", (1, 2), "unite"),
    ("câblage réseau salle 204", (1, 1), "forfait"),
    ("switch poe pour la baie", (1, 2), "unite"),
    ("logiciel de mathématiques", (1, 3), "licence"),
    ("tables et chaises pour la salle informatique", (10, 30), "unite"),
]
DIRTY = [("é", "e"), ("è", "e"), ("ô", "o"), ("à", "a")]
# What the demo's buyers answer when the engine hesitates or does not recognise a line (words of the wording → item
# code); otherwise they take the first proposal, as a hurried buyer would.
REVIEW_ANSWERS = [
    (("logiciel", "mathematique"), "logiciel-pedagogique-classe"),
    (("chromebook",), "chromebook-eleve-11"),
    (("switch", "poe"), "switch-24-poe"),
]
# Wordings no catalog item fits: the demo's buyers declare them « hors catalogue » (they keep the engine's CPV code).
OUTSIDE_CATALOG_ANSWERS = [("table", "chaise"), ("mobilier",)]


@dataclass
class DemoNeed:
    text: str
    quantity: int
    unit: str


def _dirty(text: str, rng: random.Random) -> str:
    """Buyers often drop accents or capitalise randomly."""
    if rng.random() < 0.3:
        for accented, plain in DIRTY:
            text = text.replace(accented, plain)
    if rng.random() < 0.15:
        text = text.upper()
    elif rng.random() < 0.3:
        text = text[:1].upper() + text[1:]
    return text


def needs_for_site(kind: str, rng: random.Random, count: int) -> list[DemoNeed]:
    catalog = COLLEGE_NEEDS if kind in ("college", "lycee") else ECOLE_NEEDS
    needs = []
    for template, (low, high), unit in rng.sample(catalog, k=min(count, len(catalog))):
        quantity = rng.randint(low, high)
        text = template.format(n=quantity) if "{n}" in template else template
        needs.append(DemoNeed(_dirty(text, rng), quantity, unit))
    return needs
