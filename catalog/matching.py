"""Matching engine: free-text need lines → catalog items, and any text (need line or contract object) → CPV code.

Pure functions and plain data classes, no Django or ORM import, so the engine is easy to test and to benchmark.
Text normalisation lives in ``catalog.textnorm`` (re-exported here).

How a line is matched:
1. ``normalise`` turns the text into comparable tokens (accents, HTML, stop words, plurals, units).
2. Candidate generation: every query token is looked up in an inverted index of the catalog vocabulary; tokens
   missing from the vocabulary (typos) are expanded to close vocabulary tokens found through character trigrams
   and checked with rapidfuzz. Only the documents (labels and aliases) sharing a token are scored, never the whole
   catalog, and only the best of them after a cheap IDF pre-ranking.
3. Scoring (0–100) blends, with IDF weights, how much of the item's wording the line covers and how much of the
   line the item explains, plus a small share of rapidfuzz's ``token_set_ratio``. Weights, token sets and the
   tokens each item is known by are computed once, when the index is built.
4. The best item gets a status from the calibrated thresholds below; when no item reaches ``REVIEW_THRESHOLD``,
   ``predict_cpv`` may propose a CPV code.
5. Results are memoised per index on the normalised text and the scope that applies (campaigns repeat the same
   wordings a lot), and the normalisation itself is memoised on the raw text.

How a CPV code is guessed (``predict_cpv``), for need lines nobody can match and for contract objects:
1. ``textnorm.objet_query`` removes procedural wording (contract type, lots, legal references, durations), the
   verbs of buying and the services sold alongside ("Fourniture, installation et maintenance de copieurs" →
   copieur), weighs the beneficiary clause and the words after the head noun less, and reads the nature of the
   purchase from the word opening the object: supply, works, maintenance, installation, rental, training, study
   or service.
2. The terms are matched against the CPV labels, French synonyms of common CPV codes (general vocabulary only)
   and the catalog's own wordings (each counts for its item's CPV code); the best catalog item adds its code as
   evidence; codes of the catalog's own divisions get a small bonus (the product buys school digital equipment
   and services); codes whose kind contradicts the nature weigh less ("Maintenance des photocopieurs" is a
   repair service, division 50, not the supply of photocopiers, 30).
3. The choice goes from the general to the specific: the division whose codes and whole vocabulary explain the
   text best, then the best group (3 digits) inside it, then its best code; close siblings roll up to their
   common parent, and weak evidence to the parent code.
"""

from __future__ import annotations

import functools
import heapq
import json
import math
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from catalog.textnorm import (  # noqa: F401  (re-exported: the engine's public text functions)
    CONTEXT_WORDS,
    STOP_WORDS,
    ObjetQuery,
    Quantity,
    extract_quantity,
    normalise,
    objet_query,
    singular,
    strip_accents,
    tokens,
)

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
LINE_HEAD_WORDS = 4  # the first tokens of a need line count in full (numbers and sizes included)…
LINE_TAIL_DECAY = 0.2  # … each next one counts this much less…
LINE_TAIL_FLOOR = 0.5  # … down to this share
MAX_CANDIDATES = 60  # documents scored with rapidfuzz per line, after the cheap pre-ranking
FUZZY_TOKEN_CUTOFF = 85.0  # rapidfuzz ratio for a typo to count as a vocabulary token
UNKNOWN_TOKEN_WEIGHT = 0.4  # weight of a short line word that no catalog item uses ("CM1", "ce2")
UNKNOWN_WORD_WEIGHT = 2.0  # weight of a longer unknown word ("progiciel"): the line may be about something else
CONTEXT_WEIGHT = 0.5  # words saying where or why, not what ("salle", "classe", "remplacement")
NUMBER_WEIGHT_FACTOR = 0.35  # bare numbers matter less than words ("12" in "salle 12"); sizes ("75pouce") do not
SPELLING_SHARE = 0.15  # share of rapidfuzz's token_set_ratio in a wording's score, the rest is IDF coverage
MEASURE_CONFLICT_PENALTY = 8.0  # per size of the line contradicted by the item (75 pouces asked, 86 offered)
BARE_SIZE_MIN = 100  # a number written alone from this value on is read as a size when the vocabulary has it
SIZE_TOLERANCE = 0.05  # sizes this close are the same size ("15 pouces" is how buyers write 15.6-inch laptops)
# CPV guessing
CPV_DOC_SHARE = 0.45  # a code must explain the text more than the text must cover a (long, formal) CPV label
CPV_MAX_CANDIDATES = 60  # CPV wordings scored per text after the pre-ranking
CPV_DOMAIN_BONUS = 0.05  # relative bonus for codes in the catalog's own divisions (school IT and its services)
CPV_ITEM_EVIDENCE = 0.75  # a catalog item matched at score s counts as s × this for its CPV code
CPV_ROLLUP_MARGIN = 2.0  # codes this close to the best one and sharing its group roll up to the common parent
CPV_WEAK_SCORE = 35.0  # below this, the best code is replaced by its parent (a broader, safer code)
CPV_VOTE_LEVELS = (2, 3)  # the vote picks the division (2 digits), then the group (3 digits)
CPV_VOTE_KEEP = 30  # CPV codes kept per text for the vote between divisions and groups
CPV_VOTE_MARGIN = 10.0  # codes this far below the best one take no part in the vote
CPV_BRANCH_WEIGHT = 0.6  # weight of how much of the text a whole branch explains, in the vote (0–100 scale)
CPV_VOTE_DECAY = 0.3  # share of the 2nd best code of a branch in its evidence, squared for the 3rd…
CPV_NATURE_MISMATCH = 0.8  # factor on a code whose kind contradicts the nature of the purchase
# Nature of the purchase (textnorm.objet_query) → factor by kind of code (code_kind); a kind absent from the table
# gets CPV_NATURE_MISMATCH.
CPV_NATURE_FIT: dict[str, dict[str, float]] = {
    "supply": {"supply": 1.0},
    "works": {"works": 1.0, "study": 0.9},
    "maintenance": {"maintenance": 1.0, "service": 0.95, "installation": 0.95, "works": 0.9},
    "installation": {"installation": 1.0, "works": 1.0, "maintenance": 0.95, "supply": 0.9, "service": 0.9},
    "rental": {"supply": 1.0, "service": 0.9, "maintenance": 0.9},
    "training": {"training": 1.0, "service": 0.9, "study": 0.9},
    "study": {"study": 1.0, "service": 0.95, "training": 0.9},
    "service": {"service": 1.0, "maintenance": 1.0, "installation": 1.0, "training": 1.0, "study": 1.0},
}
# Words the nomenclature uses for the same thing: "Services de réparation et d'entretien de X", "Maintenance et
# réparation de X" and "Services d'entretien de X" all are what buyers call "maintenance de X".
EQUIVALENT_WORDS: dict[str, tuple[str, ...]] = {
    "maintenance": ("entretien", "reparation"),
    "entretien": ("maintenance",),
    "reparation": ("maintenance",),
}
EQUIVALENT_SIMILARITY = 0.9  # an equivalent word counts as a close spelling
TRANSPOSITION_SIMILARITY = 0.9  # two neighbouring letters swapped: as sure as a close spelling
LOOSE_SPELLING = 82.0  # below FUZZY_TOKEN_CUTOFF, a word this close to the vocabulary is a typo, not another word
# Memoisation
MATCH_CACHE_SIZE = 20_000  # distinct (normalised text, scope) results kept per index
SUGGESTION_CACHE_SIZE = 2_000  # distinct texts whose CPV suggestions are kept per index
PREPARE_CACHE_SIZE = 50_000  # distinct raw texts whose normalisation is kept

STATUS_MATCHED = "matched"
STATUS_REVIEW = "review"
STATUS_UNMATCHED = "unmatched"

CPV_SYNONYMS_PATH = Path(__file__).resolve().parent / "data" / "cpv_synonyms.json"


def read_cpv_synonyms(path: Path | str | None = None) -> list[tuple[str, str]]:
    """The (CPV code, French wording) pairs of catalog/data/cpv_synonyms.json."""
    with open(path or CPV_SYNONYMS_PATH, encoding="utf-8") as fh:
        data = json.load(fh)
    return [(code, text) for code, texts in data["synonyms"].items() for text in texts]


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


@dataclass(frozen=True)
class MatchResult:
    """The outcome for one text. ``item_id`` is None when status is unmatched; ``reason`` says why.

    Results are memoised and shared between identical queries: they are immutable.
    """

    item_id: int | str | None
    score: float
    status: str
    explanation: str
    candidates: tuple[Candidate, ...] = ()
    cpv: str = ""
    cpv_label: str = ""
    cpv_score: float | None = None
    cpv_fallback: bool = False
    reason: str = ""


@dataclass(frozen=True)
class CpvGuess:
    code: str
    label: str
    score: float
    via: str  # "label", "synonym", "catalog" (an item's wording or a matched item), or "parent" after a roll-up


@dataclass
class _Doc:
    key: int | str  # item id, or CPV code for the CPV sub-index
    tokens: tuple[str, ...]
    text: str
    kind: str  # "label", "alias", "learnt", "cpv", "cpv_synonym" or "cpv_item"
    scope: Hashable | None
    source: str  # original wording, for explanations
    token_set: frozenset[str] = frozenset()
    total: float = 0.0  # sum of the weights of its distinct tokens, set by the sub-index


def _trigrams(token: str) -> set[str]:
    padded = f"  {token} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


_MEASURE_RE = re.compile(r"^(\d+(?:\.\d+)?)([a-z]+)$")


def _same_size(item: float, line: float) -> bool:
    """Whether a size of the line is a size of the item: within SIZE_TOLERANCE, or its whole part, as buyers write
    it (« 11 pouces » for an 11.6-inch screen, « 10 pouces » for a 10.9-inch tablet)."""
    return abs(item - line) <= SIZE_TOLERANCE * max(item, line) or (line.is_integer() and math.floor(item) == line)


def _size_ranges(tokens: Iterable[str]) -> Iterator[tuple[float, float, str]]:
    """Ranges a wording gives ("Onduleur 600 à 800 VA" → 600–800 va): a bare number right before a larger size."""
    previous = None
    for token in tokens:
        m = _MEASURE_RE.match(token)
        if m and previous is not None and previous < float(m.group(1)):
            unit, factor = _UNIT_SCALE.get(m.group(2), (m.group(2), 1.0))
            yield previous * factor, float(m.group(1)) * factor, unit
        try:
            previous = float(token)
        except ValueError:
            previous = None


_PAPER_RE = re.compile(r"^a([0-6])$")  # paper formats: A4, A3… (a printer, a scanner, a copier)
_UNIT_SCALE = {"to": ("go", 1000.0), "mo": ("go", 0.001)}  # capacities compare in one unit: 1 To is no 512 Go


def _size(token: str) -> tuple[float, str] | None:
    """A size token's value and unit, capacities in Go ("1to" → 1000, "go"; "a3" → 3, "format"), else None."""
    if m := _MEASURE_RE.match(token):
        unit, factor = _UNIT_SCALE.get(m.group(2), (m.group(2), 1.0))
        return float(m.group(1)) * factor, unit
    if m := _PAPER_RE.match(token):
        return float(m.group(1)), "format"
    return None


def _measure_unit(token: str) -> str | None:
    """The unit of a size token ("75pouce" → "pouce", "1to" → "go", "a4" → "format"), None for other tokens."""
    size = _size(token)
    return size[1] if size else None


class _SubIndex:
    """Inverted index over token → documents, and trigram → vocabulary tokens for typos.

    Everything a query needs per document is computed here once: token sets, weight totals, the tokens each key
    is known by (all its wordings) and the units of its sizes.
    """

    def __init__(self, docs: list[_Doc], key_count: int, real_words: Iterable[str] = ()) -> None:
        self.docs = docs
        self.postings: dict[str, list[int]] = defaultdict(list)
        df: dict[str, set] = defaultdict(set)
        key_tokens: dict[int | str, set[str]] = defaultdict(set)
        scoped_tokens: dict[tuple[int | str, Hashable], set[str]] = defaultdict(set)
        ranges: dict[int | str, set[tuple[float, float, str]]] = defaultdict(set)
        self.scopes: set[Hashable] = set()
        for doc_id, doc in enumerate(docs):
            doc.token_set = frozenset(doc.tokens)
            for token in dict.fromkeys(doc.tokens):  # in text order, not set order: same index in every process
                self.postings[token].append(doc_id)
                df[token].add(doc.key)
            if doc.scope is None:
                key_tokens[doc.key].update(doc.tokens)
                ranges[doc.key].update(_size_ranges(doc.tokens))
            else:
                scoped_tokens[(doc.key, doc.scope)].update(doc.tokens)
                self.scopes.add(doc.scope)
        self.postings = dict(self.postings)
        # words known to be right, never read as typos of this vocabulary (those it uses are matched as they are)
        self.real_words: frozenset[str] = frozenset(real_words) - self.postings.keys()
        n = max(key_count, 1)
        self.idf: dict[str, float] = {t: math.log(1 + n / len(keys)) for t, keys in df.items()}
        self.weights: dict[str, float] = {t: self._weight(t) for t in self.idf}
        for doc in docs:
            # fsum: the same total whatever order the set is read in (it changes with each process's hash seed)
            doc.total = math.fsum(self.weights[t] for t in doc.token_set)
        self.known: dict[int | str, frozenset[str]] = {k: frozenset(v) for k, v in key_tokens.items()}
        self.scoped_known: dict[tuple[int | str, Hashable], frozenset[str]] = {
            (key, scope): self.known.get(key, frozenset()) | toks for (key, scope), toks in scoped_tokens.items()
        }
        self.units: dict[frozenset[str], frozenset[str]] = {}
        self.ranges: dict[int | str, frozenset[tuple[float, float, str]]] = {k: frozenset(v) for k, v in ranges.items()}
        # unit → (value, token) of every size of the vocabulary, to find the close ones ("15pouce" ~ "15.6pouce")
        self.sizes_by_unit: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self.sizes_by_number: dict[str, list[str]] = defaultdict(list)
        for token in self.postings:
            if m := _MEASURE_RE.match(token):
                self.sizes_by_unit[m.group(2)].append((float(m.group(1)), token))
                self.sizes_by_number[m.group(1)].append(token)
        self.vocab_by_trigram: dict[str, list[str]] = defaultdict(list)
        for token in self.postings:
            if len(token) >= 3 and not token[0].isdigit():
                for gram in _trigrams(token):
                    self.vocab_by_trigram[gram].append(token)

    def _weight(self, token: str) -> float:
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

    def weight(self, token: str) -> float:
        weight = self.weights.get(token)
        return weight if weight is not None else self._weight(token)

    def tokens_of(self, key: int | str, scope: Hashable | None) -> frozenset[str]:
        """Every token the key is known by: its global wordings, plus those learnt in ``scope``."""
        if scope is not None:
            scoped = self.scoped_known.get((key, scope))
            if scoped is not None:
                return scoped
        return self.known.get(key, frozenset())

    def units_of(self, known: frozenset[str]) -> frozenset[str]:
        units = self.units.get(known)
        if units is None:
            units = frozenset(u for u in map(_measure_unit, known) if u)
            self.units[known] = units
        return units

    @functools.lru_cache(maxsize=20_000)  # noqa: B019  (one sub-index per catalog version; bounded)
    def expand(self, token: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary tokens matching a query token: itself, or close spellings (similarity 0–1)."""
        # A size of the line ("75pouce") also answers a wording that gives its number alone ("eni 75"), and a
        # size within SIZE_TOLERANCE ("15pouce" for "15.6pouce").
        bare: tuple[tuple[str, float], ...] = ()
        if measure := _MEASURE_RE.match(token):
            value, unit = float(measure.group(1)), measure.group(2)
            bare = tuple(
                (other, EQUIVALENT_SIMILARITY)
                for size, other in self.sizes_by_unit.get(unit, ())
                if other != token and _same_size(size, value)
            )
            if measure.group(1) in self.postings:
                bare = ((measure.group(1), EQUIVALENT_SIMILARITY), *bare)
        # … and a number written alone answers the sizes of that number ("portable 15,6" for "15.6pouce")
        sized = tuple((size, EQUIVALENT_SIMILARITY) for size in self.sizes_by_number.get(token, ()))
        if token in self.postings:
            near = tuple((v, EQUIVALENT_SIMILARITY) for v in EQUIVALENT_WORDS.get(token, ()) if v in self.postings)
            return ((token, 1.0), *near, *bare, *sized)
        if sized:
            return sized
        if len(token) < 5 or token[0].isdigit() or token in self.real_words:
            return bare
        return self._close_spellings(token)

    def _shortlist(self, token: str) -> list[str]:
        """The 30 vocabulary tokens sharing the most trigrams with ``token``."""
        counts: dict[str, int] = defaultdict(int)
        for gram in _trigrams(token):
            for vocab in self.vocab_by_trigram.get(gram, ()):
                counts[vocab] += 1
        # ties broken by closeness of length, then spelling: the same shortlist in every process (hash seeds differ)
        return heapq.nlargest(30, counts, key=lambda v: (counts[v], -abs(len(v) - len(token)), v))

    def resembles_vocabulary(self, token: str) -> bool:
        """Whether ``token`` looks like a misspelt vocabulary word, even too far to be read as one."""
        shortlist = self._shortlist(token)
        return process.extractOne(token, shortlist, scorer=fuzz.ratio, score_cutoff=LOOSE_SPELLING) is not None

    def one_slip_away(self, token: str) -> bool:
        """Whether ``token`` is a vocabulary word with one letter added, dropped, changed or two swapped (« potable »
        for « portable »), though it is a word of its own."""
        return any(OSA.distance(token, vocab, score_cutoff=1) <= 1 for vocab in self._shortlist(token))

    def _close_spellings(self, token: str) -> tuple[tuple[str, float], ...]:
        """Up to three vocabulary tokens spelt like ``token`` (rapidfuzz ratio ≥ FUZZY_TOKEN_CUTOFF, or two letters
        swapped), best first."""
        shortlist = self._shortlist(token)
        found = {
            vocab: score / 100.0
            for vocab, score, _ in process.extract(
                token, shortlist, scorer=fuzz.ratio, score_cutoff=FUZZY_TOKEN_CUTOFF, limit=3
            )
        }
        # two neighbouring letters swapped (« cmaera », « swtich »), the commonest slip of the fingers, costs two
        # edits to ``fuzz.ratio`` and falls under the cutoff in short words: looked up directly
        for i in range(len(token) - 1):
            swapped = token[:i] + token[i + 1] + token[i] + token[i + 2 :]
            if swapped != token and swapped in self.postings:
                found[swapped] = max(found.get(swapped, 0.0), TRANSPOSITION_SIMILARITY)
        return tuple(sorted(found.items(), key=lambda pair: (-pair[1], pair[0]))[:3])

    def keys_with_every_word(self, words: Sequence[str]) -> set[int | str]:
        """Keys whose global wordings use every word, each in any close spelling: a word known as it is written
        ("tablete", a misspelling some alias holds) also finds the keys of its neighbours ("tablette")."""
        found: set[int | str] | None = None
        for word in words:
            spellings = {word, *(v for v, _ in self._close_spellings(word))} if len(word) >= 5 else {word}
            keys = {
                self.docs[doc_id].key
                for spelling in spellings
                for doc_id in self.postings.get(spelling, ())
                if self.docs[doc_id].scope is None
            }
            found = keys if found is None else found & keys
            if not found:
                return set()
        return found or set()


def _cpv_parent(code: str, known: Mapping[str, str]) -> str | None:
    """The nearest existing ancestor of a CPV code (30213100 → 30213000 → 30210000…), None for a division."""
    significant = len(code.rstrip("0"))
    while significant > 2:
        significant -= 1
        parent = code[:significant].ljust(8, "0")
        if parent in known:
            return parent
    return None


class Index:
    """Built once from catalog entries (and optionally CPV labels and synonyms), then used for many matches.

    ``cpv_synonyms``: (code, French wording) pairs that widen the official labels ("copieur multifonction" for
    30121100). ``family_cpv``: family code → CPV code, so a family-level match still gives a sensible code.
    """

    def __init__(
        self,
        entries: Iterable[Entry],
        cpv_labels: Iterable[tuple[str, str]] = (),
        cpv_synonyms: Iterable[tuple[str, str]] = (),
        family_cpv: Mapping[str, str] | None = None,
    ) -> None:
        self.entries: dict[int | str, Entry] = {}
        docs: list[_Doc] = []
        for entry in entries:
            self.entries[entry.item_id] = entry
            docs.append(_doc(entry.item_id, entry.label, "label", None))
            for alias in entry.aliases:
                alias = alias if isinstance(alias, AliasText) else AliasText(alias)
                docs.append(_doc(entry.item_id, alias.text, "alias" if alias.scope is None else "learnt", alias.scope))
        self.family_cpv: dict[str, str] = dict(family_cpv or {})
        # the things the catalog sells, by the head word of its supplies' labels (« tablette », « ordinateur »)
        self.object_words = (
            frozenset(
                words[0]
                for e in self.entries.values()
                if code_kind(e.cpv or "0") == "supply" and (words := tokens(e.label))
            )
            - CONTEXT_WORDS
            - LEADING_WORDS
        )
        # how the catalog writes its words, to show them in explanations (« écran », « ENI », not « ecran », « eni »)
        self.display = _display_forms(
            text for e in self.entries.values() for text in (e.label, *(a for a in e.aliases if _global(a)))
        )
        self.label_objects: dict[int | str, tuple[str, ...]] = {
            key: tuple(t for t in dict.fromkeys(tokens(e.label)) if t in self.object_words)
            for key, e in self.entries.items()
        }
        # the things an item sells together, when its label lists them (« Ensemble clavier et souris »)
        self.sold_together: dict[int | str, frozenset[str]] = {
            key: frozenset(self.label_objects[key]) if _things_listed(self, _parts_of(e.label)) else frozenset()
            for key, e in self.entries.items()
        }
        self.cpv_labels: dict[str, str] = dict(cpv_labels)
        # … and the words only the nomenclature has, as it writes them (« télécommande »)
        self.display = {**_display_forms(self.cpv_labels.values(), plural=False), **self.display}
        cpv_docs = [_doc(code, label, "cpv", None) for code, label in self.cpv_labels.items()]
        cpv_docs += [_doc(code, text, "cpv_synonym", None) for code, text in cpv_synonyms if code in self.cpv_labels]
        # Words of the nomenclature that no catalog wording uses are real French words (« routier », « mousse »,
        # « courrier »): a need line's word among them is not a typo of a catalog word (« router », « mouse »).
        real_words = {t for d in cpv_docs for t in d.tokens}
        self.items = _SubIndex([d for d in docs if d.tokens], len(self.entries), real_words)
        if self.cpv_labels:
            # The catalog's own wordings say what its CPV codes are about ("VPI", "TNI", "ipad"…).
            for doc in docs:
                cpv = self.entries[doc.key].cpv
                if doc.scope is None and cpv in self.cpv_labels:
                    cpv_docs.append(_Doc(cpv, doc.tokens, doc.text, "cpv_item", None, doc.source))
        self.cpv = _SubIndex([d for d in cpv_docs if d.tokens], len(self.cpv_labels))
        self.cpv_branches = _branch_vocabulary(self.cpv)
        self.domain_divisions = frozenset(
            code[:2] for code in [*(e.cpv for e in self.entries.values()), *self.family_cpv.values()] if code
        )
        self._match = functools.lru_cache(maxsize=MATCH_CACHE_SIZE)(self._match_query)
        self._suggest = functools.lru_cache(maxsize=SUGGESTION_CACHE_SIZE)(self._cpv_suggestions)

    def __len__(self) -> int:
        return len(self.entries)

    def clear_cache(self) -> None:
        """Forget memoised results (the index itself never changes: a changed catalog builds a new index)."""
        self._match.cache_clear()
        self._suggest.cache_clear()

    def _match_query(self, query: tuple[str, ...], scope: Hashable | None, top_k: int) -> MatchResult:
        return _match_query(self, list(query), scope, top_k)

    def _cpv_suggestions(self, text: str, limit: int) -> tuple[CpvGuess, ...]:
        return tuple(_cpv_suggestions(self, text, limit))


def _global(alias: AliasText | str) -> bool:
    return not isinstance(alias, AliasText) or alias.scope is None


_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")  # hyphens kept: « pare-feu » is the token « parefeu »


def _display_forms(texts: Iterable[AliasText | str], plural: bool = True) -> dict[str, str]:
    """Token → the way the catalog writes it: accents (« écran »), capitals inside a word (« ENI », « Wi-Fi »,
    « PoE »), hyphens (« pare-feu », read « parefeu »), a word the normalisation cut (« souris », read « souri »).
    Only forms that are the token itself once accents, hyphens and a plural mark are removed: « PC » is not shown
    for « ordinateur », its normalised form; a form without the mark wins (« tablette », not « tablettes »).
    Without ``plural``, no such form: the nomenclature's labels are in the plural (« Batteries »), a line's word
    rarely is."""
    shown: dict[str, str] = {}
    marked: dict[str, str] = {}
    for text in texts:
        for compound in _WORD_RE.findall(text.text if isinstance(text, AliasText) else text):
            # a hyphenated word the normalisation does not glue (« USB-C », « mini-tour ») shows its parts
            words = [compound] if len(tokens(compound)) == 1 else compound.split("-")
            for word in words:
                found = tokens(word)
                if len(found) != 1:
                    continue
                bare = strip_accents(word.lower()).replace("-", "")
                form = word if any(c.isupper() for c in word[1:]) else word.lower()
                if bare == found[0]:
                    if shown.get(found[0], found[0]) == found[0]:
                        shown[found[0]] = form
                elif plural and bare[:-1] == found[0] and bare[-1] in "sx":
                    marked.setdefault(found[0], form)
    return {t: f for t, f in {**marked, **shown}.items() if f != t}


def _doc(key: int | str, text: str, kind: str, scope: Hashable | None) -> _Doc:
    toks = tuple(tokens(text))
    return _Doc(key=key, tokens=toks, text=" ".join(toks), kind=kind, scope=scope, source=text)


def build_index(
    entries: Iterable[Entry],
    cpv_labels: Iterable[tuple[str, str]] = (),
    cpv_synonyms: Iterable[tuple[str, str]] = (),
    family_cpv: Mapping[str, str] | None = None,
) -> Index:
    return Index(entries, cpv_labels, cpv_synonyms, family_cpv)


# --- Scoring ---------------------------------------------------------------------------------------------------


@dataclass
class _Scored:
    key: int | str
    score: float
    doc: _Doc
    matched: list[tuple[str, str, float]]  # (query token, doc token, similarity)
    conflicts: tuple[str, ...] = ()  # sizes of the line the item contradicts ("55pouce" against a 65-inch screen)


@dataclass
class _Query:
    """A query prepared once for a sub-index: expansions and weights of its tokens."""

    tokens: list[str]
    unique: list[str]
    expansions: dict[str, tuple[tuple[str, float], ...]]
    strength: dict[str, float]  # query token → factor on its contribution (position in a contract object)
    weights: dict[str, float]  # query token → weight on the query side
    total: float
    text: str
    measures: list[tuple[str, str]]  # (size token, unit)
    doc_share: float = 0.55  # share of "how much of the wording is covered" in the score (the rest: of the query)


def _prepare_query(
    sub: _SubIndex, query: list[str], strength: Mapping[str, float] | None = None, doc_share: float = 0.55
) -> _Query:
    unique = list(dict.fromkeys(query))
    expansions = {q: sub.expand(q) for q in unique}
    strength = {q: (strength or {}).get(q, 1.0) for q in unique}
    weights = {
        q: (
            sub.weight(q)
            if q in sub.postings
            else max((sub.weight(v) for v, _ in expansions[q]), default=sub.weight(q))
        )
        * strength[q]
        for q in unique
    }
    measures = [(q, unit) for q in query if (unit := _measure_unit(q))]
    # a large number written alone stands for the sizes of the vocabulary that have it (« APC 1500 » → 1500 VA);
    # small ones are too often a version or a generation (« iPad 10 », « Android 13 »)
    measures += [
        (size, unit)
        for q in dict.fromkeys(query)
        if q.isdigit() and int(q) >= BARE_SIZE_MIN
        for size in sub.sizes_by_number.get(q, ())
        if (unit := _measure_unit(size))
    ]
    return _Query(
        tokens=query,
        unique=unique,
        expansions=expansions,
        strength=strength,
        weights=weights,
        total=sum(weights[q] for q in query),
        text=" ".join(query),
        measures=measures,
        doc_share=doc_share,
    )


def _best_in(query: _Query, known: frozenset[str]) -> dict[str, tuple[str, float]]:
    """For each query token, the best (known token, similarity) among the known tokens."""
    out = {}
    for q in query.unique:
        best = None
        for vocab, sim in query.expansions[q]:
            if vocab in known and (best is None or sim > best[1]):
                best = (vocab, sim)
        if best is not None:
            out[q] = best
    return out


def _score_doc(sub: _SubIndex, doc: _Doc, query: _Query, scope: Hashable | None, floor: float = -1.0) -> _Scored | None:
    """Score = how much of this wording the line covers, and how much of the line the item explains.

    The second part uses every wording of the item (label and aliases), so "switch 24 ports poe" is explained
    better by the 24-port switch than by the 8-port one, even when the shortest alias of both is "switch poe".
    None when the score cannot reach ``floor`` whatever rapidfuzz says (the costly part is then skipped).
    """
    in_doc = _best_in(query, doc.token_set)
    if not in_doc:
        return _Scored(key=doc.key, score=0.0, doc=doc, matched=[])
    best_for_doc: dict[str, float] = {}
    for q, (vocab, sim) in in_doc.items():
        sim *= query.strength[q]
        if sim > best_for_doc.get(vocab, 0.0):
            best_for_doc[vocab] = sim
    weights = sub.weights
    coverage_doc = sum(weights[t] * sim for t, sim in best_for_doc.items()) / doc.total if doc.total else 0.0

    known = sub.tokens_of(doc.key, scope)
    if doc.scope is not None and doc.scope != scope:  # a scoped wording only counts in its scope
        known = known | doc.token_set
    in_item = _best_in(query, known)
    for q, unit in query.measures:  # a size within a range the item gives (« 5 m » for a cable « de 1 à 10 m »)
        if q not in in_item and (size := _size(q)) and _in_range(sub, doc.key, size[0], unit):
            in_item[q] = (q, 1.0)
    q_matched = sum(query.weights[q] * in_item[q][1] for q in query.tokens if q in in_item)
    coverage_query = q_matched / query.total if query.total else 0.0

    doc_share = query.doc_share
    base = 100.0 * (doc_share * coverage_doc + (1.0 - doc_share) * coverage_query)
    if (1.0 - SPELLING_SHARE) * base + 100.0 * SPELLING_SHARE + 0.1 < floor and doc.text != query.text:
        return None  # even a perfect rapidfuzz ratio cannot lift it to the floor (0.1: rounding margin)
    score = (1.0 - SPELLING_SHARE) * base + SPELLING_SHARE * fuzz.token_set_ratio(query.text, doc.text)
    conflicts = _measure_conflicts(sub, query, doc.key, known) if query.measures else ()
    score -= MEASURE_CONFLICT_PENALTY * min(len(conflicts), 2)
    score = 100.0 if doc.text == query.text else min(score, 99.0)
    matched = [(q, vocab, sim) for q, (vocab, sim) in in_item.items()]
    score = round(max(0.0, min(score, 100.0)), 1)
    return _Scored(key=doc.key, score=score, doc=doc, matched=matched, conflicts=conflicts)


def _in_range(sub: _SubIndex, key: int | str, value: float, unit: str) -> bool:
    return any(low <= value <= high for low, high, u in sub.ranges.get(key, ()) if u == unit)


def _measure_conflicts(sub: _SubIndex, query: _Query, key: int | str, known: frozenset[str]) -> tuple[str, ...]:
    """The sizes of the line the item contradicts: it has sizes in the same unit, none of them the same (within
    SIZE_TOLERANCE) and no range of its wordings holds the line's ("5 m" for a cable "de 1 à 10 m")."""
    units = sub.units_of(known)
    conflicts = []
    for q, unit in query.measures:
        if q in known or unit not in units:
            continue
        value = _size(q)[0]
        sizes = (size[0] for t in known if (size := _size(t)) and size[1] == unit)
        if any(_same_size(size, value) for size in sizes):
            continue
        if _in_range(sub, key, value, unit):
            continue
        conflicts.append(q)
    return tuple(conflicts)


def _rank(
    sub: _SubIndex,
    query: _Query,
    scope: Hashable | None,
    limit: int = MAX_CANDIDATES,
    keep: int = 4,
    prune: bool = False,
) -> list[_Scored]:
    """Best document per key, best first.

    Only documents sharing a (possibly corrected) token are considered. Each gets a cheap upper bound of its
    score from the IDF weights it shares with the query; documents are scored in that order, at most ``limit``
    of them, and scoring stops once no remaining document can enter the ``keep`` best keys. With ``prune``,
    documents that cannot enter them once their coverage is known are not finished either (only the ``keep``
    best keys are then reliable, not the rest of the list).
    """
    prelim: dict[int, float] = defaultdict(float)
    for q, options in query.expansions.items():
        strength = query.strength[q]
        for vocab, sim in options:
            w = sub.weights[vocab] * sim * strength
            for doc_id in sub.postings[vocab]:
                prelim[doc_id] += w
    if not prelim:
        return []
    docs = sub.docs
    # score ≤ (1 − s) × 100 × (share × coverage_doc + (1 − share) × 1) + 100 s, with s = SPELLING_SHARE, and
    # coverage_doc ≤ prelim / total
    share = query.doc_share
    bound = {
        doc_id: 100.0 * (1.0 - SPELLING_SHARE) * (share * min(1.0, w / docs[doc_id].total) + 1.0 - share)
        + 100.0 * SPELLING_SHARE
        for doc_id, w in prelim.items()
        if docs[doc_id].total
    }
    shortlist = heapq.nlargest(limit * 3, bound, key=bound.__getitem__)
    best: dict[int | str, _Scored] = {}
    floor = -1.0  # the keep-th best key score so far
    scored = 0
    for doc_id in shortlist:
        if bound[doc_id] < floor:
            break
        doc = docs[doc_id]
        if doc.scope is not None and doc.scope != scope:
            continue
        result = _score_doc(sub, doc, query, scope, floor if prune else -1.0)
        scored += 1
        if result is None:
            if scored >= limit:
                break
            continue
        current = best.get(doc.key)
        if current is None or result.score > current.score:
            best[doc.key] = result
            if len(best) >= keep:
                floor = heapq.nlargest(keep, (s.score for s in best.values()))[-1]
        if scored >= limit:
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


def _unknown_words(sub: _SubIndex, query: _Query) -> list[str]:
    """Words of the line that no wording of the catalog uses, nor resembles unless the nomenclature says it is a real
    word (« gymnastique » in « barres de gymnastique », « routier »; not a typo too far to be read, « muarle »): long
    enough to be a word, not a context word."""
    return [
        q
        for q in query.unique
        if not query.expansions[q]
        and q.isalpha()
        and len(q) >= 5
        and q not in CONTEXT_WORDS
        and q not in BRAND_WORDS  # a maker's name says who makes the thing, not another thing
        and (q in sub.real_words or not sub.resembles_vocabulary(q))
    ]


def _explain(
    best: _Scored,
    entry: Entry,
    status: str,
    *,
    shown: Mapping[str, str] | None = None,
    rival: tuple[str, float] | None = None,
    unknown: Sequence[str] = (),
    vague: bool = False,
    headless: str | None = None,
    other: str | None = None,
    foreign: tuple[Sequence[str], Sequence[str]] = ((), ()),
    elsewhere: tuple[Sequence[str], str] | None = None,
    objects: tuple[Sequence[str], Sequence[str]] | None = None,
    listed: Sequence[str] = (),
    ahead: tuple[str, str, str, float] | None = None,
) -> str:
    forms = shown or {}

    def show(token: str) -> str:
        return forms.get(token) or _readable_measure(token)

    def quoted(tokens_: Sequence[str]) -> str:
        return ", ".join(f"« {show(w)} »" for w in tokens_[:3])

    words = []
    for q, vocab, sim in best.matched:
        words.append(show(vocab) if sim >= 0.999 else f"{show(vocab)} (lu « {_readable_measure(q)} »)")
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
    if best.conflicts:
        sizes = ", ".join(_readable_measure(q) for q in best.conflicts)
        text += f" Taille demandée ({sizes}) absente de cet article."
    if unknown and status == STATUS_REVIEW:
        verb = "n'apparaissent" if len(unknown) > 1 else "n'apparaît"
        text += (
            f" Un seul mot reconnu, et {quoted(unknown)} {verb} dans aucun article : vérifiez qu'il s'agit bien de"
            " celui-ci."
        )
    if vague and status == STATUS_REVIEW:
        text += " Un seul mot reconnu, qui ne suffit pas à désigner cet article : précisez ce qui est demandé."
    if headless and status == STATUS_REVIEW:
        text += (
            f" Cet article est une prestation (« {show(headless)} ») que le texte ne demande pas : vérifiez qu'il ne"
            " s'agit pas plutôt du matériel lui-même."
        )
    if foreign[0] and status == STATUS_REVIEW:
        text += (
            f" Le texte parle de {quoted(foreign[0])}, qu'aucun article ne contient, et ne dit pas"
            f" {quoted(foreign[1])} : vérifiez qu'il s'agit bien de cet article."
        )
    if elsewhere is not None and status == STATUS_REVIEW:
        verb = "figurent" if len(elsewhere[0]) > 1 else "figure"
        text += (
            f" Un seul mot reconnu, alors que {quoted(elsewhere[0])} {verb} dans un autre article"
            f" (« {elsewhere[1]} ») : vérifiez ce qui est demandé."
        )
    if objects is not None and status == STATUS_REVIEW:
        text += (
            f" Le texte parle de {quoted(objects[0])} et cet article de {quoted(objects[1])} : vérifiez qu'il"
            " s'agit bien de celui-ci."
        )
    if other and status == STATUS_REVIEW:
        text += (
            f" Le texte porte d'abord sur « {show(other)} », que cet article ne contient pas : vérifiez qu'il ne"
            " demande pas autre chose (un accessoire, une pièce, un service)."
        )
    if ahead is not None and status == STATUS_REVIEW:
        why, word, passed, passed_score = ahead
        said = "porte d'abord sur" if why == "head" else "parle de"
        text += (
            f" Le texte {said} « {show(word)} » : cet article passe devant « {passed} » (score {passed_score:.0f}/100),"
            " qui explique plus de mots mais n'est pas la chose demandée."
        )
    if listed and status == STATUS_REVIEW:
        things = ", ".join(f"« {show(w)} »" for w in listed[:4])
        text += f" La ligne semble demander plusieurs choses ({things}) : déclarez-en une par ligne."
    if rival is not None:
        text += (
            f" « {rival[0]} » convient aussi (score {rival[1]:.0f}/100) : le texte ne dit pas lequel,"
            " précisez le modèle, la taille ou la capacité."
        )
    return text[:500]


_UNIT_DISPLAY = {"go": "Go", "to": "To", "mo": "Mo", "ghz": "GHz", "mhz": "MHz", "w": "W", "va": "VA", "lm": "lumens"}
_UNIT_WORDS = {"pouce", "port", "place", "poste", "an"}  # written out, plural from 2 on


def _readable_measure(token: str) -> str:
    """ "55pouce" → "55 pouces", "64go" → "64 Go", "15.6pouce" → "15,6 pouces" (a French decimal comma)."""
    if _PAPER_RE.match(token):
        return token.upper()
    m = _MEASURE_RE.match(token)
    if m is None:
        return token
    number, unit = m.groups()
    shown = number.replace(".", ",")
    if unit in _UNIT_WORDS:
        return f"{shown} {unit}{'s' if float(number) >= 2 else ''}"
    return f"{shown} {_UNIT_DISPLAY.get(unit, unit)}"


def _refuse(reason: str) -> MatchResult:
    return MatchResult(
        item_id=None, score=0.0, status=STATUS_UNMATCHED, explanation=f"Non reconnue : {reason}.", reason=reason
    )


# Units that say what is bought, not only how much: kept in the words to match.
IDENTITY_UNITS = frozenset({"licence", "abonnement"})


@functools.lru_cache(maxsize=PREPARE_CACHE_SIZE)
def _prepare(text: str) -> tuple[str, ...] | str:
    """The query tokens of a line (quantity removed), or the reason it cannot be matched. Memoised.

    A line listing several things (« tablettes et coques ») keeps where its parts meet: ``PART_MARK`` between
    them (``_line_parts`` takes them apart again)."""
    _, unit, rest = extract_quantity(text)
    query = tokens(rest)
    parts = _split_list(rest, query) if query else [tokens(text)]
    if unit in IDENTITY_UNITS and parts[0]:
        parts[0] = [unit, *parts[0]]  # « 19 licences pare-feu » is a firewall licence, not a firewall
    query = [t for part in parts for t in part]
    if not query:
        return "aucun mot exploitable (caractères non latins, symboles ou mots vides seulement)"
    if all(t[0].isdigit() for t in query):
        return "le texte ne contient que des nombres"
    marked = [t for i, part in enumerate(parts) for t in ([PART_MARK] if i else []) + part]
    return tuple(marked[:MAX_QUERY_TOKENS])


# "tablettes et coques", "ENI + PC OPS", "clavier, souris": the separators of a list of things
_LIST_RE = re.compile(r"\s+(?:et|\+|&)\s+|\s*[,;+]\s*", re.IGNORECASE)
PART_MARK = "|"  # between the parts of a line listing things; tokens never hold it


def _parts_of(text: str) -> list[list[str]]:
    """The tokens of each part of a text, split where it lists things."""
    return [found for part in _LIST_RE.split(text[:MAX_TEXT_LENGTH]) if (found := tokens(part))]


def _split_list(text: str, query: list[str]) -> list[list[str]]:
    """``query`` (the tokens of ``text``) by part, when splitting the text changes no token (« 15,6 pouces »)."""
    if not _LIST_RE.search(text):
        return [query]
    parts = _parts_of(text)
    return parts if len(parts) > 1 and [t for part in parts for t in part] == query else [query]


def _line_parts(query: Sequence[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for token in query:
        if token == PART_MARK:
            parts.append([])
        else:
            parts[-1].append(token)
    return [part for part in parts if part]


def _things_listed(index: Index, parts: Sequence[Sequence[str]]) -> list[str]:
    """The things of the catalog a text lists, one per part (its first thing word), when it lists several."""
    things: list[str] = []
    for part in parts:
        thing = next((t for t in part if t in index.object_words), None)
        if thing is not None and thing not in things:
            things.append(thing)
    return things if len(things) > 1 else []


def clear_caches() -> None:
    """Forget memoised normalisations (indexes keep their own result caches: ``Index.clear_cache``)."""
    _prepare.cache_clear()


def prepare(text: str) -> tuple[str, ...] | str:
    """The normalised query of a line (a tuple of tokens), or a French reason why it cannot be matched."""
    if not isinstance(text, str) or not text.strip():
        return "le texte est vide"
    if len(text) > MAX_TEXT_LENGTH:
        return f"le texte est trop long ({len(text)} caractères, maximum {MAX_TEXT_LENGTH})"
    return _prepare(text)


def match(index: Index, text: str, top_k: int = 3, scope: Hashable | None = None) -> MatchResult:
    """Match one text against the index.

    ``scope`` selects the learnt aliases that apply (those with that scope, plus every global alias). Never
    raises on bad input: empty, numbers only, too long, emoji or other scripts give an unmatched result with
    a ``reason``. Memoised per index on the normalised text and the scope, when that scope has learnt aliases.
    """
    query = prepare(text)
    if isinstance(query, str):
        return _refuse(query)
    return index._match(query, scope if scope in index.items.scopes else None, top_k)


# Words after which a buyer names a place ("école Jules Ferry", "collège Jean Moulin", "salle Molière") or numbers
# one ("étage 2", "bureau 15", "bloc C").
NAMING_WORDS = frozenset(
    {
        "ecole", "college", "lycee", "salle", "site", "batiment", "bat", "gymnase", "mediatheque",
        "etage", "niveau", "aile", "bloc", "bureau",
    }
)  # fmt: skip


def _without_place_names(sub: _SubIndex, query: list[str]) -> list[str]:
    """The line's tokens without the name of a place: the numbers and the words right after a naming word that no
    wording of the catalog uses, even misspelt ("salle 12", "école Jules Ferry"). They say where, not what: an
    unknown word would weigh as unexplained, a number would pick the item that has it ("classe mobile 12")."""
    out: list[str] = []
    naming = False
    for token in query:
        if naming and (token.isdigit() or not sub.expand(token)):
            continue
        naming = token in NAMING_WORDS
        out.append(token)
    return out or query


def _missing_head(doc: _Doc, query: _Query) -> str | None:
    """The head word of a wording (its first word saying what, not where: « recyclage » in « recyclage matériel
    informatique ») when the line has it in no spelling, else None."""
    head = next((t for t in doc.tokens if t.isalpha() and t not in CONTEXT_WORDS), None)
    if head is None:
        return None
    found = {vocab for q in query.unique for vocab, _ in query.expansions[q]}
    return None if head in found else head


# Words of kind or packaging (« licence ENT », « logiciel MDM », « kit Arduino »): they say what sort of thing, not
# which; a line the best item shares only them with is not matched (« licence GeoGebra »).
KIND_WORDS = frozenset(
    {"licence", "logiciel", "abonnement", "kit", "lot", "pack", "ensemble", "materiel", "equipement"}
)
# Words that may open a line without naming the thing bought: adjectives French puts before the noun, and words of
# kind.
LEADING_WORDS = KIND_WORDS | frozenset(
    {"grand", "petit", "gros", "mini", "nouveau", "vieux", "bon", "double", "simple", "autre", "systeme", "solution"}
)


# Makers' names: a line may open with one (« Microsoft Surface Go », « Epson EB-735Fi ») without naming a thing.
BRAND_WORDS = frozenset(
    {
        "acer", "apc", "apple", "asus", "aruba", "benq", "brother", "canon", "cisco", "dell", "eaton", "epson",
        "fujitsu", "google", "hikvision", "hp", "huawei", "iiyama", "infocus", "jabra", "kyocera", "lenovo", "lg",
        "logitech", "microsoft", "netgear", "nec", "optoma", "panasonic", "philips", "poly", "promethean",
        "ricoh", "samsung", "sharp", "smart", "sony", "speechi", "synology", "toshiba", "tplink", "ubiquiti",
        "viewsonic", "xerox", "zyxel",
    }
)  # fmt: skip


# Words saying for whom a thing is: they tell items apart (« ordinateur portable direction ») but name no thing.
WHO_WORDS = frozenset(
    {
        "direction", "directeur", "directrice", "administration", "administratif", "secretariat", "enseignant",
        "professeur", "prof", "eleve", "personnel", "agent",
    }
)  # fmt: skip


def _explained_elsewhere(best: _Scored, second: _Scored) -> list[str]:
    """Words of the line the runner-up item explains and the best one, matched through one word, does not: the
    line may combine two things (« chariot pour vidéoprojecteur ») or name another with the same word."""
    if second.score < REVIEW_THRESHOLD:
        return []
    got = {q for q, _, _ in best.matched}
    return [
        q
        for q, _, _ in second.matched
        if q not in got and q.isalpha() and len(q) > 2 and q not in CONTEXT_WORDS and q not in WHO_WORDS
    ]


def _other_objects(index: Index, best: _Scored, query: _Query) -> tuple[list[str], list[str]] | None:
    """(things the line names and the item does not, things the item's label names and the line does not), when
    both exist: a service or an accessory for another thing. None otherwise."""
    got = {q for q, _, _ in best.matched}
    used = {v for _, v, _ in best.matched}
    said = [q for q in query.unique if q not in got and any(v in index.object_words for v, _ in query.expansions[q])]
    if not said:
        return None
    lacking = [t for t in index.label_objects[best.key] if t not in used]
    return (said, lacking) if lacking else None


def _other_head(sub: _SubIndex, best: _Scored, query: _Query) -> str | None:
    """The word a line opens with when it names a thing of the catalog that the item is not: « chargeur » in
    « chargeur ordinateur portable » is said first, so the line asks for a charger, not for the computer it fits.
    A word of the nomenclature that no item uses (« batterie ») names another thing too. None when the item has
    that word, when the word is neither (a brand, a typo too far to read), or when it is the first half of a word
    the item writes in one (« video projecteur » for « vidéoprojecteur »)."""
    words = [q for q in query.tokens if not q.isdigit()]

    def leading(word: str) -> bool:
        return (
            word in CONTEXT_WORDS
            or word in BRAND_WORDS
            or word in WHO_WORDS
            or any(v in LEADING_WORDS for v, _ in ((word, 1.0), *query.expansions[word]))
        )

    k = 0
    while k < len(words) - 1 and leading(words[k]):
        k += 1
    if not words:
        return None
    head = words[k]
    if len(head) <= 2 or not head.isalpha() or leading(head):
        return None
    if not query.expansions[head] and (k > 0 or head not in sub.real_words):
        return None  # a word no item has names another thing only when it opens the line (« logiciel de maths »)
    if any(q == head for q, _, _ in best.matched):
        return None
    known = sub.tokens_of(best.key, None)
    if k + 1 < len(words) and any(head + v in known for v, _ in query.expansions[words[k + 1]]):
        return None
    return head


def _asked_first(index: Index, ranked: list[_Scored], query: _Query) -> tuple[list[_Scored], tuple[str, str] | None]:
    """The candidates with first the one naming what the line asks for, and why: ("head", word) when the line opens
    with a thing of the catalog the best item lacks (« souris pour ordinateur portable » asks for a mouse: the
    laptop explains more words, but the mouse is what is bought), ("object", word) when the line names a thing
    the best item does not (« garantie tablettes 3 ans » is the tablets' breakage cover, not the computers'
    warranty extension). As they are and None otherwise. The promoted item scores less than the one it passes: the
    line stays to review."""
    if len(ranked) < 2 or ranked[0].doc.text == query.text:
        return ranked, None
    head = _other_head(index.items, ranked[0], query)
    objects = None if head else _other_objects(index, ranked[0], query)
    wanted = [head] if head else objects[0] if objects else []
    if not wanted:
        return ranked, None
    for i, scored in enumerate(ranked[1:], start=1):
        got = {q for q, _, _ in scored.matched}
        if (
            scored.score >= REVIEW_THRESHOLD
            and all(w in got for w in wanted)
            # not a thing the line only mentions (the tablets of « extension de garantie tablettes »)
            and _other_head(index.items, scored, query) is None
        ):
            return [scored, *ranked[:i], *ranked[i + 1 :]], ("head" if head else "object", wanted[0])
    return ranked, None


def _line_strength(query: Sequence[str]) -> dict[str, float]:
    """How much each word of a need line counts by its place: the first words name the thing, the later ones add
    detail. A long line copied from a quote (« Ordinateur portable 14 pouces Intel Core i5 16 Go RAM SSD 512 Go
    Windows 11 Pro ») is a laptop, not the Windows licence its last words describe as well."""
    strength: dict[str, float] = {}
    for position, token in enumerate(query):
        weight = max(LINE_TAIL_FLOOR, 1.0 - LINE_TAIL_DECAY * max(0, position - LINE_HEAD_WORDS + 1))
        strength[token] = max(strength.get(token, 0.0), weight)
    return strength


def _match_query(index: Index, query: list[str], scope: Hashable | None, top_k: int) -> MatchResult:
    parts = _line_parts(query)
    query = _without_place_names(index.items, [t for part in parts for t in part])
    prepared = _prepare_query(index.items, query, _line_strength(query))
    ranked = _rank(index.items, prepared, scope, keep=max(top_k, 2), prune=True)
    ranked, ahead = _asked_first(index, ranked[: max(top_k, 2)], prepared)
    candidates = tuple(Candidate(s.key, index.entries[s.key].label, s.score) for s in ranked[: max(top_k, 1)])
    best = ranked[0] if ranked else None
    # a lone letter ("s" of "galaxy tab s", "c" of "usb c") means nothing by itself: it cannot carry a match
    # … nor a word saying only the kind of thing (« licence », « abonnement », « kit »): « licence GeoGebra » shares
    # « licence » with every licence the catalog sells, and says nothing of which
    named = [q for q, v, _ in best.matched if len(q) > 1 and v not in KIND_WORDS] if best is not None else []
    if best is not None and best.score >= REVIEW_THRESHOLD and named:
        entry = index.entries[best.key]
        runner_up = ranked[1].score if len(ranked) > 1 else None
        exact = best.doc.text == prepared.text
        status = _status(best.score, runner_up, exact=exact)
        if best.conflicts and status == STATUS_MATCHED:
            status = STATUS_REVIEW  # another size than the one written: a buyer must say whether it will do
        # one catalog word (« barre ») explains the line, beside a word no item uses (« gymnastique »)
        alone = len(best.doc.token_set) == 1 and len({q for q, _, _ in best.matched}) == 1
        unknown = _unknown_words(index.items, prepared) if alone else []
        # … or beside a word another item explains (« valise de robotique »: « robotique » is a robotics kit's word)
        elsewhere = (
            _explained_elsewhere(best, ranked[1]) if alone and not unknown and len(ranked) > 1 and not ahead else []
        )
        if elsewhere and status == STATUS_MATCHED:
            status = STATUS_REVIEW
        # a word of the nomenclature no item uses (« cantine ») beside a wording the line does not cover in full
        # (« gestion de classe » for « logiciel de gestion de la cantine »): each says something the other does not
        foreign: list[str] = []
        missing = sorted(best.doc.token_set - {v for _, v, _ in best.matched})
        if status == STATUS_MATCHED and missing and not alone:
            foreign = [q for q in _unknown_words(index.items, prepared) if q in index.items.real_words]
            if foreign:
                status = STATUS_REVIEW
        # the line names one thing of the catalog and the item another (« extension de garantie tablettes » for the
        # computers' warranty extension)
        objects = _other_objects(index, best, prepared) if status == STATUS_MATCHED else None
        if objects:
            status = STATUS_REVIEW
        # a line saying one word of the catalog that is only part of the wording (« ordinateur », « PC pour salle de
        # SVT »: « svt » is no catalog word, « salle » only says where) says too little
        got = {q for q, _, _ in best.matched}
        said = [q for q in prepared.unique if prepared.expansions[q] and (q not in CONTEXT_WORDS or q in got)]
        vague = len(said) == 1 and len(best.doc.token_set) > 1 and not best.conflicts and not prepared.measures
        if vague and status == STATUS_MATCHED:
            status = STATUS_REVIEW
        if unknown and status == STATUS_MATCHED:
            status = STATUS_REVIEW  # one generic word of the catalog (« barre », « sonde ») beside a word it never uses
        # a service done on things (« recyclage matériel informatique ») is not the things (« matériel informatique »)
        headless = _missing_head(best.doc, prepared) if code_kind(entry.cpv or "") not in ("", "supply") else None
        if headless and status == STATUS_MATCHED:
            status = STATUS_REVIEW
        # the line asks first for another thing of the catalog (« chargeur ordinateur portable »): an accessory or a
        # part of the item, not the item
        other = _other_head(index.items, best, prepared)
        if other and status == STATUS_MATCHED:
            status = STATUS_REVIEW
        # … and when that first word is one no item has (« mobilier pour la salle informatique »), nor one slip from
        # one of theirs (« potable » for « portable »), and the item only shares one other word with the line, the
        # line is about something the catalog does not sell: a code of the nomenclature says more than an item
        if (
            other
            and not prepared.expansions[other]
            and status == STATUS_REVIEW
            and len(got) == 1
            and not ahead
            and not index.items.one_slip_away(other)
        ):
            shown = index.display.get(other, other)
            why = f"le texte porte d'abord sur « {shown} », qu'aucun article du catalogue ne propose"
            return _fallback(index, query, best, candidates[:top_k], why)
        # several things of the catalog listed (« tablettes et coques »): each is pooled with the same needs of other
        # members, so each needs a line; unless the item sells them together, or the line is one of its wordings
        listed = _things_listed(index, parts) if status == STATUS_MATCHED and not exact else []
        if listed and not set(listed) <= index.sold_together[best.key]:
            status = STATUS_REVIEW
        else:
            listed = []
        rival = None
        tied = runner_up is not None and best.score - runner_up < AMBIGUITY_MARGIN
        # another item fits as well (not the one a first word passed: the explanation says why it comes second)
        if status == STATUS_REVIEW and best.score >= MATCH_THRESHOLD and tied and ahead is None:
            rival = (index.entries[ranked[1].key].label, runner_up)
        return MatchResult(
            item_id=best.key,
            score=best.score,
            status=status,
            explanation=_explain(
                best,
                entry,
                status,
                shown=index.display,
                rival=rival,
                unknown=unknown,
                vague=vague,
                headless=headless,
                other=other,
                foreign=(foreign, missing),
                elsewhere=(elsewhere, index.entries[ranked[1].key].label) if elsewhere else None,
                objects=objects,
                listed=listed,
                ahead=(*ahead, index.entries[ranked[1].key].label, ranked[1].score) if ahead else None,
            ),
            candidates=candidates[:top_k],
            cpv=entry.cpv,
            cpv_label=index.cpv_labels.get(entry.cpv, ""),
        )
    if best is not None and best.score >= REVIEW_THRESHOLD and not named:
        kinds = list(dict.fromkeys(f"« {index.display.get(v, v)} »" for _, v, _ in best.matched if v in KIND_WORDS))
        if kinds:
            said = (
                f"le seul mot reconnu, {kinds[0]}, dit"
                if len(kinds) == 1
                else f"les seuls mots reconnus, {', '.join(kinds)}, disent"
            )
            why = f"{said} le genre de chose, pas laquelle"
            return _fallback(index, query, best, candidates[:top_k], why)
    return _fallback(index, query, best, candidates[:top_k])


def _fallback(
    index: Index,
    query: list[str],
    best: _Scored | None,
    candidates: tuple[Candidate, ...],
    why: str = "aucun article du catalogue ne correspond suffisamment",
) -> MatchResult:
    score = best.score if best is not None else 0.0
    reason = why
    if best is not None:
        reason += f" (meilleur : « {index.entries[best.key].label} », score {score:.0f}/100)"
    # the nomenclature's vocabulary is vast: a word of the line read as a typo of one of its words (« latitude » for
    # « laitue ») proves nothing, so a code is proposed only when a word of the line is one of them as written
    known = any(t in index.cpv.postings for t in query)
    guess = _guess_cpv(index, [(t, 1.0) for t in dict.fromkeys(query)], use_items=False) if known else None
    if guess is not None and guess.score >= CPV_THRESHOLD:
        explanation = (
            f"Non reconnue : {reason}. Code CPV proposé : {guess.code} {guess.label} (score {guess.score:.0f}/100)."
        )
        return MatchResult(
            item_id=None,
            score=score,
            status=STATUS_UNMATCHED,
            explanation=explanation[:500],
            candidates=candidates,
            cpv=guess.code,
            cpv_label=guess.label,
            cpv_score=guess.score,
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


# --- CPV guessing --------------------------------------------------------------------------------------------------


def search_items(index: Index, text: str) -> set[int | str]:
    """Items whose label or global aliases use every word of a search text, whatever its accents, plural forms
    or typos ("tablete", "ecrans interactifs"): the catalog's search box, beside a plain substring search."""
    if not isinstance(text, str):
        return set()
    words = list(dict.fromkeys(tokens(text[:200])))[:10]
    return index.items.keys_with_every_word(words) if words else set()


def predict_cpv(index: Index, text: str) -> CpvGuess | None:
    """The best CPV code for a need line or a contract object, or None when nothing in the text is known.

    Used to evaluate the engine against buyer-declared codes and to suggest a code for free texts.
    """
    if not isinstance(text, str) or not text.strip() or not index.cpv.docs:
        return None
    objet = objet_query(text[:MAX_TEXT_LENGTH])
    terms = list(objet.terms[:MAX_QUERY_TOKENS])
    return _guess_cpv(index, terms, use_items=True, nature=objet.nature) if terms else None


def cpv_suggestions(index: Index, text: str, limit: int = 5) -> list[CpvGuess]:
    """Codes of the nomenclature a buyer may choose for a text no catalog item fits, best first: the code
    ``predict_cpv`` decides, then the other codes whose wordings come closest to the text and buy the same kind of
    thing (supplies for a supply: « ENI 55 pouces » is not offered the installation or the training of ENI).
    Memoised per index: a page shows them for each line it lists, again after each change of a row."""
    if not isinstance(text, str) or not text.strip() or not index.cpv.docs:
        return []
    return list(index._suggest(text[:MAX_TEXT_LENGTH], limit))


def _cpv_suggestions(index: Index, text: str, limit: int) -> list[CpvGuess]:
    best = predict_cpv(index, text)
    out = [best] if best is not None else []
    kind = code_kind(best.code) if best is not None else None
    terms = list(objet_query(text[:MAX_TEXT_LENGTH]).terms[:MAX_QUERY_TOKENS])
    if terms:
        query = _prepare_query(index.cpv, [t for t, _ in terms], dict(terms), doc_share=CPV_DOC_SHARE)
        for scored in _rank(index.cpv, query, None, limit=CPV_MAX_CANDIDATES, keep=limit + 1):
            code = str(scored.key)
            if len(out) >= limit:
                break
            same_kind = kind is None or code_kind(code) == kind
            if scored.score >= CPV_WEAK_SCORE and same_kind and all(g.code != code for g in out):
                via = {"cpv": "label", "cpv_synonym": "synonym"}.get(scored.doc.kind, "catalog")
                out.append(CpvGuess(code=code, label=index.cpv_labels.get(code, ""), score=scored.score, via=via))
    return out


def code_kind(code: str) -> str:
    """What a CPV code buys: "supply" (divisions 03–44 and 48, software packages), "works" (45), "maintenance"
    (50, repair and maintenance services), "installation" (51), "training" (80), "study" (71 engineering, 73
    research, 79 business services) or "service" (every other service division)."""
    division = code[:2]
    if division == "45":
        return "works"
    if division < "45" or division == "48":
        return "supply"
    return _SERVICE_KINDS.get(division, "service")


_SERVICE_KINDS = {
    "50": "maintenance",
    "51": "installation",
    "80": "training",
    "71": "study",
    "73": "study",
    "79": "study",
}


def nature_factor(nature: str, code: str) -> float:
    """How well a code fits the nature of the purchase: 1 when it fits, less when it contradicts it."""
    if not nature:
        return 1.0
    fit = CPV_NATURE_FIT.get(nature, {})
    return fit.get(code_kind(code), CPV_NATURE_MISMATCH)


def _guess_cpv(index: Index, terms: list[tuple[str, float]], *, use_items: bool, nature: str = "") -> CpvGuess | None:
    """Score every CPV wording sharing a term, weigh by the nature of the purchase, then decide from the general
    to the specific: the division with the most evidence, then its best group, then its best code."""
    sub = index.cpv
    if not sub.docs or not terms:
        return None
    query = _prepare_query(sub, [t for t, _ in terms], dict(terms), doc_share=CPV_DOC_SHARE)
    scores: dict[str, tuple[float, str]] = {}
    for scored in _rank(sub, query, None, limit=CPV_MAX_CANDIDATES, keep=CPV_VOTE_KEEP):
        via = {"cpv": "label", "cpv_synonym": "synonym"}.get(scored.doc.kind, "catalog")
        scores[str(scored.key)] = (scored.score, via)
    if use_items and index.items.docs:
        item_query = _prepare_query(index.items, [t for t, _ in terms], dict(terms))
        ranked_items = _rank(index.items, item_query, None)
        if ranked_items and ranked_items[0].score >= REVIEW_THRESHOLD:
            code = index.entries[ranked_items[0].key].cpv
            evidence = ranked_items[0].score * CPV_ITEM_EVIDENCE
            if code in index.cpv_labels and evidence > scores.get(code, (0.0, ""))[0]:
                scores[code] = (evidence, "catalog")
    if not scores:
        return None
    ranked = sorted(
        (
            (_with_domain_bonus(index, code, s) * nature_factor(nature, code), code, via)
            for code, (s, via) in scores.items()
        ),
        key=lambda r: (-r[0], r[1]),
    )
    ranked = _narrow(index, query, ranked)
    best_score, code, via = ranked[0]
    code, via = _roll_up(index, ranked, code, via)
    if best_score < CPV_WEAK_SCORE:
        parent = _cpv_parent(code, index.cpv_labels)
        if parent is not None and len(parent.rstrip("0")) >= 3:
            code, via = parent, "parent"
    return CpvGuess(code=code, label=index.cpv_labels.get(code, ""), score=round(min(best_score, 100.0), 1), via=via)


def _support(scores: Iterable[float], top: float) -> float:
    """Evidence for a branch of the tree: its best score, plus a decaying share of its other good scores."""
    total, share = 0.0, 1.0
    for score in sorted(scores, reverse=True):
        if score < top - CPV_VOTE_MARGIN:
            break
        total += share * score
        share *= CPV_VOTE_DECAY
    return total


def _narrow(index: Index, query: _Query, ranked: list[tuple[float, str, str]]) -> list[tuple[float, str, str]]:
    """Keep the codes of the best division, then of its best group (3 digits), best first.

    A branch of the tree (division or group) is scored by aggregating the scores of its codes that came up, so
    that the evidence of several related labels ("Matériel informatique", "Ordinateurs portables"…) outweighs one
    lone label of another division matching a single word, plus how much of the text the wordings of the whole
    branch explain, each word counting more when few branches use it ("logiciel" says 48 or 72, "service" says
    little).
    """
    for digits in CPV_VOTE_LEVELS:
        top = ranked[0][0]
        branches: dict[str, list[float]] = defaultdict(list)
        for score, code, _ in ranked:
            branches[code[:digits]].append(score)
        coverage = _branch_coverage(index, query, digits, branches)
        best = max(
            branches,
            key=lambda b: (
                _support(branches[b], top) + CPV_BRANCH_WEIGHT * coverage.get(b, 0.0),
                b == ranked[0][1][:digits],
            ),
        )
        ranked = [r for r in ranked if r[1][:digits] == best]
    return ranked


def _branch_vocabulary(sub: _SubIndex) -> dict[int, tuple[dict[str, frozenset[str]], dict[str, float]]]:
    """For divisions (2) and groups (3): token → the branches whose wordings use it, and its specificity (1 when
    one branch uses it, towards 0 when all do)."""
    out = {}
    for digits in (2, 3):
        branches: dict[str, set[str]] = defaultdict(set)
        for doc in sub.docs:
            prefix = str(doc.key)[:digits]
            for token in doc.token_set:
                branches[token].add(prefix)
        count = len({str(doc.key)[:digits] for doc in sub.docs}) or 1
        norm = math.log(1 + count)
        out[digits] = (
            {t: frozenset(b) for t, b in branches.items()},
            {t: math.log(1 + count / len(b)) / norm for t, b in branches.items()},
        )
    return out


def _branch_coverage(index: Index, query: _Query, digits: int, branches: Iterable[str]) -> dict[str, float]:
    """Share (0–100) of the text's weight that the wordings of each branch explain, words weighted by their
    specificity (a word used by every branch explains nothing)."""
    users, specificity = index.cpv_branches[digits]
    wanted = set(branches)
    total = 0.0
    found: dict[str, float] = defaultdict(float)
    for q in query.unique:
        weight = query.weights[q]
        best: dict[str, float] = {}
        spec = 0.0
        for vocab, sim in query.expansions[q]:
            spec = max(spec, specificity[vocab])
            for branch in users[vocab]:
                if branch in wanted:
                    best[branch] = max(best.get(branch, 0.0), sim * specificity[vocab])
        total += weight * (spec or 1.0)  # a word unknown to the nomenclature counts as fully specific
        for branch, explained in best.items():
            found[branch] += weight * explained
    return {b: 100.0 * v / total for b, v in found.items()} if total else {}


def _with_domain_bonus(index: Index, code: str, score: float) -> float:
    return score * (1.0 + CPV_DOMAIN_BONUS) if code[:2] in index.domain_divisions else score


def _roll_up(index: Index, ranked: list[tuple[float, str, str]], code: str, via: str) -> tuple[str, str]:
    """When codes of the same group score as well as the best one, the evidence is for their common parent."""
    best_score = ranked[0][0]
    close = [c for s, c, _ in ranked[1:6] if best_score - s <= CPV_ROLLUP_MARGIN and c[:3] == code[:3]]
    if not close:
        return code, via
    prefix = code
    for other in close:
        n = 0
        while n < len(prefix) and prefix[n] == other[n]:
            n += 1
        prefix = prefix[:n]
    ancestor = prefix.ljust(8, "0")
    if ancestor not in index.cpv_labels:
        ancestor = _cpv_parent(ancestor, index.cpv_labels) or ""
    if ancestor and ancestor != code:
        return ancestor, "parent"
    return code, via


def match_cpv(index: Index, text: str) -> tuple[str, float] | None:
    """Best CPV code for a text and its score, or None (see ``predict_cpv``)."""
    guess = predict_cpv(index, text)
    return (guess.code, guess.score) if guess is not None else None
