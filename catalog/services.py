"""Catalog use cases: matching need lines to the catalog, confirming a match, learning aliases."""

from __future__ import annotations

import functools
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from catalog import matching
from catalog.models import AliasStatus, CatalogAlias, CatalogItem, CpvCode, Family, RematchJob, RematchStatus
from procurement.audit import audit_record, audit_record_many, snapshot
from procurement.errors import DomainError, PermissionDenied
from procurement.models import Campaign, MatchStatus, NeedLine, User
from procurement.selectors import WRITER_ROLES, can_coordinate_campaign, collectivity_ids_for, user_has_role
from procurement.services.bulk import need_lines_update

ALIAS_AUDIT_FIELDS = ["item", "text", "collectivity", "status"]  # what the journal shows of an alias
MATCH_FIELDS = ["catalog_item", "cpv", "match_score", "match_status", "match_explanation", "match_candidates"]
TOP_K = 3

logger = logging.getLogger(__name__)

_cache_lock = threading.Lock()
_cache: dict[str, Any] = {"fingerprint": None, "index": None}


# --- Index cache ------------------------------------------------------------------------------------------------


def catalog_fingerprint() -> tuple:
    """A cheap summary that changes whenever the items, aliases or CPV codes the index is built from change.

    Items carry ``updated_at`` (auto_now); aliases are counted per status and by newest row; CPV codes by count
    and highest code. Three aggregate queries.
    """
    items = CatalogItem.objects.aggregate(
        n=Count("id"), active=Count("id", filter=Q(is_active=True)), last=Max("updated_at"), top=Max("id")
    )
    aliases = CatalogAlias.objects.aggregate(
        n=Count("id"),
        accepted=Count("id", filter=Q(status=AliasStatus.ACCEPTED)),
        proposed=Count("id", filter=Q(status=AliasStatus.PROPOSED)),
        last=Max("created_at"),
        top=Max("id"),
    )
    cpv = CpvCode.objects.aggregate(n=Count("code"), top=Max("code"))
    return (*items.values(), *aliases.values(), *cpv.values())


def build_index() -> matching.Index:
    """Read active items, applicable aliases, families and CPV labels (four queries) and build the matching index.

    Global aliases count when accepted; aliases learnt by a collectivité count, for that collectivité only
    (scope = its id), when accepted or proposed; rejected aliases never count.
    """
    aliases: dict[int, list[matching.AliasText]] = {}
    alias_rows = (
        CatalogAlias.objects.filter(item__is_active=True)
        .filter(
            Q(collectivity__isnull=True, status=AliasStatus.ACCEPTED)
            | Q(collectivity__isnull=False, status__in=[AliasStatus.ACCEPTED, AliasStatus.PROPOSED])
        )
        .values_list("item_id", "text", "collectivity_id")
        .order_by("pk")  # every process builds the same index, whatever order the database returns rows in
    )
    for item_id, text, collectivity_id in alias_rows:
        aliases.setdefault(item_id, []).append(matching.AliasText(text, collectivity_id))
    entries = [
        matching.Entry(item_id=pk, label=label, aliases=aliases.get(pk, ()), family=family, cpv=cpv)
        for pk, label, family, cpv in CatalogItem.objects.active()
        .order_by("pk")
        .values_list("id", "label", "family__code", "cpv_id")
    ]
    family_cpv = dict(Family.objects.filter(cpv__isnull=False).values_list("code", "cpv_id"))
    return matching.Index(
        entries,
        CpvCode.objects.order_by("code").values_list("code", "label_fr"),
        cpv_synonyms=_cpv_synonyms(),
        family_cpv=family_cpv,
    )


@functools.cache
def _cpv_synonyms() -> tuple[tuple[str, str], ...]:
    return tuple(matching.read_cpv_synonyms())


def get_index() -> matching.Index:
    """The cached index, rebuilt when ``catalog_fingerprint`` changed (per process)."""
    fingerprint = catalog_fingerprint()
    with _cache_lock:
        if _cache["index"] is not None and _cache["fingerprint"] == fingerprint:
            return _cache["index"]
    index = build_index()
    with _cache_lock:
        _cache.update(fingerprint=fingerprint, index=index)
    return index


def clear_index_cache() -> None:
    with _cache_lock:
        _cache.update(fingerprint=None, index=None)


# --- Matching -----------------------------------------------------------------------------------------------------


def match_text(*, text: str, collectivity_id: int | None = None, index: matching.Index | None = None):
    """Match one free text (no line saved): used by pages and the API to preview a match."""
    return matching.match(index or get_index(), text, top_k=TOP_K, scope=collectivity_id)


def match_values(result: matching.MatchResult) -> dict[str, Any]:
    """A match result as the values of a need line's match fields (by attribute name, as stored)."""
    return {
        "catalog_item_id": result.item_id,
        "cpv_id": result.cpv or None,
        "match_score": result.score,
        "match_status": result.status,
        "match_explanation": result.explanation[:500],
        "match_candidates": [{"item_id": c.item_id, "label": c.label, "score": c.score} for c in result.candidates],
    }


def _apply(line: NeedLine, result: matching.MatchResult) -> None:
    for attname, value in match_values(result).items():
        setattr(line, attname, value)


def match_texts(
    *, texts: Sequence[str], collectivity_id: int | None = None, top_k: int = TOP_K
) -> list[matching.MatchResult]:
    """Match many free texts in one pass with the cached index (no line saved): used by ``match_lines``."""
    index = get_index()
    return [matching.match(index, text, top_k=top_k, scope=collectivity_id) for text in texts]


def texts_match_values(*, texts: Iterable[str], collectivity_id: int | None) -> dict[str, dict[str, Any]]:
    """Match each distinct text once, with the cached index and the collectivité's aliases, and return the match
    field values per text, for lines that are not saved yet (bulk imports write them with the line itself).
    Same outcome as `need_lines_match` on a line of that collectivité with that text."""
    index = get_index()
    return {text: match_values(matching.match(index, text, top_k=TOP_K, scope=collectivity_id)) for text in set(texts)}


def need_lines_match(*, lines: Sequence[NeedLine], collectivity_aliases: bool = True) -> None:
    """Match need lines to the catalog and save the outcome in one write (``need_lines_update``).

    Invariants:
    - the index is read once (fingerprint queries, plus three reads when the catalog changed), whatever the
      number of lines, then each line is matched in memory;
    - global accepted aliases apply to every line; aliases learnt by a collectivité (accepted or proposed)
      apply only to that collectivité's lines, and not at all when ``collectivity_aliases`` is False;
    - every given line is (re)matched, including confirmed ones: callers pass only the lines to match;
    - ``cpv`` is the matched item's CPV code, or the CPV fallback when no item is good enough, or None;
    - lines must be saved already (they have a primary key); unsaved lines raise ``ValueError``;
    - no transaction of its own: callers' transactions include the write.
    """
    lines = list(lines)
    if not lines:
        return
    if any(line.pk is None for line in lines):
        raise ValueError("need_lines_match needs saved lines")
    index = get_index()
    for line in lines:
        scope = line.collectivity_id if collectivity_aliases else None
        _apply(line, matching.match(index, line.text, top_k=TOP_K, scope=scope))
    need_lines_update(lines, MATCH_FIELDS)


# --- Confirmation and learning --------------------------------------------------------------------------------------


class _ConfirmRights:
    """Who may confirm which lines, read once per actor and campaign: a bulk confirmation of 500 lines asks the
    database twice per campaign, not twice per line."""

    def __init__(self, actor: User) -> None:
        self.actor = actor
        self.writer_of = set(collectivity_ids_for(user=actor, roles=WRITER_ROLES))
        self.coordinated: dict[int, bool] = {}

    def require(self, line: NeedLine) -> None:
        if line.collectivity_id in self.writer_of:
            return
        if line.campaign_id not in self.coordinated:
            self.coordinated[line.campaign_id] = can_coordinate_campaign(user=self.actor, campaign=line.campaign)
        if not self.coordinated[line.campaign_id]:
            raise PermissionDenied(f"Vous ne pouvez pas confirmer les besoins de {line.collectivity.name}.")


@functools.lru_cache(maxsize=50_000)
def _learnt_wording(text: str) -> tuple[str, str]:
    """The wording a line teaches (its text without the leading quantity) and its normalised form. Cached: a
    bulk confirmation compares each confirmed line with the same pending lines again."""
    _, _, wording = matching.extract_quantity(text)
    wording = (wording or text).strip()[:300]
    return wording, matching.normalise(wording)[:300]


def _learnable_wording(text: str) -> tuple[str, str]:
    wording, normalized = _learnt_wording(text)
    if not normalized:
        raise DomainError("Ce texte ne contient aucun mot exploitable : il ne peut pas devenir un synonyme.")
    return wording, normalized


@transaction.atomic
def alias_learn(*, need_line: NeedLine, item: CatalogItem, actor: User | None) -> CatalogAlias:
    """Record the line's wording as an alias of ``item`` for the line's collectivité (status proposed).

    Invariants: one alias per (item, normalised text, collectivité), an existing one is returned unchanged
    (a rejected alias stays rejected); the alias serves that collectivité's next matches at once and nobody
    else's until an administrator makes it global; what the collectivité taught before for the same wording
    and another item is superseded (``_aliases_learn``). The quantity written at the start ("20 tablettes") is
    dropped, so the alias is the wording of the item only.
    """
    _aliases_learn(confirmed=[(need_line, item)], actor=actor)
    _, normalized = _learnable_wording(need_line.text)
    return CatalogAlias.objects.get(item=item, normalized=normalized, collectivity=need_line.collectivity_id)


def _aliases_learn(*, confirmed: Sequence[tuple[NeedLine, CatalogItem]], actor: User | None) -> None:
    """``alias_learn`` for many lines in a fixed number of queries: read the aliases that exist, insert the others
    at once (``ignore_conflicts``: an alias another request created meanwhile is left as it is, as ``alias_learn``
    leaves an existing one).

    A correction replaces what the collectivité taught before: its learnt aliases of the same wording for another
    item are deleted (one audit row ``catalog_alias.supersede`` each), or the wording would match both items and
    wait for review forever. Rejected aliases stay (an administrator decided), global ones are not the
    collectivité's to change. When one confirmation batch teaches a wording two items, the last line wins.
    """
    wanted: dict[tuple[str, int], tuple[int, str]] = {}
    for line, item in confirmed:
        wording, normalized = _learnable_wording(line.text)
        wanted[(normalized, line.collectivity_id)] = (item.pk, wording)
    same_wording = CatalogAlias.objects.filter(
        collectivity_id__in={key[1] for key in wanted}, normalized__in={key[0] for key in wanted}
    ).select_related("collectivity", "item")
    existing, superseded = set(), []
    for alias in same_wording:
        taught = wanted.get((alias.normalized, alias.collectivity_id))
        if taught is None:
            continue
        if alias.item_id == taught[0]:
            existing.add((alias.normalized, alias.collectivity_id))
        elif alias.status != AliasStatus.REJECTED:
            superseded.append(alias)
    if superseded:
        audit_record_many(
            actor=actor,
            action="catalog_alias.supersede",
            changes=[(alias, alias.collectivity, snapshot(alias, ALIAS_AUDIT_FIELDS), None) for alias in superseded],
        )
        CatalogAlias.objects.filter(pk__in=[alias.pk for alias in superseded]).delete()
    CatalogAlias.objects.bulk_create(
        [
            CatalogAlias(
                item_id=item_id,
                normalized=normalized,
                collectivity_id=collectivity_id,
                text=wording,
                status=AliasStatus.PROPOSED,
                created_by=actor,
            )
            for (normalized, collectivity_id), (item_id, wording) in wanted.items()
            if (normalized, collectivity_id) not in existing
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def need_line_confirm_match(*, need_line: NeedLine, item: CatalogItem, actor: User) -> NeedLine:
    """A buyer says which catalog item a need line is: the match becomes confirmed and the wording is learnt.

    Invariants: the actor is a buyer or coordinator of the line's collectivité, or the campaign coordinator;
    the item is active; status becomes confirmed with score 100 and the item's CPV code; one audit row
    ``need_line.confirm_match`` records before and after; the wording becomes a proposed alias for the
    line's collectivité (``alias_learn``); the collectivité's other lines of the campaign with the same wording,
    still to review or unmatched, take the item at once (``_match_same_wording``), and are returned as
    ``need_line.same_wording_matched``.
    """
    need_line.same_wording_matched = _confirm(confirmed=[(need_line, item)], actor=actor)
    return need_line


@transaction.atomic
def need_line_confirm_outside_catalog(*, need_line: NeedLine, actor: User) -> NeedLine:
    """A buyer says that no catalog item fits the line (« tables et chaises »): it leaves the review queue.

    Invariants: the same rights as confirming an item; only a line still to review or unmatched (a matched line is
    corrected by choosing an item); the line becomes confirmed without item and keeps the CPV code the engine
    proposed, for the coordinator; nothing is learnt (no wording points to « no item »); one audit row
    ``need_line.confirm_outside_catalog`` records before and after.
    """
    _ConfirmRights(actor).require(need_line)
    if need_line.match_status not in (MatchStatus.REVIEW, MatchStatus.UNMATCHED):
        raise DomainError(
            "Seule une ligne à vérifier ou non reconnue peut être déclarée hors catalogue : pour corriger une ligne "
            "confirmée, choisissez un autre article."
        )
    before = snapshot(need_line, MATCH_FIELDS)
    who = str(actor)  # User.__str__: full name, else username
    kept = f" ; code CPV retenu : {need_line.cpv_id}" if need_line.cpv_id else ""
    need_line.catalog_item = None
    need_line.match_status = MatchStatus.CONFIRMED
    need_line.match_explanation = f"Hors catalogue, confirmé par {who}{kept}."[:500]
    return _save_decision(
        need_line, MATCH_FIELDS, actor=actor, action="need_line.confirm_outside_catalog", before=before
    )


def _save_decision(
    need_line: NeedLine, fields: Sequence[str], *, actor: User, action: str, before: dict[str, Any]
) -> NeedLine:
    """Save a person's decision on one line (``fields`` changed) with its audit row (match fields before/after)."""
    need_line.save(update_fields=[*fields, "updated_at"])
    audit_record(
        actor=actor,
        action=action,
        target=need_line,
        collectivity=need_line.collectivity,
        before=before,
        after=snapshot(need_line, MATCH_FIELDS),
    )
    return need_line


@dataclass(frozen=True)
class BulkConfirmOutcome:
    """What ``need_lines_confirm_first_candidate`` did: lines confirmed, other lines matched by the same wording."""

    confirmed: int
    same_wording: int


@transaction.atomic
def need_lines_confirm_first_candidate(*, lines: Sequence[NeedLine], actor: User) -> BulkConfirmOutcome:
    """Confirm each line's first candidate (bulk action of the review queue).

    Invariants: all or nothing: one refused line (permission, inactive item, no usable wording) rolls every
    confirmation back; lines without a candidate are skipped; each confirmed line gets what
    ``need_line_confirm_match`` gives one line (audit row, learnt alias, same-wording lines matched), in a fixed
    number of queries whatever the number of lines (checked by a test).
    """
    wanted = {line.pk: line.match_candidates[0]["item_id"] for line in lines if line.match_candidates}
    items = CatalogItem.objects.in_bulk(set(wanted.values()))
    confirmed = [(line, items[wanted[line.pk]]) for line in lines if wanted.get(line.pk) in items]
    same = _confirm(confirmed=confirmed, actor=actor) if confirmed else []
    return BulkConfirmOutcome(confirmed=len(confirmed), same_wording=len(same))


def _confirm(*, confirmed: Sequence[tuple[NeedLine, CatalogItem]], actor: User) -> list[NeedLine]:
    """Confirm each (line, item) pair; return the other lines that took an item because they say the same."""
    rights = _ConfirmRights(actor)
    who = str(actor)  # User.__str__: full name, else username
    changes = []
    for line, item in confirmed:
        rights.require(line)
        if not item.is_active:
            raise DomainError("Cet article n'est plus proposé au catalogue.", field="catalog_item")
        before = snapshot(line, MATCH_FIELDS)
        _give_item(line, item, MatchStatus.CONFIRMED, f"Rapprochement confirmé par {who}.")
        line.updated_at = timezone.now()
        changes.append((line, line.collectivity, before, snapshot(line, MATCH_FIELDS)))
    _aliases_learn(confirmed=confirmed, actor=actor)
    need_lines_update([line for line, _ in confirmed], [*MATCH_FIELDS, "updated_at"])
    audit_record_many(actor=actor, action="need_line.confirm_match", changes=changes)
    return _match_same_wording(confirmed=confirmed, actor=actor)


def _give_item(line: NeedLine, item: CatalogItem, status: str, explanation: str) -> None:
    line.catalog_item = item
    line.cpv_id = item.cpv_id
    line.match_score = 100.0
    line.match_status = status
    line.match_explanation = explanation[:500]


def _match_same_wording(*, confirmed: Sequence[tuple[NeedLine, CatalogItem]], actor: User) -> list[NeedLine]:
    """Each collectivité's other lines of the campaign, still to review or unmatched, that say the same thing as a
    confirmed line (same normalised wording, quantity aside) take its item at once, as the learnt alias would
    give them on their next match: status matched (nobody looked at them), score 100, one audit row each.
    One read and one write for all the confirmed lines. No index rebuild: the confirmation already says what
    the wording means. When two confirmed lines say the same and got different items, the last one counts, as
    for the learnt alias (``_aliases_learn``)."""
    taught: dict[tuple[int, int, str], CatalogItem] = {}
    for line, item in confirmed:
        taught[(line.campaign_id, line.collectivity_id, _learnt_wording(line.text)[1])] = item
    pending = (
        NeedLine.objects.filter(
            campaign_id__in={key[0] for key in taught},
            collectivity_id__in={key[1] for key in taught},
            match_status__in=[MatchStatus.REVIEW, MatchStatus.UNMATCHED],
        )
        .exclude(pk__in=[line.pk for line, _ in confirmed])
        .select_related("collectivity")
        .order_by("pk")
    )
    who = str(actor)  # User.__str__: full name, else username
    same, changes = [], []
    for line in pending:
        item = taught.get((line.campaign_id, line.collectivity_id, _learnt_wording(line.text)[1]))
        if item is None:
            continue
        before = snapshot(line, MATCH_FIELDS)
        explanation = f"Même libellé qu'une ligne confirmée par {who} : « {item.label} »."
        _give_item(line, item, MatchStatus.MATCHED, explanation)
        line.match_candidates = [{"item_id": item.pk, "label": item.label, "score": 100.0}]
        line.updated_at = timezone.now()
        same.append(line)
        changes.append((line, line.collectivity, before, snapshot(line, MATCH_FIELDS)))
    if same:
        need_lines_update(same, [*MATCH_FIELDS, "updated_at"])
        audit_record_many(actor=actor, action="need_line.match_same_wording", changes=changes)
    return same


def cpv_code_from_input(value: str) -> CpvCode:
    """The code of the nomenclature a person typed: 8 digits, with or without its check digit (« 39160000-1 »)."""
    code = (value or "").strip().replace(" ", "").split("-")[0]
    found = CpvCode.objects.filter(code=code).first() if len(code) == 8 and code.isdigit() else None
    if found is None:
        raise DomainError(
            f"Code CPV inconnu : « {(value or '').strip()[:20]} ». Saisissez les 8 chiffres d'un code de la "
            "nomenclature, par exemple 39160000 (mobilier scolaire).",
            field="cpv",
        )
    return found


@transaction.atomic
def need_line_set_cpv(*, need_line: NeedLine, cpv: CpvCode, actor: User) -> NeedLine:
    """A buyer chooses the CPV code of a line declared « hors catalogue »: it says which lot of needs outside the
    catalog the line will join.

    Invariants: the same rights as confirming the line; only a line confirmed without an item (a line with an
    item takes its item's code); not a line already in a lot, whose lot was formed on its code (the row is locked,
    as a grouping being formed locks the lines it pools); one audit row ``need_line.set_cpv`` with before and after.
    """
    _ConfirmRights(actor).require(need_line)
    need_line = NeedLine.objects.select_for_update(of=("self",)).select_related("collectivity").get(pk=need_line.pk)
    if need_line.catalog_item_id is not None or need_line.match_status != MatchStatus.CONFIRMED:
        raise DomainError(
            "Seule une ligne déclarée hors catalogue reçoit un code CPV choisi : une ligne rapprochée prend le code "
            "de son article."
        )
    if NeedLine.objects.filter(pk=need_line.pk, lot_line__isnull=False).exists():
        raise DomainError(
            "Cette ligne est déjà dans un lot de groupement : le coordonnateur doit l'en retirer avant que son code "
            "CPV change."
        )
    before = snapshot(need_line, MATCH_FIELDS)
    who = str(actor)  # User.__str__: full name, else username
    need_line.cpv = cpv
    need_line.match_explanation = f"Hors catalogue ; code CPV {cpv.code} choisi par {who}."[:500]
    return _save_decision(
        need_line, ["cpv", "match_explanation"], actor=actor, action="need_line.set_cpv", before=before
    )


# --- Matching again ---------------------------------------------------------------------------------------------

UNDECIDED_STATUSES = (MatchStatus.PENDING, MatchStatus.REVIEW, MatchStatus.UNMATCHED)


@dataclass(frozen=True)
class RematchOutcome:
    """What ``campaign_lines_rematch`` did: lines run again, lines whose match changed, statuses afterwards."""

    considered: int
    changed: int
    statuses: dict[str, int] = field(default_factory=dict)


REMATCH_CHUNK = 2_000  # lines matched, written and journaled per transaction (and between two progress reports)
REMATCH_LOST_AFTER = timedelta(hours=1)  # a rematch still unfinished after this is taken as lost


def _rematch_scope(*, campaign: Campaign, actor: User | None) -> QuerySet[NeedLine]:
    """The campaign's undecided lines the actor may run again: all of them for its coordinator, those of the
    collectivités where they are a buyer or coordinator otherwise; nobody else (``PermissionDenied``)."""
    lines = NeedLine.objects.filter(campaign=campaign, match_status__in=UNDECIDED_STATUSES)
    active = actor is not None and actor.is_active  # a requester whose account was closed since may do nothing
    if active and can_coordinate_campaign(user=actor, campaign=campaign):
        return lines
    own = collectivity_ids_for(user=actor, roles=WRITER_ROLES) if active else []
    if not own:
        raise PermissionDenied(
            "Vous ne pouvez rapprocher aucune ligne de cette campagne. Seuls ses acheteurs et son "
            "coordonnateur peuvent relancer le rapprochement : demandez-le à l'un d'eux."
        )
    return lines.filter(collectivity_id__in=own)


@transaction.atomic
def _rematch_chunk(*, ids: Sequence[int], actor: User, index: matching.Index) -> tuple[int, Counter]:
    """Match one chunk of lines again, under row locks: a line confirmed since the chunk was listed is skipped."""
    lines = list(
        NeedLine.objects.filter(pk__in=ids, match_status__in=UNDECIDED_STATUSES)
        .select_for_update(of=("self",))
        .select_related("collectivity")
        .order_by("pk")
    )
    changes = []
    now = timezone.now()
    for line in lines:
        before = snapshot(line, MATCH_FIELDS)
        _apply(line, matching.match(index, line.text, top_k=TOP_K, scope=line.collectivity_id))
        after = snapshot(line, MATCH_FIELDS)
        if after != before:
            line.updated_at = now
            changes.append((line, line.collectivity, before, after))
    if changes:
        need_lines_update([line for line, *_ in changes], [*MATCH_FIELDS, "updated_at"])
        audit_record_many(actor=actor, action="need_line.rematch", changes=changes)
    return len(changes), Counter(line.match_status for line in lines)


def campaign_lines_rematch(
    *, campaign: Campaign, actor: User, progress: Callable[[int, int], None] | None = None
) -> RematchOutcome:
    """Run the matching again on the campaign's lines nobody has decided yet, with today's catalog: after items
    were added, an alias was made valid for all, or a collectivité taught new wordings.

    Invariants:
    - only lines still pending, to review or unmatched are run again: a confirmed line is a human decision and
      a matched line may already be in a grouping's lots;
    - the actor runs it on the lines they may confirm (``_rematch_scope``), else ``PermissionDenied``;
    - lines go by chunks of REMATCH_CHUNK, each in its own transaction under row locks, so a confirmation made
      meanwhile is never overwritten and a large campaign is never locked whole; ``progress(done, total)`` is
      called after each chunk;
    - a line whose outcome did not change is not written; each changed line gets one ``need_line.rematch``
      audit row with before and after; one write per chunk (``need_lines_update``).
    """
    ids = list(_rematch_scope(campaign=campaign, actor=actor).order_by("pk").values_list("pk", flat=True))
    index = get_index()
    considered, changed, statuses = 0, 0, Counter()
    for start in range(0, len(ids), REMATCH_CHUNK):
        chunk_changed, chunk_statuses = _rematch_chunk(ids=ids[start : start + REMATCH_CHUNK], actor=actor, index=index)
        changed += chunk_changed
        statuses.update(chunk_statuses)
        considered += sum(chunk_statuses.values())
        if progress is not None:
            progress(min(start + REMATCH_CHUNK, len(ids)), len(ids))
    return RematchOutcome(considered=considered, changed=changed, statuses=dict(statuses))


def campaign_rematch_start(*, campaign: Campaign, actor: User) -> RematchJob:
    """Ask a worker to run the matching again on the campaign's undecided lines (``campaign_lines_rematch``),
    as the actor; returns the job the pages and the API follow.

    Invariants: the actor's rights are checked now (``PermissionDenied``) and again when the job runs; one job at a
    time per campaign: while one is pending or running, it is returned instead of a new one, unless it is older than
    REMATCH_LOST_AFTER (no worker took it, or its worker died): it is then marked failed, with the reason; the task
    is sent once the job is committed (without a broker it runs in-process, at once).
    """
    _rematch_scope(campaign=campaign, actor=actor)
    with transaction.atomic():
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()  # one request at a time per campaign
        unfinished = campaign.rematch_jobs.filter(status__in=(RematchStatus.PENDING, RematchStatus.RUNNING))
        now = timezone.now()
        unfinished.filter(created_at__lt=now - REMATCH_LOST_AFTER).update(
            status=RematchStatus.FAILED,
            finished_at=now,
            error="Cette relance n'a pas abouti en une heure (aucun serveur de tâches ne l'a menée à son terme) : "
            "elle est abandonnée. Les lignes déjà traitées le restent ; relancez le rapprochement.",
        )
        running = unfinished.first()
        if running is not None:
            return running
        job = RematchJob.objects.create(campaign=campaign, requested_by=actor)
        from catalog.tasks import run_rematch

        transaction.on_commit(functools.partial(run_rematch.delay, job.pk))
    return job


def rematch_job_run(*, job_id: int) -> RematchJob | None:
    """Run a requested rematch (the worker's side of ``campaign_rematch_start``), reporting progress on the job.

    Invariants: a job is run once (a job no longer pending is left as it is); the requester's rights are those of
    the moment it runs; any failure leaves the job « Échec » with a French message, and the chunks already done
    stay done (each is consistent on its own).
    """
    # taken in one conditional write: a task delivered twice (acks late, a worker lost) runs the job once
    if not RematchJob.objects.filter(pk=job_id, status=RematchStatus.PENDING).update(status=RematchStatus.RUNNING):
        return None
    job = RematchJob.objects.select_related("campaign", "requested_by").get(pk=job_id)

    def report(done: int, total: int) -> None:
        job.progress = min(99, 100 * done // max(total, 1))
        job.save(update_fields=["progress"])

    try:
        outcome = campaign_lines_rematch(campaign=job.campaign, actor=job.requested_by, progress=report)
    except PermissionDenied as exc:
        job.status, job.error = RematchStatus.FAILED, exc.message
    except Exception:
        logger.exception("rematch job %s failed", job.pk)
        job.status = RematchStatus.FAILED
        job.error = (
            "Le rapprochement n'a pas pu être relancé jusqu'au bout à cause d'une erreur inattendue ; les lignes déjà "
            "traitées le restent. Relancez-le ; si l'erreur se reproduit, signalez-la à l'administrateur."
        )
    else:
        job.status, job.progress = RematchStatus.DONE, 100
        job.considered, job.changed, job.statuses = outcome.considered, outcome.changed, outcome.statuses
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "progress", "considered", "changed", "statuses", "error", "finished_at"])
    return job


@transaction.atomic
def alias_forget(*, alias: CatalogAlias, actor: User) -> None:
    """A buyer or coordinator of the collectivité withdraws a wording it taught: it no longer serves its matches.

    Invariants: only a learnt alias (not a global one) of a collectivité where the actor is buyer or coordinator;
    an alias an administrator refused stays (it serves nobody already, and deleting it would let the same
    confirmation propose it again); one audit row ``catalog_alias.forget`` with what was deleted. Lines already
    matched keep their item: the next match, or « Relancer le rapprochement », no longer uses the wording.
    """
    if alias.collectivity_id is None:
        raise DomainError("Ce synonyme est commun à tous : seul un administrateur peut le retirer.")
    if not user_has_role(user=actor, collectivity=alias.collectivity, roles=WRITER_ROLES):
        raise PermissionDenied(
            f"Seuls les acheteurs et coordonnateurs de {alias.collectivity.name} peuvent retirer ce synonyme."
        )
    if alias.status == AliasStatus.REJECTED:
        raise DomainError("Un administrateur a déjà refusé ce synonyme : il ne sert plus aucun rapprochement.")
    audit_record(
        actor=actor,
        action="catalog_alias.forget",
        target=alias,
        collectivity=alias.collectivity,
        before=snapshot(alias, ALIAS_AUDIT_FIELDS),
        after=None,
    )
    alias.delete()


@transaction.atomic
def alias_reject(*, alias: CatalogAlias, actor: User) -> CatalogAlias:
    """An administrator refuses a learnt or global alias: it no longer serves any match (it stays, rejected, so that
    the same confirmation does not propose it again). Staff only; one audit row ``catalog_alias.reject``."""
    if not (actor.is_staff or actor.is_superuser):
        raise PermissionDenied("Seul un administrateur peut refuser un synonyme.")
    before = snapshot(alias, ALIAS_AUDIT_FIELDS)
    alias.status = AliasStatus.REJECTED
    alias.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="catalog_alias.reject",
        target=alias,
        collectivity=alias.collectivity,
        before=before,
        after=snapshot(alias, ALIAS_AUDIT_FIELDS),
    )
    return alias


@transaction.atomic
def alias_accept_for_all(*, alias: CatalogAlias, actor: User) -> CatalogAlias:
    """An administrator makes a learnt alias global: it then serves every collectivité's matches.

    Invariants: only staff may do it; the result is one global accepted alias per (item, normalised text):
    an existing global alias is kept (and accepted), otherwise this alias becomes global; every learnt alias
    with the same item and normalised text (any collectivité) is merged into it, i.e. deleted; one audit row
    ``catalog_alias.accept_for_all``. The index cache is rebuilt on the next match (the fingerprint changed).
    """
    if not (actor.is_staff or actor.is_superuser):
        raise PermissionDenied("Seul un administrateur peut rendre un synonyme valable pour tous.")
    before = snapshot(alias, ["item", "text", "normalized", "collectivity", "status"])
    collectivity = alias.collectivity
    same = CatalogAlias.objects.select_for_update().filter(item_id=alias.item_id, normalized=alias.normalized)
    kept = same.filter(collectivity__isnull=True).first() or alias
    same.exclude(pk=kept.pk).delete()
    kept.collectivity = None
    kept.status = AliasStatus.ACCEPTED
    kept.full_clean(validate_unique=False)
    kept.save(update_fields=["collectivity", "status"])
    audit_record(
        actor=actor,
        action="catalog_alias.accept_for_all",
        target=kept,
        collectivity=collectivity,
        before=before,
        after=snapshot(kept, ["item", "text", "normalized", "collectivity", "status"]),
    )
    return kept
