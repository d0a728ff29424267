"""Benchmark of the matching engine: CPV agreement, throughput against a naive baseline, index memory.

    .venv/bin/python benchmarks/matching.py [--lines 100000] [--baseline-sample 300] [--seed 7] [--cpv-only]

Standalone: sets Django up against a throwaway SQLite file in /tmp (never the development database), migrates,
loads the seed catalog, and imports the CPV nomenclature from REFERENCE_DATA_DIR when it is present. Prints:

1. agreement of ``predict_cpv`` with the buyer's CPV code on REFERENCE_DATA_DIR/matching/decp_cpv_dev.csv,
   exact and on the first 5, 4, 3 and 2 digits, for the ``edu_it`` and ``general`` subsets, and for the two
   halves A and B of each (``dev_half``: failures are studied on A only, B checks that a change is general);
2. throughput of ``match`` on generated buyer-style need lines (typos, abbreviations, brands, quantities,
   repetitions as in real campaigns, many collectivités), with caches emptied first, against the naive baseline
   (rapidfuzz ``process.extractOne`` with ``fuzz.WRatio`` over every item label, alias and CPV label) measured on a
   sample in the same run; also the throughput on distinct lines only (no memoisation help);
3. how the status thresholds split buyer wordings of known items (built from the catalog's own wordings with typos,
   contexts and quantities) and texts that are no item (CPV labels of other divisions): right and wrong sure
   matches, review, and the same at other thresholds;
4. the peak memory taken by building the index (tracemalloc).

Targets are printed next to the figures with PASS or MISS. Not a test: nothing fails.
"""

import argparse
import csv
import hashlib
import io
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_LINES_PER_S = 20_000
TARGET_RATIO = 50.0
TARGET_EDU_DIVISION = 75.0
TARGET_EDU_GROUP = 60.0
DIGITS = (8, 5, 4, 3, 2)

# Buyer-style wordings: (main wording, variants written by other buyers).
PRODUCTS = [
    ("Tablette tactile 10 pouces", ["tablette 10p", "tablettes tactiles", "tab 10 pouces", "ipad", "tablette android"]),
    (
        "Ordinateur portable enseignant",
        ["pc portable prof", "ordi portable enseignant", "portable 15 pouces", "laptop"],
    ),
    ("Ordinateur portable élève", ["pc portable eleve", "portable 13 pouces eleve", "chromebook", "netbook eleve"]),
    ("Vidéoprojecteur interactif", ["VPI", "video projecteur interactif", "vpi ultra courte focale", "VPI epson"]),
    ("Écran numérique interactif 75 pouces", ["ENI 75", 'ecran interactif 75"', "TNI 75 pouces", "écran tactile 75"]),
    ("Écran numérique interactif 65 pouces", ["ENI 65", "ecran interactif 65 pouces", "ecran numerique 65p"]),
    ("Tableau numérique interactif", ["TNI", "TBI", "tableau blanc interactif", "tableau interactif"]),
    ("Casque audio avec micro", ["casque micro", "casques audio", "casque usb avec micro", "micro casque"]),
    ("Clé USB 32 Go", ["cle usb 32go", "clef usb", "clé USB 64 Go", "cles usb"]),
    ("Borne wifi", ["borne wi-fi", "point d'acces wifi", "borne wifi 6", "AP wifi"]),
    ("Visualiseur de documents", ["visualiseur", "camera document", "visualiseur usb", "visionneuse"]),
    ("Imprimante laser couleur", ["imprimante couleur", "imprimante laser", "imprimante multifonction", "copieur"]),
    ("Classe mobile 16 tablettes", ["classe mobile", "chariot 16 tablettes", "classe mobile de 16 portables"]),
    ("Licence ENT", ["ENT", "espace numerique de travail", "licences ENT college", "abonnement ENT"]),
    ("Robot de programmation", ["bee-bot", "blue bot", "thymio", "robot programmable", "mbot"]),
    ("Enceinte bluetooth", ["enceinte", "haut parleur bluetooth", "enceintes portables"]),
    ("Souris sans fil", ["souris", "souris usb", "souris filaire"]),
    ("Clavier filaire", ["clavier", "clavier usb", "clavier azerty"]),
    ("Chariot de recharge tablettes", ["chariot de recharge", "armoire de recharge", "valise de recharge"]),
    ("Ordinateur fixe élève", ["pc fixe", "poste fixe", "unite centrale", "ordinateur de bureau", "mini pc"]),
    ("Câble HDMI 5 m", ["cable hdmi", "câble HDMI 10m", "rallonge hdmi"]),
    ("Appareil photo numérique", ["appareil photo", "appareil photo compact"]),
    ("Switch 24 ports PoE", ["switch poe", "switch 24 ports", "commutateur 24 ports"]),
    ("Onduleur", ["onduleur 600va", "UPS", "onduleur baie"]),
    ("Maintenance des TNI", ["maintenance 3 ans TNI", "contrat de maintenance VPI", "extension de garantie"]),
    ("Formation des enseignants à l'ENI", ["formation ENI", "formation TNI", "accompagnement enseignants"]),
    ("Installation des VPI", ["pose VPI", "installation video projecteur", "installation ENI"]),
    ("Logiciel de gestion de flotte MDM", ["MDM", "licence MDM", "gestion de flotte tablettes"]),
    ("Webcam", ["webcam hd", "camera usb", "web cam"]),
    ("Imprimante 3D", ["imprimante 3 d", "imprimante 3D pedagogique"]),
]
UNRELATED = ["travaux de peinture du préau", "repas de la cantine", "location de car pour sortie scolaire", "😀", ""]
CONTEXTS = [
    "",
    "",
    "",
    " pour CM1",
    " pour la classe de CE2",
    " salle 12",
    " (direction)",
    " école Jules Ferry",
    " BCD",
]


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='mutualis-matching-')}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "procurement.settings")
    import django

    django.setup()
    from django.core.management import call_command

    quiet = io.StringIO()
    call_command("migrate", verbosity=0)
    call_command("load_catalog", stdout=quiet)
    from catalog.cpv_import import default_cpv_path

    if default_cpv_path().exists():
        call_command("import_cpv", stdout=quiet)
    else:
        print(f"Nomenclature CPV absente ({default_cpv_path()}) : seuls les codes du catalogue sont chargés")


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long_words:
        return text
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    words[i] = rng.choice([w[:j] + w[j + 1 :], w[:j] + w[j] + w[j:], w[:j] + w[j + 1] + w[j] + w[j + 2 :]])
    return " ".join(words)


def wording_pool(rng: random.Random, size: int = 3000) -> list[str]:
    """Distinct wordings as buyers write them: variants, typos, case, context words."""
    pool: set[str] = set()
    while len(pool) < size:
        label, variants = rng.choice(PRODUCTS)
        text = rng.choice([label, *variants])
        if rng.random() < 0.2:
            text = _typo(text, rng)
        if rng.random() < 0.15:
            text = text.upper()
        pool.add(text + rng.choice(CONTEXTS))
    return sorted(pool)


def need_lines(n: int, rng: random.Random) -> list[tuple[str, int]]:
    """(text, collectivité) pairs: a few wordings dominate (Zipf-like), 40 % carry a quantity, 2 % are junk."""
    pool = wording_pool(rng)
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(pool))]
    rng.shuffle(pool)
    texts = rng.choices(pool, weights=weights, k=n)
    lines = []
    for text in texts:
        roll = rng.random()
        if roll < 0.02:
            text = rng.choice(UNRELATED)
        elif roll < 0.30:
            text = f"{rng.randint(1, 40)} {text}"
        elif roll < 0.36:
            text = f"{text} x{rng.randint(2, 30)}"
        elif roll < 0.42:
            text = f"lot de {rng.randint(2, 12)} {text}"
        lines.append((text, rng.randint(1, 60)))
    return lines


def dev_half(objet: str) -> str:
    """Deterministic split of the development set in two halves, "A" and "B", by a hash of the contract object.

    Engine changes are studied on the failures of half A only; half B is the honest check that a change is general
    (one that helps A but not B fits the rows, not the language). The official figure is the whole subset.
    """
    return "A" if int(hashlib.sha1(objet.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "B"


def _rates(rows: list[dict[str, str]], guessed: dict[str, str]) -> dict[int, float]:
    hits = dict.fromkeys(DIGITS, 0)
    for row in rows:
        code = guessed[row["objet"]]
        for digits in DIGITS:
            hits[digits] += bool(code) and code[:digits] == row["cpv_code"][:digits]
    return {d: 100.0 * h / max(len(rows), 1) for d, h in hits.items()}


def cpv_agreement(index) -> dict[str, tuple[int, dict[int, float]]]:
    """Agreement per subset ("edu_it", "general") and per half of each ("edu_it A", "edu_it B"…)."""
    from django.conf import settings

    from catalog import matching

    path = Path(settings.REFERENCE_DATA_DIR) / "matching" / "decp_cpv_dev.csv"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    guessed = {}
    for row in rows:
        if row["objet"] not in guessed:
            guess = matching.predict_cpv(index, row["objet"])
            guessed[row["objet"]] = guess.code if guess else ""
    out = {}
    for subset in ("edu_it", "general"):
        subset_rows = [r for r in rows if r["subset"] == subset]
        out[subset] = (len(subset_rows), _rates(subset_rows, guessed))
        for half in ("A", "B"):
            half_rows = [r for r in subset_rows if dev_half(r["objet"]) == half]
            out[f"{subset} {half}"] = (len(half_rows), _rates(half_rows, guessed))
    return out


def baseline_rate(index, sample: list[tuple[str, int]]) -> float:
    """Naive matcher: rapidfuzz extractOne with WRatio over every label, alias and CPV label."""
    from rapidfuzz import fuzz, process

    choices = [e.label for e in index.entries.values()]
    choices += [a.text if hasattr(a, "text") else a for e in index.entries.values() for a in e.aliases]
    choices += list(index.cpv_labels.values())
    started = time.perf_counter()
    for text, _ in sample:
        process.extractOne(text, choices, scorer=fuzz.WRatio, processor=str.lower)
    return len(sample) / (time.perf_counter() - started)


def engine_rate(index, lines: list[tuple[str, int]]) -> tuple[float, dict[str, int]]:
    from catalog import matching

    index.clear_cache()
    matching.clear_caches()
    counts: dict[str, int] = {}
    started = time.perf_counter()
    for text, collectivity in lines:
        result = matching.match(index, text, scope=collectivity)
        counts[result.status] = counts.get(result.status, 0) + 1
    return len(lines) / (time.perf_counter() - started), counts


CALIBRATION_THRESHOLDS = (70.0, 75.0, 80.0, 85.0, 90.0)


def calibration_sets(index, rng: random.Random) -> tuple[list[tuple[str, object]], list[str]]:
    """Labelled texts for the thresholds, built from the catalog itself (no hand labels to drift).

    Positives: every global wording of an item (label or accepted alias) that no other item uses, written as buyers
    write it: with a typo, with a context (« pour CM1 », « salle 12 »…), with a quantity and a context. The expected
    answer is that item. Negatives: labels of CPV codes in divisions the catalog does not cover (works, food,
    cleaning…) and unrelated texts: none should be matched for sure.

    Each wording draws its typo, contexts and quantity from its own generator (seeded by ``rng`` and the wording),
    so adding an item or an alias adds texts without redrawing those of the others: two runs around a catalog
    change compare the same texts.
    """
    from catalog import matching

    owners: dict[str, set] = {}
    wordings: list[tuple[str, object]] = []
    for item_id, entry in index.entries.items():
        texts = [entry.label, *(a.text for a in entry.aliases if getattr(a, "scope", None) is None)]
        for text in texts:
            owners.setdefault(matching.normalise(text), set()).add(item_id)
            wordings.append((text, item_id))
    unique = [(text, item) for text, item in wordings if owners[matching.normalise(text)] == {item}]
    contexts = [c for c in CONTEXTS if c]
    positives = []
    base = rng.getrandbits(32)
    for text, item in unique:
        own = random.Random(f"{base}:{text}")
        typo = _typo(text, own)
        if typo != text:
            positives.append((typo, item))
        positives.append((text + own.choice(contexts), item))
        positives.append((f"{own.randint(2, 30)} {text}{own.choice(contexts)}", item))
    foreign = sorted(label for code, label in index.cpv_labels.items() if code[:2] not in index.domain_divisions)
    negatives = rng.sample(foreign, min(600, len(foreign))) + [t for t in UNRELATED if t.strip()]
    return positives, negatives


def calibration(index, rng: random.Random) -> None:
    """How the thresholds split buyer wordings of known items and texts that are no item: the share matched for
    sure to the right item (work saved), to a wrong one (errors nobody looks at), sent to review, and how this
    would move with another MATCH_THRESHOLD."""
    from catalog import matching

    positives, negatives = calibration_sets(index, rng)
    pos = [(matching.match(index, text), item) for text, item in positives]
    neg = [matching.match(index, text) for text in negatives]

    def share(count: int, total: int) -> str:
        return f"{100.0 * count / max(total, 1):5.1f} %"

    right = sum(r.status == matching.STATUS_MATCHED and r.item_id == item for r, item in pos)
    wrong = sum(r.status == matching.STATUS_MATCHED and r.item_id != item for r, item in pos)
    review = sum(r.status == matching.STATUS_REVIEW for r, _ in pos)
    review_right = sum(r.status == matching.STATUS_REVIEW and r.item_id == item for r, item in pos)
    print(f"   {_n(len(pos))} formulations d'articles connus (fautes, contextes, quantités) :")
    print(
        f"     sûres et justes {share(right, len(pos))} · sûres et fausses {share(wrong, len(pos))} · "
        f"à vérifier {share(review, len(pos))} (dont bon article en tête {share(review_right, len(pos))}) · "
        f"non reconnues {share(len(pos) - right - wrong - review, len(pos))}"
    )
    if right + wrong:
        print(f"     précision des rapprochements sûrs : {share(right, right + wrong)}")
    neg_matched = sum(r.status == matching.STATUS_MATCHED for r in neg)
    neg_review = sum(r.status == matching.STATUS_REVIEW for r in neg)
    print(
        f"   {_n(len(neg))} textes hors catalogue (libellés CPV d'autres divisions, textes sans rapport) : "
        f"sûrs {share(neg_matched, len(neg))} · à vérifier {share(neg_review, len(neg))} · "
        f"non reconnus {share(len(neg) - neg_matched - neg_review, len(neg))}"
    )
    print("   selon le seuil « sûr » (score seul, sans la règle d'écart avec le 2e article) :")
    print("     seuil   justes au-dessus   fausses au-dessus   hors catalogue au-dessus")
    for threshold in CALIBRATION_THRESHOLDS:
        above_right = sum(r.score >= threshold and r.item_id == item for r, item in pos)
        above_wrong = sum(r.score >= threshold and r.item_id not in (None, item) for r, item in pos)
        above_neg = sum(r.score >= threshold and r.item_id is not None for r in neg)
        mark = "  ← MATCH_THRESHOLD" if threshold == matching.MATCH_THRESHOLD else ""
        print(
            f"     {threshold:5.0f}   {share(above_right, len(pos)):>16}   {share(above_wrong, len(pos)):>17}   "
            f"{share(above_neg, len(neg)):>24}{mark}"
        )


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cpv-only", action="store_true", help="measure the CPV agreement only (part 1)")
    args = parser.parse_args()
    setup_django()
    from catalog import services

    tracemalloc.start()
    index = services.build_index()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"Index : {len(index)} articles, {len(index.cpv_labels)} codes CPV, {len(index.cpv.docs)} libellés CPV indexés"
    )
    print(f"Mémoire de l'index (tracemalloc) : {current / 2**20:.1f} Mio retenus, pic {peak / 2**20:.1f} Mio")

    print("\n1. Accord avec le code CPV de l'acheteur (decp_cpv_dev.csv)")
    agreement = cpv_agreement(index)
    if not agreement:
        print("   jeu de développement absent de REFERENCE_DATA_DIR : mesure sautée")
    for subset, (n, rates) in agreement.items():
        cells = "  ".join(f"{'exact' if d == 8 else f'{d} ch.'} {rates[d]:5.1f} %" for d in DIGITS)
        print(f"   {subset:10} ({n:4} lignes)  {cells}")
    if "edu_it" in agreement:
        rates = agreement["edu_it"][1]
        print(
            f"   cible edu_it division (2 ch.) ≥ {TARGET_EDU_DIVISION:.0f} % : "
            f"{verdict(rates[2] >= TARGET_EDU_DIVISION)}"
        )
        print(f"   cible edu_it 3 chiffres ≥ {TARGET_EDU_GROUP:.0f} % : {verdict(rates[3] >= TARGET_EDU_GROUP)}")

    if args.cpv_only:
        return
    rng = random.Random(args.seed)
    lines = need_lines(args.lines, rng)
    distinct = len({t for t, _ in lines})
    print(f"\n2. Débit sur {_n(len(lines))} lignes générées ({_n(distinct)} textes distincts)")
    rate, counts = engine_rate(index, lines)
    sample = rng.sample(lines, min(args.baseline_sample, len(lines)))
    base = baseline_rate(index, sample)
    unique = list(dict.fromkeys(t for t, _ in lines))[:3000]
    cold_rate, _ = engine_rate(index, [(t, 0) for t in unique])
    statuses = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    print(f"   moteur : {_n(rate)} lignes/s (statuts : {statuses})")
    print(f"   moteur sur {len(unique)} textes tous distincts (sans mémoïsation utile) : {_n(cold_rate)} lignes/s")
    print(f"   base naïve (extractOne WRatio, {len(sample)} lignes) : {_n(base)} lignes/s")
    print(f"   rapport : × {_n(rate / base)}")
    print(f"   cible ≥ {_n(TARGET_LINES_PER_S)} lignes/s : {verdict(rate >= TARGET_LINES_PER_S)}")
    print(f"   cible ≥ × {TARGET_RATIO:.0f} la base naïve : {verdict(rate / base >= TARGET_RATIO)}")

    print("\n3. Seuils de statut (calibration)")
    calibration(index, random.Random(args.seed))


if __name__ == "__main__":
    main()
