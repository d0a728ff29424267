"""Text normalisation for matching: accents, HTML, stop words, plurals, units, quantities.

Pure functions, no Django import. ``catalog.matching`` re-exports the public names (``normalise``, ``tokens``,
``extract_quantity``, ``strip_accents``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS = _wordset(
    """
    a au aux avec ce ces cet cette d de des du en et la le les l un une uns unes ou par pour sur sous dans chez
    qui que quoi dont son sa ses leur leurs notre nos votre vos mon ma mes ton ta tes se ne pa plus moins tres
    y il elle ils elles nous vous on je tu est sont etre avoir ete a
    environ merci besoin souhait souhaite souhaitons prevoir prevu achat acquisition commande commander
    n no num
    """
)

# Words that describe where or why rather than what: they weigh little on both sides of the comparison.
CONTEXT_WORDS = _wordset(
    """
    salle classe ecole college lycee primaire elementaire groupe scolaire etablissement site batiment bat
    etage niveau aile bloc secteur
    cp ce1 ce2 cm1 cm2 6e 5e 4e 3e 2nde seconde premiere terminale ulis segpa polyvalente
    remplacement renouvellement nouveau nouvelle neuf neuve supplementaire complementaire rentree annee
    """
)

# Unit spellings unified into one token glued to the number: "10 pouces", "10p", '10"' → "10pouce".
_UNIT_ALIASES = {
    "pouce": "pouce",
    "pouces": "pouce",
    "p": "pouce",
    "po": "pouce",
    "inch": "pouce",
    "inches": "pouce",
    "in": "pouce",
    '"': "pouce",
    "''": "pouce",
    "go": "go",
    "gb": "go",
    "gio": "go",
    "to": "to",
    "tb": "to",
    "mo": "mo",
    "mb": "mo",
    "ghz": "ghz",
    "mhz": "mhz",
    "w": "w",
    "watts": "w",
    "watt": "w",
    "va": "va",
    "u": "u",
    "m": "m",
    "metre": "m",
    "metres": "m",
    "ml": "m",
    "cm": "cm",
    "mm": "mm",
    "lumens": "lm",
    "lumen": "lm",
    "lm": "lm",
    "ppm": "ppm",
    "an": "an",
    "ans": "an",
    "mois": "mois",
    "ports": "port",
    "port": "port",
    "postes": "poste",
    "places": "place",
}
_UNIT_PATTERN = "|".join(sorted((re.escape(u) for u in _UNIT_ALIASES), key=len, reverse=True))
_NUMBER_UNIT_RE = re.compile(rf"(?<![\w.])(\d+(?:[.,]\d+)?)\s*({_UNIT_PATTERN})(?![a-z0-9])")
_HTML_TAG_RE = re.compile(r"<[^>]{0,200}>")
_SEPARATORS_RE = re.compile(r"[’‘`´'_/\\-]+")
# Everything but letters, digits and inch marks separates tokens; a dot too, unless between digits ("15.6pouce").
_NON_WORD_RE = re.compile(r"[^a-z0-9\".]+|(?<!\d)\.|\.(?!\d)")
# "1 500", "3 000 VA": French thousands separators (space, no-break or narrow no-break space) inside a number.
_THOUSANDS_RE = re.compile(r"(?<![\d.,])(\d{1,3})((?:[ \u00a0\u202f]\d{3})+)(?!\d)")
_DECIMAL_COMMA_RE = re.compile(r"(?<=\d),(?=\d)")
# Compound words written in several ways, glued before tokenising.
# Each with a literal the text must contain for the pattern to apply (a cheap test before the regular expression).
_PHRASES = [
    (re.compile(r"\bwi\s*fi\b"), "wifi", "wi"),
    (re.compile(r"\bvideo\s+projecteur"), "videoprojecteur", "projecteur"),
    (re.compile(r"\bretro\s+projecteur"), "retroprojecteur", "projecteur"),
    (re.compile(r"\bmicro\s*:?\s*bit\b"), "microbit", "bit"),
    (re.compile(r"\bchrome\s+book"), "chromebook", "book"),
    (re.compile(r"\bmac\s+book"), "macbook", "book"),
    (re.compile(r"\bi\s+pad"), "ipad", "pad"),
    (re.compile(r"\bbee\s+bot"), "beebot", "bot"),
    (re.compile(r"\bblue\s+bot"), "bluebot", "bot"),
    (re.compile(r"\bm\s+bot\b"), "mbot", "bot"),
    (re.compile(r"\bpare\s+feu"), "parefeu", "feu"),
    (re.compile(r"\bhaut\s+parleur"), "hautparleur", "parleur"),
    (re.compile(r"\bweb\s+cam"), "webcam", "web"),
    # a website is no internet access nor a place (« site » alone says where: « par site », « sur site »)
    (re.compile(r"\bsites?\s+(?:internet|web|www)\b"), "siteweb", "site"),
    (re.compile(r"\bweb\s+radio"), "webradio", "web"),
    (re.compile(r"\be\s+mail"), "email", "mail"),
    (re.compile(r"\b2\s+en\s+1\b"), "2en1", "en"),
    (re.compile(r"\b3\s+d\b"), "3d", "3"),
    (re.compile(r"\bcat\s+(\d)"), r"cat\1", "cat"),
    (re.compile(r"\bsans\s+fil\b"), "sansfil", "fil"),
    (re.compile(r"\bvideo\s+(protection|surveillance)\b"), r"video\1", "video"),
    (re.compile(r"\bphoto\s+copieur"), "photocopieur", "copieur"),
]
_WORD_NUMBERS = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "quinze": 15,
    "seize": 16,
    "vingt": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "cent": 100,
}
# Canonical words: several spellings of the same notion become one token, on both sides of the comparison.
_SYNONYMS = {
    "ordi": "ordinateur",
    "pc": "ordinateur",
    "computer": "ordinateur",
    "laptop": "portable",
    "notebook": "portable",
    "prof": "enseignant",
    "professeur": "enseignant",
    "maitre": "enseignant",
    "maitresse": "enseignant",
    "instit": "enseignant",
    "institutrice": "enseignant",
    "instituteur": "enseignant",
    "moniteur": "ecran",
    "monitor": "ecran",
    "commutateur": "switch",
    "appli": "application",
    "app": "application",
    "multifonctions": "multifonction",
    "cle": "cle",
    "clef": "cle",
    "wireless": "sansfil",
    "directeur": "direction",
    "directrice": "direction",
    # Administrative abbreviations and near-synonyms of contract objects ("MAINT. & SUPPORT LOG.").
    "progiciel": "logiciel",
    "log": "logiciel",
    "maint": "maintenance",
    "maintce": "maintenance",
    "mantenance": "maintenance",
    "assistce": "assistance",
    "evolut": "evolution",
    "hebergt": "hebergement",
    "abonnt": "abonnement",
    "install": "installation",
    "fourn": "fourniture",
    "acq": "acquisition",
    "copieur": "photocopieur",
    "videoprotection": "videosurveillance",
    "informatise": "informatique",
}
_NEGATIONS = frozenset({"non", "hors", "pas"})
# Words keeping their final s or x (singular forms).
_INVARIABLE = _wordset("mois os nas ios bus plus ans pas sans gps tous dos prix choix voix croix vis")


class _CharTable(dict):
    """Code point → what `compute` gives for that character, computed once per character (bounded: hostile texts
    may use many distinct characters)."""

    def __init__(self, compute, initial: dict[int, str] | None = None):
        super().__init__(initial or {})
        self.compute = compute

    def __missing__(self, code: int) -> str:
        value = self.compute(chr(code))
        if len(self) < 100_000:
            self[code] = value
        return value


def _without_marks(char: str) -> list[str]:
    return [c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)]


# Each character → its compatibility decomposition without combining marks (decomposing character by character
# gives the same text as decomposing the whole text, once the combining marks are dropped).
_ACCENT_TABLE = _CharTable(
    lambda char: "".join(_without_marks(char)), {ord("œ"): "oe", ord("Œ"): "oe", ord("æ"): "ae", ord("Æ"): "ae"}
)


def strip_accents(text: str) -> str:
    """Lowercase ASCII-ish text: accents removed, ligatures expanded."""
    if text.isascii():
        return text.lower()
    return text.translate(_ACCENT_TABLE).lower()


def singular(token: str) -> str:
    """A crude French singular: "tablettes" → "tablette", "locaux" → "local", "bureaux" → "bureau"."""
    if len(token) <= 3 or token in _INVARIABLE or token[0].isdigit():
        return token
    if token.endswith(("eaux", "eux")):
        return token[:-1]
    if token.endswith("aux") and len(token) > 4:
        return token[:-3] + "al"
    if token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def _clean(text: str) -> str:
    """HTML removed, accents stripped, lowercased, apostrophes and dashes turned into spaces."""
    text = _HTML_TAG_RE.sub(" ", text)
    text = html.unescape(text)
    text = strip_accents(text)
    text = text.replace("”", '"').replace("“", '"').replace("″", '"').replace("''", '"')
    text = _SEPARATORS_RE.sub(" ", text)
    text = _THOUSANDS_RE.sub(lambda m: m.group(1) + re.sub(r"\D", "", m.group(2)), text)
    text = _DECIMAL_COMMA_RE.sub(".", text)
    for pattern, replacement, literal in _PHRASES:
        if literal in text:
            text = pattern.sub(replacement, text)
    return text


def _glue_units(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        number = m.group(1).replace(",", ".")
        if number.endswith(".0"):
            number = number[:-2]
        return f" {number}{_UNIT_ALIASES[m.group(2)]} "

    return _NUMBER_UNIT_RE.sub(repl, text)


def tokens(text: str) -> list[str]:
    """The normalised tokens of a text (see ``normalise``)."""
    if not text:
        return []
    text = _glue_units(_clean(text))
    out: list[str] = []
    negation = ""
    for raw in _NON_WORD_RE.split(text):
        raw = raw.strip('"')
        if raw in _NEGATIONS:
            negation = "non"
            continue
        if not raw or raw in STOP_WORDS:
            continue
        token = singular(raw)
        token = _SYNONYMS.get(token, token)
        if token in STOP_WORDS:
            continue
        # "non interactif" must not look like "interactif": the negated word becomes another token.
        out.append(negation + token)
        negation = ""
    return out


def normalise(text: str) -> str:
    """Comparable form of a text.

    Lowercase, accents and HTML tags removed, punctuation dropped, French stop words removed, simple plurals made
    singular, and sizes unified: "10 pouces", "10p", '10"' and "10 inch" all become "10pouce", "8 Go" / "8GB"
    become "8go". Returns tokens joined by single spaces ("" when nothing is left).
    """
    return " ".join(tokens(text or ""))


# --- Quantity extraction ---------------------------------------------------------------------------------------

_QTY_UNITS = {
    "licence": "licence",
    "licences": "licence",
    "abonnement": "abonnement",
    "abonnements": "abonnement",
    "lot": "lot",
    "lots": "lot",
    "forfait": "forfait",
    "forfaits": "forfait",
    "jour": "jour",
    "jours": "jour",
    "journee": "jour",
    "journees": "jour",
    "heure": "heure",
    "heures": "heure",
    "h": "heure",
    "mois": "mois",
    "an": "an",
    "ans": "an",
    "annee": "an",
    "annees": "an",
    "metre": "metre",
    "metres": "metre",
    "m": "metre",
    "ml": "metre",
}
# A number followed by these is a size, not a quantity: "10 pouces", "8 Go", "65 pouces".
_MEASURE_WORDS = _wordset(
    "pouce pouces p po inch inches go gb to tb mo mb ghz mhz w watts va lm lumens mm cm ppm % \" '' x"
)
_WORD_RE = re.compile(r"\d{1,3}(?: \d{3})+(?:[.,]\d+)?(?!\d)|\d+(?:[.,]\d+)?|[a-z]+|\"|''|%")  # "2 000": one number


@dataclass(frozen=True)
class Quantity:
    quantity: int | None
    unit: str | None
    text: str


def _number(word: str) -> int | None:
    word = word.replace(" ", "")  # "2 000" (thousands separator, folded to a space)
    if word.isdigit():
        value = int(word)
        return value if 0 < value < 1_000_000 else None
    return _WORD_NUMBERS.get(word)


def _fold(char: str) -> str:
    """A character's lowercase, accent-free single character, or a space."""
    base = _without_marks(char)
    return base[0].lower() if base and len(base[0].lower()) == 1 else " "


_FOLD_TABLE = _CharTable(_fold)


def _fold(text: str) -> str:
    """Lowercase and accent-free, keeping exactly one character per input character (indices stay valid)."""
    return text.translate(_FOLD_TABLE)


_QTY_PATTERNS = [
    # "qté: 12", "quantité 12", "nb 12", "nombre : 12"
    re.compile(r"\b(?:qte|quantite|qt|nb|nbre|nombre)\s*[:=.]?\s*(\d{1,6})\b"),
    # "x12", "x 12", "×12"
    re.compile(r"(?:^|\s)[x×*]\s?(\d{1,6})\b"),
    # "12x", "12 x", "12×" (not followed by a digit: "1920 x 1080" is a resolution)
    re.compile(r"\b(\d{1,6})\s?[x×*](?=\s|$)(?!\s*\d)"),
    # "lot de 5", "un lot de 5", "pack de 10"
    re.compile(r"^\s*(?:un\s+|1\s+)?(?:lot|pack|ensemble|kit)\s+de\s+(\d{1,6})\b"),
]


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ,;:-")


def _pattern_quantity(base: str, low: str) -> tuple[int, str] | None:
    for index, pattern in enumerate(_QTY_PATTERNS):
        for m in pattern.finditer(low):
            if index == 1 and re.search(r"\d\s*$", low[: m.start() + 1]):
                continue  # "1920 x 1080"
            value = int(m.group(1))
            if 0 < value < 1_000_000:
                return value, _tidy(base[: m.start()] + " " + base[m.end() :])
    return None


# A buying verb before the quantity ("Achat de 12 écrans", "acq. 15 PC", "Fourniture de 3 VPI") says nothing
# about what is bought: the quantity after it is still the line's.
_BUYING_LEAD_RE = re.compile(
    r"^\s*(?:achats?|acquisitions?|acq|commandes?|cdes?|fournitures?|fourn|livraisons?|besoins?|prevoir)"
    r"\s*\.?\s*(?:(?:de|des|du)\s+|d\s*'\s*|:\s*)?"
)


def extract_quantity(text: str) -> tuple[int | None, str | None, str]:
    """Find the quantity a buyer wrote at the start, after a buying verb, or around a multiplication sign.

    Returns ``(quantity, unit, remaining text)``; unit is one of the need line units ("licence", "jour", "metre"…)
    or None for plain units. Handles "20 tablettes", "lot de 5 casques" (5), "3 lots de 5" (3 lots), "x12",
    "12x", "12 x tablette", "qté : 12", "2 classes mobiles de 16" (2), "trois casques", "achat de 12 écrans" (12,
    the verb is dropped from the remaining text). Sizes ("10 pouces", "8 Go") and years ("2026") are never taken
    as quantities.
    """
    if not isinstance(text, str) or not text.strip():
        return None, None, ""
    base = _HTML_TAG_RE.sub(" ", text).strip()
    low = _fold(base)
    found = _pattern_quantity(base, low)
    if found is not None:
        return found[0], None, found[1]

    words = list(_WORD_RE.finditer(low))
    if not words:
        return None, None, _tidy(base)
    start = 0
    lead = _BUYING_LEAD_RE.match(low)
    if lead is not None:
        after = [w for w in words if w.start() >= lead.end()]
        if after and _number(after[0].group(0)) is not None:
            words, start = after, lead.end()
    first = words[0].group(0)
    value = _number(first)
    if value is None or (len(first) == 4 and 1900 <= value <= 2100) or low[start : words[0].start()].strip(" -•*"):
        return None, None, _tidy(base)
    following = words[1].group(0) if len(words) > 1 else ""
    if following in _MEASURE_WORDS or re.match(r"\d+[.,]\d", low[words[0].start() :]):
        return None, None, _tidy(base)
    unit = _QTY_UNITS.get(following)
    cut = words[0].end()
    if unit is not None:
        cut = words[1].end()
        m = re.match(r"\s*(?:de\s+|d'\s*)", low[cut:])
        if m:
            cut += m.end()
    return value, unit, _tidy(base[cut:])


# --- Contract objects ("Accord-cadre à bons de commande pour la fourniture de…") -------------------------------

# Procedural wording that says how something is bought, never what: removed before matching a contract object.
# Legal references, durations, lot and tranche numbers and relaunch notes are as frequent as they are useless.
_PROCEDURE_RES = [
    re.compile(p)
    for p in (
        r"\bn(?:umero|o)?\s*(?:de\s+(?:la\s+)?)?consultation\s*:?\s*[\w.]*",
        r"\b(?:le\s+present|l\s*objet\s+d[eu]\s*l?)\s*(?:accord\s*a?\s*cadre|marche|contrat)"
        r"(?:\s+(?:a\s+pour\s+objet|est|porte\s+sur|concerne))?",
        r"\baccords?\s*a?\s*cadres?\b|\bcontrats?\b(?=\s+(?:de|d)\b)",
        r"\b(?:a\s+)?bons?\s+(?:de\s+)?(?:commandes?|cdes?)\b|\bac\s+a\s+b[dc]c?\b|\bbdc\b",
        r"\b(?:mono|multi)\s*attributaires?\b(?:\s*\(\s*\d+\s*titulaires?\s*\))?",
        r"\bmarches?\s+(?:publics?|subsequents?|negocies?|ordinaires?|mapa)\b",
        r"\bmarches?\b(?=\s+(?:de|d|pour|relatif|portant|ayant)\b)",
        r"\bprocedure\s+adaptee\b.*$",
        r"\bappels?\s+d\s+offres?(?:\s+(?:ouvert|restreint)s?)?\b|\b(?:mapa|aoo|aor)\b",
        r"\b(?:(?:passe|conclu)\s+)?(?:en\s+(?:vertu|application)\s+)?(?:d[eu]s?\s+(?:l\s+)?)?articles?\s+[lrd]?\s*\d.*$",
        r"\b(?:decret|ordonnance)\s+(?:n\s*)?\d.*$",
        r"\b(?:ayant\s+pour|a\s+pour)\s+objet\b|\bportant\s+sur\b|\brelatif\s+(?:a|aux|au)\b",
        r"\blots?\s*(?:n|no|numero)?\s*\d+\b|\b\d+\s+lots\b|\blot\s*[a-z]?\d*\b",
        r"\b(?:\d+\s*(?:e|er|eme|ere)?|premiere|deuxieme|seconde|troisieme|quatrieme|derniere)\s+(?:tranche|phase)\b",
        r"\btranches?\s+(?:fermes?|optionnelles?|conditionnelles?)\b",
        r"\b(?:relance|declare\s+sans\s+suite|sans\s+suite)\b|\b(?:suite\s+a\s+)?(?:infructuosite|infructueu(?:x|se)s?)\b",
        r"\ben\s+groupement\s+de\s+commandes?\b",
        r"\bpour\s+(?:une\s+)?(?:duree|periode)\s+d\s*[eu]?\s*\w+\s+(?:ans?|annees?|mois)\b",
        r"\b(?:pour\s+)?(?:les\s+|l\s+)?(?:annees?|exercices?|saisons?|periode)\s+\d{4}(?:\s*(?:a|et|-)\s*\d{4})?",
        r"\b(?:reconductibles?|reconductions?|renouvelables?)\b(?:\s+\w+\s+fois)?",
        r"^\s*[\w.]*\d[\w.]*\s*[-:]",  # a leading reference: "2018-30 -", "182157 -"
    )
]
# What kind of purchase the object is, from the word that opens it ("Travaux de…", "Maintenance des…",
# "Fourniture de…"): the CPV nomenclature separates supplies (divisions 03 to 44, and 48 for software packages),
# works (45) and services (50 to 98), and buyers code a contract by what it mainly is. The first cue found in the
# first words of the object decides; later words ("… et maintenance associée") do not.
_NATURE_CUES = (
    (
        "works",
        r"travaux|trvx|trx|tvx|construction|reconstruction|rehabilitation|renovation|refection|demolition|"
        r"restructuration|reamenagement|amenagements?|viabilisation|requalification|confortement|terrassements?|"
        r"gros\s+oeuvre|remise\s+en\s+etat|mise\s+en\s+conformite|grosses?\s+reparations?|gros\s+entretien|"
        # the building trades that name the lots of a works contract ("Lot 9 : peinture - revêtements muraux")
        r"maconnerie|charpentes?|couverture|etancheite|menuiseries?|platrerie|doublages?|cloisons?|"
        r"faux\s+plafonds?|carrelages?|faiences?|revetements?\s+de\s+sols?|sols\s+souples|peintures?|serrurerie|"
        r"metallerie|plomberie|vrd|desamiantage|isolation|ravalement|bardages?|electricite|cvc",
    ),
    (
        "maintenance",
        r"maintenances?|maint|maintce|mantenance|entretiens?|reparations?|depannages?|maintien\s+en\s+condition|"
        r"verifications?|controles?\s+periodiques?",
    ),
    ("installation", r"installations?|install|mise\s+en\s+place|mise\s+en\s+service|deploiement"),
    ("rental", r"locations?"),
    ("training", r"formations?|stages?|sensibilisation"),
    (
        "study",
        r"etudes?|missions?|assistance\s+a\s+maitrise|amo|maitrise\s+d\s+oeuvre|moe|diagnostics?|audits?|"
        r"conseils?|expertises?|accompagnement|assistance\s+technique",
    ),
    (
        "service",
        r"prestations?|services?|gestion|exploitation|organisation|nettoyage|collecte|transports?|gardiennage|"
        r"abonnements?|abonnt|hebergement|delegation|concession|traitement|impression|"
        # work on software and information systems is a service, whatever the software
        r"migration|evolutions?|evolut|developpement|refonte|tma|integration|parametrage|mise\s+en\s+oeuvre|"
        r"dematerialisation|numerisation|assistance|support|infogerance|supervision",
    ),
    (
        "supply",
        r"fournitures?|fourn|acquisitions?|acq|aquisition|achats?|livraisons?|approvisionnements?|commandes?",
    ),
)
_NATURE_RE = re.compile("|".join(rf"(?P<{nature}>\b(?:{cue})\b)" for nature, cue in _NATURE_CUES))
NATURE_WINDOW = 3  # the cue must be among the first words of the object (a service cue: the first one)
NATURES = tuple(nature for nature, _ in _NATURE_CUES)
# A supply verb followed by "de": "Fourniture et livraison de", "Acquisition d'", "Achat des". "Fournitures
# scolaires" keeps its word: only a verb followed by "de" is procedure. Renting products is buying them too (a supply
# contract, code de la commande publique L1111-3): "Location et maintenance de copieurs" is about copiers. Services
# sold with the supply ("Fourniture, installation et paramétrage d'un écran") are part of the chain: the object is
# what is supplied.
_SUPPLY_VERB = (
    r"(?:fournitures?(?!\s+de\s+bureau)|acquisitions?|achats?|locations?|livraisons?|poses?|mise\s+a\s+disposition|"
    r"prestations?(?:\s+de\s+services?)?|realisation|renouvellement|remplacement|commande|"
    r"acq\.?|fourn\.?|loc\.?)"  # abbreviations of administrative objects ("ACQ ET MAINT PHOTOCOPIEURS")
)
_ANCILLARY = (
    r"(?:installations?|poses?|mise\s+en\s+(?:service|place|oeuvre)|parametrages?|configurations?|maintenances?|"
    r"montages?|deploiements?|livraisons?|entretiens?|reprises?|raccordements?|enlevements?|garanties?|"
    r"maint\.?|maintce|loc\.?)"
)
_RENTAL = r"(?:locations?|loc\.?)"
# "Location et maintenance", "location-maintenance" (the hyphen is a space by now), "fourniture, pose"
_JOINED = rf"(?:\s*(?:,|et|&)\s*|\s+)(?:(?:la|l|les)\s+)?(?:{_SUPPLY_VERB}|{_ANCILLARY})"
_SUPPLY_VERBS_RE = re.compile(
    rf"(?:^|(?<=\s))(?:(?:la|l|les)\s+)?{_SUPPLY_VERB}(?:{_JOINED})*\s*(?:de\s+la|de\s+l|des|du|de|d)\b"
    # several buying verbs say how the thing is bought even without "de" ("Acquisition et maintenance copieurs");
    # a lone word does not ("Fournitures scolaires")
    rf"|(?:^|(?<=\s))(?:(?:la|l|les)\s+)?{_SUPPLY_VERB}(?:{_JOINED})+\s+"
    # renting makes the whole a supply contract, whatever comes first ("Maintenance et location de copieurs")
    rf"|(?:^|(?<=\s))(?:(?:la|l|les)\s+)?{_ANCILLARY}(?:{_JOINED})*?(?:\s*(?:,|et|&)\s*|\s+){_RENTAL}(?:{_JOINED})*"
    r"(?:\s*(?:de\s+la|de\s+l|des|du|de|d)\b|\s+)"
)
# A part of the object made of buying verbs only ("Logiciels de gestion : fourniture et maintenance") says how the
# thing named before it is bought, not what it is.
_VERBS_ONLY_PART_RE = re.compile(
    rf"(?:^|(?<=[:;(]))\s*(?:(?:la|l|les)\s+)?(?:{_SUPPLY_VERB}|{_ANCILLARY})"
    rf"(?:\s*(?:,|et|&)\s*(?:(?:la|l|les)\s+)?(?:{_SUPPLY_VERB}|{_ANCILLARY}))*\s*(?=$|[:;()])"
)
# "… et maintenance associée", "prestations associées": services that come with the main purchase.
_ASSOCIATED_RE = re.compile(
    r"(?:,|\bet\b|&)?\s*(?:(?:la|l|les|des|de)\s+)?(?:maintenances?|installations?|mise\s+en\s+service|garanties?|"
    r"formations?|prestations?|services?|fournitures?)\s+(?:diverses?\s+)?(?:associee?s?|correspondante?s?|"
    r"y\s+afferente?s?|afferente?s?|liee?s?|annexes?|connexes?)\b"
)
# Where the beneficiary or the context starts: "pour les besoins de la ville", "au profit du CCAS" (not "cartes pour
# l'achat de carburant": a purpose introduced by a buying verb says what is bought).
_TAIL_RE = re.compile(
    r"\b(?:pour(?!\s+(?:l\s+|la\s+)?(?:achat|acquisition|fourniture)s?\b)|au\s+profit|a\s+destination|destine(?:e|es|s)?\s+a|dans\s+le\s+cadre|sur\s+le\s+territoire|"
    r"aupres|en\s+faveur)\b|\b(?:de|d)\s+(?:la|l)?\s*(?:ville|commune|communaute|metropole|region|agglomeration)\b|"
    r"\b(?:du|des)\s+(?:departement|conseil|sdis|syndicat|ccas|services?\s+municipaux)\b"
)
# A head made of these words only ("Prestations de services pour…") says nothing: what follows is the object.
_GENERIC_HEAD = _wordset("service prestation fourniture produit materiel equipement article diver divers besoin")
TAIL_WEIGHT = 0.35  # words after "pour…", "au profit de…": who and where, rarely what
HEAD_WORDS = 3  # the first words of the object keep their full weight…
HEAD_DECAY = 0.1  # … the next ones lose this much each…
HEAD_FLOOR = 0.5  # … down to this share


_GENERIC_SERVICE_RE = re.compile(r"prestations?|services?")


_LEADING_RE = re.compile(r"^[\s,;:.-]*(?:(?:pour|de|d|du|des)\s+)?(?:(?:la|l|les|le|un|une)\s+)?")
_DE_RE = re.compile(r"\s+(?:de\s+services?\s+)?(?:de\s+la|de\s+l|des|du|de|d)\s+")


_PART_RE = re.compile(r"\s[:;(]|\s-\s|[:;(]\s")
# Words saying that something is done, not what: "réalisation d'une prestation de…", "mise en place d'un…".
_FILLER_RE = re.compile(
    r"\bmise\s+en\s+(?:place|oeuvre|service)\b|\b(?:prestations?|realisations?|missions?|operations?|objet)\b"
)


@dataclass(frozen=True)
class ObjetQuery:
    """What ``objet_query`` reads in a contract object: weighted terms and the kind of purchase."""

    terms: tuple[tuple[str, float], ...]
    nature: str  # one of NATURES, or "" when the object does not say


def _nature(text: str) -> str:
    """The nature given by the first cue opening the object or one of its parts ("Logiciels : maintenance…")."""
    for part in _PART_RE.split(text):
        start = 0
        for m in _NATURE_RE.finditer(part):
            before = len(part[start : m.start()].split())
            if before >= NATURE_WINDOW:
                break
            if before and m.lastgroup == "service":
                continue  # "gestion", "support"… are often complements ("logiciel de gestion"): only as first word
            # "Prestations de maintenance", "services de nettoyage": the next cue says which service
            after = _DE_RE.match(part, m.end())
            if _GENERIC_SERVICE_RE.fullmatch(m.group()) and after and _NATURE_RE.match(part, after.end()):
                start = after.end()
                continue
            if m.lastgroup in ("maintenance", "installation") and _RENTAL_NEAR_RE.match(part, m.end()):
                return "rental"  # "Maintenance et location de…": renting is a supply contract (L1111-3)
            return m.lastgroup or ""
    return ""


_RENTAL_NEAR_RE = re.compile(r"\.?(?:\s*(?:,|et|&)\s*|\s+)(?:(?:la|l|les)\s+)?(?:locations?|loc\.?)\b")


_DASH_RE = re.compile(r"\s+[-–]\s+")


def objet_query(text: str) -> ObjetQuery:
    """Terms of a contract object with a weight, and its nature (supply, works, maintenance…).

    Procedure is removed (contract type, "accord-cadre à bons de commande", lot and tranche numbers, legal
    references, durations, relaunch notes), the verbs saying how something is bought are dropped with the
    services sold alongside ("Fourniture, installation et maintenance de copieurs" → copieur), and the
    beneficiary clause weighs less. "Accord-cadre à bons de commande pour l'acquisition de fournitures scolaires
    pour les écoles de la Commune de Rumilly" → fourniture 1, scolaire 1, ecole 0.35, commune 0.35, rumilly 0.35,
    nature "supply". Words after the first few weigh progressively less (the head noun says what is bought).
    Falls back to plain ``tokens`` when the stripping leaves nothing.
    """
    if not text:
        return ObjetQuery((), "")
    # an object written twice ("CHEQUE REPAS - CHEQUE REPAS", a common export artefact) says it once
    parts = {part.strip().casefold(): part for part in _DASH_RE.split(text)}
    cleaned = _clean(" - ".join(parts.values()))
    for pattern in _PROCEDURE_RES:
        cleaned = pattern.sub(" ", cleaned)
    # "… pour l'acquisition de X": what is left starts with the object, not with "pour".
    cleaned = _LEADING_RE.sub(" ", cleaned)
    nature = _nature(cleaned)
    cleaned = _ASSOCIATED_RE.sub(" ", cleaned)
    cleaned = _VERBS_ONLY_PART_RE.sub(" ", cleaned)
    cleaned = _SUPPLY_VERBS_RE.sub(" ", cleaned, count=1)
    cleaned = _FILLER_RE.sub(" ", cleaned)
    cleaned = re.sub(r"^[\s,;:.-]*(?:pour|de)\s+(?:la|l|les)?\s*", " ", cleaned)
    head, tail = cleaned, ""
    m = _TAIL_RE.search(cleaned)
    if m and any(t not in _GENERIC_HEAD for t in tokens(cleaned[: m.start()])):
        head, tail = cleaned[: m.start()], cleaned[m.start() :]
    weights: dict[str, float] = {}
    for part, weight in ((head, 1.0), (tail, TAIL_WEIGHT)):
        position = 0
        for token in tokens(part):
            if len(token) < 2 or any(c.isdigit() for c in token):
                continue  # numbers and lone letters ("2018-S-0051") are references, not words
            # the head noun and its first qualifiers say what is bought; later words add detail
            w = weight * max(HEAD_FLOOR, 1.0 - HEAD_DECAY * max(0, position - HEAD_WORDS + 1))
            position += 1
            if weights.get(token, 0.0) < w:
                weights[token] = w
    if not weights:
        weights = {t: 1.0 for t in tokens(text) if not t.isdigit()}
    return ObjetQuery(tuple(weights.items()), nature)
