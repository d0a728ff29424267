"""Matching engine: free-text need lines → catalog items (and CPV codes as a fallback).

Pure functions and plain data classes, no Django or ORM import, so the engine is easy to test and to benchmark.

How a line is matched:
1. ``normalise`` turns the text into comparable tokens (accents, HTML, stop words, plurals, units).
2. Candidate generation: every query token is looked up in an inverted index of the catalog vocabulary; tokens
   missing from the vocabulary (typos) are expanded to close vocabulary tokens found through character trigrams
   and checked with rapidfuzz. Only the documents (labels and aliases) sharing a token are scored, never the whole
   catalog.
3. Scoring (0–100) blends, with IDF weights, how much of the item's wording the line covers and how much of the
   line the item explains, plus a small share of rapidfuzz's ``token_set_ratio``.
4. The best item gets a status from the calibrated thresholds below; when no item reaches ``REVIEW_THRESHOLD``,
   the CPV labels held by the index may propose a code.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

# --- Calibrated thresholds -------------------------------------------------------------------------------------
# Calibrated on typical buyer wordings (tests/catalog/test_matching.py) and the wordings of the seed aliases:
# a line covering an item's label or alias with at most one unexplained word scores ≥ 80; one main word found
# with a typo, or a generic word only, lands between 55 and 80; unrelated text stays below 55.
MATCH_THRESHOLD = 80.0  # at or above: "matched", the item can be used without a human look
REVIEW_THRESHOLD = 55.0  # at or above (and below MATCH_THRESHOLD): "review", a buyer should confirm
AMBIGUITY_MARGIN = 3.0  # a "matched" best item this close to a different runner-up is downgraded to "review"
CPV_THRESHOLD = 60.0  # minimum score for the CPV fallback to propose a code
MAX_TEXT_LENGTH = 2000  # longer texts are refused (a need line holds 1,000 characters)
MAX_QUERY_TOKENS = 40  # only the first tokens of a long line are used
MAX_CANDIDATES = 60  # documents scored with rapidfuzz per line, after the cheap pre-ranking
FUZZY_TOKEN_CUTOFF = 85.0  # rapidfuzz ratio for a typo to count as a vocabulary token
UNKNOWN_TOKEN_WEIGHT = 0.4  # weight of a short line word that no catalog item uses ("CM1", "ce2")
UNKNOWN_WORD_WEIGHT = 2.0  # weight of a longer unknown word ("progiciel"): the line may be about something else
CONTEXT_WEIGHT = 0.5  # words saying where or why, not what ("salle", "classe", "remplacement")
NUMBER_WEIGHT_FACTOR = 0.35  # bare numbers matter less than words ("12" in "salle 12"); sizes ("75pouce") do not
MEASURE_CONFLICT_PENALTY = 8.0  # per size of the line contradicted by the item (75 pouces asked, 86 offered)

STATUS_MATCHED = "matched"
STATUS_REVIEW = "review"
STATUS_UNMATCHED = "unmatched"


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
    salle classe ecole college lycee primaire elementaire groupe scolaire etablissement site batiment
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
_NON_WORD_RE = re.compile(r"[^a-z0-9\"]+")
# Compound words written in several ways, glued before tokenising.
_PHRASES = [
    (re.compile(r"\bwi\s*fi\b"), "wifi"),
    (re.compile(r"\bvideo\s+projecteur"), "videoprojecteur"),
    (re.compile(r"\bretro\s+projecteur"), "retroprojecteur"),
    (re.compile(r"\bmicro\s*:?\s*bit\b"), "microbit"),
    (re.compile(r"\bchrome\s+book"), "chromebook"),
    (re.compile(r"\bmac\s+book"), "macbook"),
    (re.compile(r"\bi\s+pad"), "ipad"),
    (re.compile(r"\bbee\s+bot"), "beebot"),
    (re.compile(r"\bblue\s+bot"), "bluebot"),
    (re.compile(r"\bm\s+bot\b"), "mbot"),
    (re.compile(r"\bpare\s+feu"), "parefeu"),
    (re.compile(r"\bhaut\s+parleur"), "hautparleur"),
    (re.compile(r"\bweb\s+cam"), "webcam"),
    (re.compile(r"\bweb\s+radio"), "webradio"),
    (re.compile(r"\be\s+mail"), "email"),
    (re.compile(r"\b2\s+en\s+1\b"), "2en1"),
    (re.compile(r"\b3\s+d\b"), "3d"),
    (re.compile(r"\bcat\s+(\d)"), r"cat\1"),
    (re.compile(r"\bsans\s+fil\b"), "sansfil"),
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
}
_NEGATIONS = frozenset({"non", "hors", "pas"})
# Words keeping their final s or x (singular forms).
_INVARIABLE = _wordset("mois os nas ios bus plus ans pas sans gps tous dos prix choix voix croix vis")


def strip_accents(text: str) -> str:
    """Lowercase ASCII-ish text: accents removed, ligatures expanded."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


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
    text = re.sub(r"[’‘`´'_/\\-]+", " ", text)
    for pattern, replacement in _PHRASES:
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
_WORD_RE = re.compile(r"\d+(?:[.,]\d+)?|[a-z]+|\"|''|%")


@dataclass(frozen=True)
class Quantity:
    quantity: int | None
    unit: str | None
    text: str


def _number(word: str) -> int | None:
    if word.isdigit():
        value = int(word)
        return value if 0 < value < 1_000_000 else None
    return _WORD_NUMBERS.get(word)


def _fold(text: str) -> str:
    """Lowercase and accent-free, keeping exactly one character per input character (indices stay valid)."""
    out = []
    for char in text:
        base = [c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)]
        out.append(base[0].lower() if len(base) >= 1 and len(base[0].lower()) == 1 else " ")
    return "".join(out)


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


def extract_quantity(text: str) -> tuple[int | None, str | None, str]:
    """Find the quantity a buyer wrote at the start or around a multiplication sign.

    Returns ``(quantity, unit, remaining text)``; unit is one of the need line units ("licence", "jour", "metre"…)
    or None for plain units. Handles "20 tablettes", "lot de 5 casques" (5), "3 lots de 5" (3 lots), "x12",
    "12x", "12 x tablette", "qté : 12", "2 classes mobiles de 16" (2), "trois casques". Sizes ("10 pouces",
    "8 Go") and years ("2026") are never taken as quantities.
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
    first = words[0].group(0)
    value = _number(first)
    if value is None or (len(first) == 4 and 1900 <= value <= 2100) or low[: words[0].start()].strip(" -•*"):
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


# --- Index --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AliasText:
    """An alias of an item. ``scope`` None: everyone; otherwise only queries made with that scope (a collectivité)."""

    text: str
    scope: Hashable | None = None


@dataclass(frozen=True)
class Entry:
    """What the index needs to know about a catalog item."""

    item_id: int | str
    label: str
    aliases: Sequence[AliasText | str] = ()
    family: str = ""
    cpv: str = ""


@dataclass(frozen=True)
class Candidate:
    item_id: int | str
    label: str
    score: float


@dataclass
class MatchResult:
    """The outcome for one text. ``item_id`` is None when status is unmatched; ``reason`` says why."""

    item_id: int | str | None
    score: float
    status: str
    explanation: str
    candidates: list[Candidate] = field(default_factory=list)
    cpv: str = ""
    cpv_label: str = ""
    cpv_score: float | None = None
    cpv_fallback: bool = False
    reason: str = ""


@dataclass
class _Doc:
    key: int | str  # item id, or CPV code for the CPV sub-index
    tokens: tuple[str, ...]
    text: str
    kind: str  # "label", "alias", "learnt" or "cpv"
    scope: Hashable | None
    source: str  # original wording, for explanations


def _trigrams(token: str) -> set[str]:
    padded = f"  {token} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


_MEASURE_RE = re.compile(r"^(\d+(?:\.\d+)?)([a-z]+)$")


def _measure_unit(token: str) -> str | None:
    """The unit of a size token ("75pouce" → "pouce"), None for other tokens."""
    m = _MEASURE_RE.match(token)
    return m.group(2) if m else None


class _SubIndex:
    """Inverted index over token → documents, and trigram → vocabulary tokens for typos."""

    def __init__(self, docs: list[_Doc], key_count: int) -> None:
        self.docs = docs
        self.postings: dict[str, list[int]] = defaultdict(list)
        df: dict[str, set] = defaultdict(set)
        # Every token an item is known by (label and all its aliases): global, and per scope for learnt aliases.
        self.key_tokens: dict[int | str, set[str]] = defaultdict(set)
        self.scoped_key_tokens: dict[tuple[int | str, Hashable], set[str]] = defaultdict(set)
        for doc_id, doc in enumerate(docs):
            for token in set(doc.tokens):
                self.postings[token].append(doc_id)
                df[token].add(doc.key)
            if doc.scope is None:
                self.key_tokens[doc.key].update(doc.tokens)
            else:
                self.scoped_key_tokens[(doc.key, doc.scope)].update(doc.tokens)
        n = max(key_count, 1)
        self.idf: dict[str, float] = {t: math.log(1 + n / len(keys)) for t, keys in df.items()}
        self.vocab_by_trigram: dict[str, list[str]] = defaultdict(list)
        for token in self.postings:
            if len(token) >= 3 and not token[0].isdigit():
                for gram in _trigrams(token):
                    self.vocab_by_trigram[gram].append(token)

    def weight(self, token: str) -> float:
        if token in CONTEXT_WORDS:
            return CONTEXT_WEIGHT
        idf = self.idf.get(token)
        if idf is None:
            if token.isalpha() and len(token) >= 5:
                return UNKNOWN_WORD_WEIGHT
            return UNKNOWN_TOKEN_WEIGHT
        if token.isdigit():
            return idf * NUMBER_WEIGHT_FACTOR
        return idf

    def tokens_of(self, key: int | str, scope: Hashable | None) -> set[str]:
        known = self.key_tokens.get(key, set())
        if scope is not None and (key, scope) in self.scoped_key_tokens:
            return known | self.scoped_key_tokens[(key, scope)]
        return known

    def expand(self, token: str) -> list[tuple[str, float]]:
        """Vocabulary tokens matching a query token: itself, or close spellings (similarity 0–1)."""
        if token in self.postings:
            return [(token, 1.0)]
        if len(token) < 5 or token[0].isdigit():
            return []
        counts: dict[str, int] = defaultdict(int)
        for gram in _trigrams(token):
            for vocab in self.vocab_by_trigram.get(gram, ()):
                counts[vocab] += 1
        if not counts:
            return []
        shortlist = sorted(counts, key=counts.__getitem__, reverse=True)[:30]
        found = process.extract(token, shortlist, scorer=fuzz.ratio, score_cutoff=FUZZY_TOKEN_CUTOFF, limit=3)
        return [(vocab, score / 100.0) for vocab, score, _ in found]


class Index:
    """Built once from catalog entries (and optionally CPV labels), then used for many ``match`` calls."""

    def __init__(self, entries: Iterable[Entry], cpv_labels: Iterable[tuple[str, str]] = ()) -> None:
        self.entries: dict[int | str, Entry] = {}
        docs: list[_Doc] = []
        for entry in entries:
            self.entries[entry.item_id] = entry
            docs.append(_doc(entry.item_id, entry.label, "label", None))
            for alias in entry.aliases:
                alias = alias if isinstance(alias, AliasText) else AliasText(alias)
                docs.append(_doc(entry.item_id, alias.text, "alias" if alias.scope is None else "learnt", alias.scope))
        self.items = _SubIndex([d for d in docs if d.tokens], len(self.entries))
        self.cpv_labels: dict[str, str] = {}
        cpv_docs = []
        for code, label in cpv_labels:
            self.cpv_labels[code] = label
            doc = _doc(code, label, "cpv", None)
            if doc.tokens:
                cpv_docs.append(doc)
        self.cpv = _SubIndex(cpv_docs, len(self.cpv_labels))

    def __len__(self) -> int:
        return len(self.entries)


def _doc(key: int | str, text: str, kind: str, scope: Hashable | None) -> _Doc:
    toks = tuple(tokens(text))
    return _Doc(key=key, tokens=toks, text=" ".join(toks), kind=kind, scope=scope, source=text)


def build_index(entries: Iterable[Entry], cpv_labels: Iterable[tuple[str, str]] = ()) -> Index:
    return Index(entries, cpv_labels)


# --- Scoring ---------------------------------------------------------------------------------------------------


@dataclass
class _Scored:
    key: int | str
    score: float
    doc: _Doc
    matched: list[tuple[str, str, float]]  # (query token, doc token, similarity)


def _best_options(
    query: list[str], expansions: dict[str, list[tuple[str, float]]], known: set[str]
) -> list[tuple[str, str, float]]:
    """For each query token, the best (query token, known token, similarity) among the known tokens."""
    out = []
    for q in query:
        options = [(v, sim) for v, sim in expansions.get(q, ()) if v in known]
        if options:
            vocab, sim = max(options, key=lambda o: o[1])
            out.append((q, vocab, sim))
    return out


def _score_doc(
    sub: _SubIndex,
    doc: _Doc,
    query: list[str],
    expansions: dict[str, list[tuple[str, float]]],
    q_text: str,
    scope: Hashable | None,
) -> _Scored:
    """Score = how much of this wording the line covers, and how much of the line the item explains.

    The second part uses every wording of the item (label and aliases), so "switch 24 ports poe" is explained
    better by the 24-port switch than by the 8-port one, even when the shortest alias of both is "switch poe".
    """
    doc_tokens = set(doc.tokens)
    in_doc = _best_options(query, expansions, doc_tokens)
    if not in_doc:
        return _Scored(key=doc.key, score=0.0, doc=doc, matched=[])
    best_for_doc: dict[str, float] = {}
    for _, vocab, sim in in_doc:
        best_for_doc[vocab] = max(best_for_doc.get(vocab, 0.0), sim)
    d_total = sum(sub.weight(t) for t in doc_tokens)
    coverage_doc = sum(sub.weight(t) * sim for t, sim in best_for_doc.items()) / d_total if d_total else 0.0

    known = sub.tokens_of(doc.key, scope) | doc_tokens
    in_item = {q: (vocab, sim) for q, vocab, sim in _best_options(query, expansions, known)}
    q_total = q_matched = 0.0
    for q in query:
        q_weight = max((sub.weight(v) for v, _ in expansions.get(q, ())), default=sub.weight(q))
        q_total += q_weight
        if q in in_item:
            q_matched += q_weight * in_item[q][1]
    coverage_query = q_matched / q_total if q_total else 0.0

    base = 100.0 * (0.55 * coverage_doc + 0.45 * coverage_query)
    score = 0.85 * base + 0.15 * fuzz.token_set_ratio(q_text, doc.text)
    score -= MEASURE_CONFLICT_PENALTY * _measure_conflicts(query, known)
    score = 100.0 if doc.text == q_text else min(score, 99.0)
    matched = [(q, vocab, sim) for q, (vocab, sim) in in_item.items()]
    return _Scored(key=doc.key, score=round(max(0.0, min(score, 100.0)), 1), doc=doc, matched=matched)


def _measure_conflicts(query: list[str], known: set[str]) -> int:
    """How many sizes of the line the item contradicts: it has sizes in the same unit, none of them equal."""
    conflicts = 0
    for q in query:
        unit = _measure_unit(q)
        if unit is None or q in known:
            continue
        if any(_measure_unit(t) == unit for t in known):
            conflicts += 1
    return min(conflicts, 2)


def _rank(sub: _SubIndex, query: list[str], scope: Hashable | None) -> list[_Scored]:
    """Best document per key, best first. Only documents sharing a (possibly corrected) token are scored."""
    expansions = {q: sub.expand(q) for q in set(query)}
    prelim: dict[int, float] = defaultdict(float)
    for options in expansions.values():
        for vocab, sim in options:
            w = sub.weight(vocab) * sim
            for doc_id in sub.postings.get(vocab, ()):
                prelim[doc_id] += w
    if not prelim:
        return []
    shortlist = sorted(prelim, key=prelim.__getitem__, reverse=True)[: MAX_CANDIDATES * 3]
    q_text = " ".join(query)
    best: dict[int | str, _Scored] = {}
    scored = 0
    for doc_id in shortlist:
        doc = sub.docs[doc_id]
        if doc.scope is not None and doc.scope != scope:
            continue
        result = _score_doc(sub, doc, query, expansions, q_text, scope)
        scored += 1
        current = best.get(doc.key)
        if current is None or result.score > current.score:
            best[doc.key] = result
        if scored >= MAX_CANDIDATES:
            break
    return sorted(best.values(), key=lambda s: (-s.score, str(s.key)))


def _status(score: float, runner_up: float | None, exact: bool = False) -> str:
    """Status from the thresholds; a best item too close to a different runner-up needs a look, unless the
    line is written exactly as one of the item's wordings."""
    if score >= MATCH_THRESHOLD:
        exact_and_alone = exact and (runner_up is None or runner_up < 100.0)
        if runner_up is not None and not exact_and_alone and score - runner_up < AMBIGUITY_MARGIN:
            return STATUS_REVIEW
        return STATUS_MATCHED
    if score >= REVIEW_THRESHOLD:
        return STATUS_REVIEW
    return STATUS_UNMATCHED


def _explain(best: _Scored, entry: Entry, status: str) -> str:
    words = []
    for q, vocab, sim in best.matched:
        words.append(vocab if sim >= 0.999 else f"{vocab} (lu « {q} »)")
    words_text = ", ".join(dict.fromkeys(words)) or "aucun"
    via = {
        "label": "le libellé",
        "alias": f"le synonyme « {best.doc.source} »",
        "learnt": f"le synonyme appris par votre collectivité « {best.doc.source} »",
    }[best.doc.kind]
    verdict = {
        STATUS_MATCHED: "Rapprochement sûr",
        STATUS_REVIEW: "Rapprochement à vérifier",
        STATUS_UNMATCHED: "Rapprochement trop incertain",
    }[status]
    text = f"{verdict} avec « {entry.label} » (score {best.score:.0f}/100) : mots reconnus {words_text}, via {via}."
    return text[:500]


def _refuse(reason: str) -> MatchResult:
    return MatchResult(
        item_id=None, score=0.0, status=STATUS_UNMATCHED, explanation=f"Non reconnue : {reason}.", reason=reason
    )


def match(index: Index, text: str, top_k: int = 3, scope: Hashable | None = None) -> MatchResult:
    """Match one text against the index.

    ``scope`` selects the learnt aliases that apply (those with that scope, plus every global alias). Never
    raises on bad input: empty, numbers only, too long, emoji or other scripts give an unmatched result with
    a ``reason``.
    """
    if not isinstance(text, str) or not text.strip():
        return _refuse("le texte est vide")
    if len(text) > MAX_TEXT_LENGTH:
        return _refuse(f"le texte est trop long ({len(text)} caractères, maximum {MAX_TEXT_LENGTH})")
    _, _, rest = extract_quantity(text)
    query = tokens(rest) or tokens(text)
    if not query:
        return _refuse("aucun mot exploitable (caractères non latins, symboles ou mots vides seulement)")
    if all(t[0].isdigit() for t in query):
        return _refuse("le texte ne contient que des nombres")
    query = query[:MAX_QUERY_TOKENS]

    ranked = _rank(index.items, query, scope)
    candidates = [Candidate(s.key, index.entries[s.key].label, s.score) for s in ranked[: max(top_k, 1)]]
    best = ranked[0] if ranked else None
    if best is not None and best.score >= REVIEW_THRESHOLD:
        entry = index.entries[best.key]
        runner_up = ranked[1].score if len(ranked) > 1 else None
        status = _status(best.score, runner_up, exact=best.doc.text == " ".join(query))
        return MatchResult(
            item_id=best.key,
            score=best.score,
            status=status,
            explanation=_explain(best, entry, status),
            candidates=candidates[:top_k],
            cpv=entry.cpv,
            cpv_label=index.cpv_labels.get(entry.cpv, ""),
        )
    return _fallback(index, query, best, candidates[:top_k])


def _fallback(index: Index, query: list[str], best: _Scored | None, candidates: list[Candidate]) -> MatchResult:
    score = best.score if best is not None else 0.0
    reason = "aucun article du catalogue ne correspond suffisamment"
    if best is not None:
        reason += f" (meilleur : « {index.entries[best.key].label} », score {score:.0f}/100)"
    cpv_ranked = _rank(index.cpv, query, None) if index.cpv.docs else []
    if cpv_ranked and cpv_ranked[0].score >= CPV_THRESHOLD:
        top = cpv_ranked[0]
        label = index.cpv_labels.get(str(top.key), "")
        explanation = f"Non reconnue : {reason}. Code CPV proposé : {top.key} {label} (score {top.score:.0f}/100)."
        return MatchResult(
            item_id=None,
            score=score,
            status=STATUS_UNMATCHED,
            explanation=explanation[:500],
            candidates=candidates,
            cpv=str(top.key),
            cpv_label=label,
            cpv_score=top.score,
            cpv_fallback=True,
            reason=reason,
        )
    return MatchResult(
        item_id=None,
        score=score,
        status=STATUS_UNMATCHED,
        explanation=f"Non reconnue : {reason}."[:500],
        candidates=candidates,
        reason=reason,
    )


def match_cpv(index: Index, text: str) -> tuple[str, float] | None:
    """Best CPV code for a text and its score, or None (used to evaluate against buyer-declared codes)."""
    query = tokens(text or "")[:MAX_QUERY_TOKENS] if text and len(text) <= MAX_TEXT_LENGTH else []
    ranked = _rank(index.cpv, query, None) if query else []
    return (str(ranked[0].key), ranked[0].score) if ranked else None
