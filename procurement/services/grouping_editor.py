"""The coordinator's grouping editor: move lines between lots, split, merge, exclude, reinstate, rename, set the CPV.

Two coordinators may edit the same grouping at once; neither may silently overwrite the other. Every editing
service takes the `expected_version` the editor was loaded with, locks the grouping row (`select_for_update`),
compares it with `Grouping.version`, applies the change and bumps the version in the same transaction. A stale
save raises ConflictError and changes nothing. Editing is possible only while the grouping is in preparation.

Lots never stay empty: a lot emptied by an operation is removed and the remaining lots are renumbered 1..n.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from procurement.audit import audit_record
from procurement.errors import ConflictError, DomainError, PermissionDenied
from procurement.models import (
    AuditEvent,
    Grouping,
    GroupingMemberStatus,
    GroupingStatus,
    NeedLine,
    SiteKind,
    User,
)
from procurement.selectors import can_manage_grouping

SPLIT_BY_MEMBER = "member"
SPLIT_BY_LINES = "lines"
CPV_PATTERN = re.compile(r"^(\d{8})(?:-(\d))?$")

# Pedagogical digital resources for collèges and lycées are State expenses (C. éduc. L211-8 5°, domain.md §7.1).
# The catalog family that holds them (catalog/data/seed_catalog.json): ENT, manuels et ressources numériques,
# logiciels pédagogiques.
STATE_FUNDED_FAMILY_CODES = frozenset({"ent-ressources"})
STATE_FUNDED_SITE_KINDS = frozenset({SiteKind.COLLEGE, SiteKind.LYCEE})
STATE_FUNDING_REFERENCE = "C. éduc. L211-8 5°"


# ------------------------------------------------------------------------------------------ concurrency


def lock_grouping(
    *, grouping: Grouping, actor: User, expected_version: int | None, require_draft: bool = True
) -> Grouping:
    """Check the actor coordinates the grouping, lock its row and compare versions. Call inside a transaction.

    `expected_version=None` skips the comparison (membership changes made by a member, who has no editor open).
    """
    if not can_manage_grouping(user=actor, grouping=grouping):
        raise PermissionDenied("Seul le coordonnateur du groupement peut modifier ses lots.")
    locked = Grouping.objects.select_for_update().select_related("coordinator").get(pk=grouping.pk)
    if expected_version is not None and locked.version != _as_version(expected_version):
        raise ConflictError(conflict_message(grouping=locked, expected_version=expected_version), field="version")
    if require_draft and locked.status != GroupingStatus.DRAFT:
        raise DomainError(
            f"Le groupement est au statut « {locked.get_status_display()} » : ses lots ne peuvent plus être "
            "modifiés (seul un groupement en préparation est modifiable).",
            code="not_editable",
        )
    return locked


def bump_version(grouping: Grouping) -> Grouping:
    """Increase the version of a grouping whose row is locked by the current transaction."""
    grouping.version += 1
    grouping.save(update_fields=["version"])
    return grouping


def conflict_message(*, grouping: Grouping, expected_version: int) -> str:
    last = last_change(grouping=grouping)
    who = "un autre utilisateur"
    if last is not None and last.actor is not None:
        who = f"{last.actor} le {timezone.localtime(last.created_at):%d/%m/%Y à %H:%M}"
    return (
        f"Le groupement a été modifié par {who} depuis que vous l'avez ouvert : rechargez la page pour voir "
        f"la version à jour, puis refaites votre modification (version ouverte : {expected_version}, "
        f"version actuelle : {grouping.version}). Votre modification n'a pas été enregistrée."
    )


def last_change(*, grouping: Grouping) -> AuditEvent | None:
    member_ids = [str(pk) for pk in grouping.memberships.values_list("pk", flat=True)]
    return (
        AuditEvent.objects.filter(
            Q(target_type="procurement.grouping", target_id=str(grouping.pk))
            | Q(target_type="procurement.groupingmember", target_id__in=member_ids)
        )
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )


def _as_version(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DomainError("Version du groupement manquante : rechargez la page.", field="version") from None


# --------------------------------------------------------------------------------------------- helpers


def _lots_model():
    from tenders.models import Lot, LotLine

    return Lot, LotLine


def _get_lot(grouping: Grouping, number):
    Lot, _ = _lots_model()
    try:
        return Lot.objects.get(grouping=grouping, number=int(number))
    except (Lot.DoesNotExist, TypeError, ValueError):
        raise DomainError(f"Le lot {number} n'existe pas (ou plus) dans ce groupement.", field="lot") from None


def _ids(values: Iterable) -> list[int]:
    try:
        ids = sorted({int(v) for v in values})
    except (TypeError, ValueError):
        raise DomainError("Sélection de lignes invalide.", field="lines") from None
    if not ids:
        raise DomainError("Sélectionnez au moins une ligne.", field="lines")
    return ids


def _lot_lines(grouping: Grouping, need_line_ids: Iterable, *, lot=None) -> list:
    _, LotLine = _lots_model()
    ids = _ids(need_line_ids)
    qs = LotLine.objects.filter(lot__grouping=grouping, need_line_id__in=ids).select_related(
        "lot", "need_line__collectivity"
    )
    if lot is not None:
        qs = qs.filter(lot=lot)
    found = list(qs)
    if len(found) != len(ids):
        where = f"le lot {lot.number}" if lot is not None else "les lots de ce groupement"
        raise DomainError(
            f"Certaines lignes sélectionnées ne sont pas (ou plus) dans {where} : rechargez la page.", field="lines"
        )
    return found


def _next_number(grouping: Grouping) -> int:
    return (grouping.lots.aggregate(m=Max("number"))["m"] or 0) + 1


def drop_empty_lots(grouping: Grouping) -> list[int]:
    """Delete the lots left without lines and renumber the others 1..n, keeping their order."""
    removed = list(grouping.lots.filter(lot_lines__isnull=True).order_by("number").values_list("number", flat=True))
    if removed:
        grouping.lots.filter(number__in=removed).delete()
    # Ascending order keeps the unique (grouping, number) constraint satisfied at every step: the new number of
    # the k-th lot is k, never above its old number, and lots 1..k-1 already hold 1..k-1.
    for position, lot in enumerate(grouping.lots.order_by("number"), start=1):
        if lot.number != position:
            lot.number = position
            lot.save(update_fields=["number"])
    return removed


def _reason(text: str) -> str:
    return text.strip()[:300]


def _record(*, actor: User, grouping: Grouping, action: str, after: dict) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=grouping,
        collectivity=grouping.coordinator,
        after={**after, "version": grouping.version},
    )


def _finish(*, actor: User, grouping: Grouping, action: str, after: dict) -> Grouping:
    removed = drop_empty_lots(grouping)
    if removed:
        after = {**after, "empty_lots_removed": removed}
    bump_version(grouping)
    _record(actor=actor, grouping=grouping, action=action, after=after)
    return grouping


# -------------------------------------------------------------------------------------------- services


@transaction.atomic
def lot_move_lines(
    *,
    grouping: Grouping,
    actor: User,
    expected_version: int,
    lot_number: int,
    need_line_ids: Iterable[int],
    target_lot_number: int,
    reason: str = "",
) -> Grouping:
    """Move lines of lot `lot_number` into lot `target_lot_number`. Returns the grouping at its new version."""
    grouping = lock_grouping(grouping=grouping, actor=actor, expected_version=expected_version)
    source, target = _get_lot(grouping, lot_number), _get_lot(grouping, target_lot_number)
    if source.pk == target.pk:
        raise DomainError("Choisissez un lot de destination différent du lot d'origine.", field="target_lot")
    lot_lines = _lot_lines(grouping, need_line_ids, lot=source)
    why = f"Déplacée du lot {source.number} « {source.title} » vers le lot {target.number} par le coordonnateur"
    why += f" : {reason.strip()}" if reason.strip() else "."
    _, LotLine = _lots_model()
    LotLine.objects.filter(pk__in=[ll.pk for ll in lot_lines]).update(lot=target, reason=_reason(why))
    return _finish(
        actor=actor,
        grouping=grouping,
        action="grouping.lines_move",
        after={"from": source.number, "to": target.number, "lines": [ll.need_line_id for ll in lot_lines]},
    )


@transaction.atomic
def lot_split(
    *,
    grouping: Grouping,
    actor: User,
    expected_version: int,
    lot_number: int,
    by: str,
    need_line_ids: Iterable[int] = (),
    title: str = "",
) -> Grouping:
    """Split a lot by member (one lot per member) or move selected lines into a new lot appended at the end."""
    grouping = lock_grouping(grouping=grouping, actor=actor, expected_version=expected_version)
    lot = _get_lot(grouping, lot_number)
    if by == SPLIT_BY_MEMBER:
        created = _split_by_member(grouping, lot)
    elif by == SPLIT_BY_LINES:
        created = [_split_lines(grouping, lot, need_line_ids, title)]
    else:
        raise DomainError("Scission inconnue : choisissez « par membre » ou « lignes choisies ».", field="by")
    return _finish(
        actor=actor,
        grouping=grouping,
        action="grouping.lot_split",
        after={"lot": lot.number, "by": by, "new_lots": created},
    )


def _new_lot_like(grouping: Grouping, lot, title: str):
    Lot, _ = _lots_model()
    return Lot.objects.create(
        grouping=grouping,
        number=_next_number(grouping),
        title=title[:200],
        family=lot.family,
        cpv=lot.cpv,
        description=lot.description,
    )


def _split_lines(grouping: Grouping, lot, need_line_ids: Iterable[int], title: str) -> int:
    lot_lines = _lot_lines(grouping, need_line_ids, lot=lot)
    if len(lot_lines) == lot.lot_lines.count():
        raise DomainError(
            "Toutes les lignes du lot sont sélectionnées : gardez-en au moins une dans le lot d'origine "
            "(pour changer son intitulé, renommez-le).",
            field="lines",
        )
    new = _new_lot_like(grouping, lot, title.strip() or f"{lot.title} (suite)")
    _, LotLine = _lots_model()
    why = f"Scission du lot {lot.number} « {lot.title} » : ligne choisie par le coordonnateur pour le lot {new.number}."
    LotLine.objects.filter(pk__in=[ll.pk for ll in lot_lines]).update(lot=new, reason=_reason(why))
    return new.number


def _split_by_member(grouping: Grouping, lot) -> list[int]:
    by_member: dict[int, list] = {}
    names: dict[int, str] = {}
    for ll in lot.lot_lines.select_related("need_line__collectivity"):
        collectivity = ll.need_line.collectivity
        by_member.setdefault(collectivity.pk, []).append(ll.pk)
        names[collectivity.pk] = collectivity.name
    if len(by_member) < 2:
        raise DomainError("Ce lot ne contient les besoins que d'un seul membre : il n'y a rien à scinder.", field="by")
    _, LotLine = _lots_model()
    ordered = sorted(by_member, key=lambda cid: (names[cid], cid))
    base_title = lot.title
    created = []
    for index, cid in enumerate(ordered):
        title = f"{base_title} — {names[cid]}"
        if index == 0:
            lot.title = title[:200]
            lot.save(update_fields=["title"])
            target = lot
        else:
            target = _new_lot_like(grouping, lot, title)
            created.append(target.number)
        why = f"Scission du lot {lot.number} « {base_title} » par membre : besoins de {names[cid]}."
        LotLine.objects.filter(pk__in=by_member[cid]).update(lot=target, reason=_reason(why))
    return created


@transaction.atomic
def lots_merge(
    *, grouping: Grouping, actor: User, expected_version: int, lot_numbers: Iterable[int], title: str = ""
) -> Grouping:
    """Merge lots into the one with the smallest number; the others disappear and lots are renumbered."""
    grouping = lock_grouping(grouping=grouping, actor=actor, expected_version=expected_version)
    try:
        numbers = sorted({int(n) for n in lot_numbers})
    except (TypeError, ValueError):
        raise DomainError("Sélection de lots invalide.", field="lots") from None
    if len(numbers) < 2:
        raise DomainError("Sélectionnez au moins deux lots à fusionner.", field="lots")
    lots = [_get_lot(grouping, n) for n in numbers]
    target, others = lots[0], lots[1:]
    _, LotLine = _lots_model()
    for other in others:
        why = f"Fusion du lot {other.number} « {other.title} » dans le lot {target.number} par le coordonnateur."
        LotLine.objects.filter(lot=other).update(lot=target, reason=_reason(why))
    if any(other.family_id != target.family_id for other in others):
        target.family = None
    if title.strip():
        target.title = title.strip()[:200]
    target.save(update_fields=["family", "title"])
    return _finish(
        actor=actor, grouping=grouping, action="grouping.lots_merge", after={"lots": numbers, "title": target.title}
    )


@transaction.atomic
def lines_exclude(
    *, grouping: Grouping, actor: User, expected_version: int, need_line_ids: Iterable[int], reason: str
) -> Grouping:
    """Take lines out of the grouping's lots: they go back to the campaign pool, with the reason recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Indiquez le motif de l'exclusion : il est conservé avec la ligne.", field="reason")
    grouping = lock_grouping(grouping=grouping, actor=actor, expected_version=expected_version)
    lot_lines = _lot_lines(grouping, need_line_ids)
    ids = [ll.need_line_id for ll in lot_lines]
    _, LotLine = _lots_model()
    LotLine.objects.filter(pk__in=[ll.pk for ll in lot_lines]).delete()
    NeedLine.objects.filter(pk__in=ids).update(
        excluded_from_grouping=grouping, exclusion_reason=reason[:300], excluded_at=timezone.now()
    )
    return _finish(
        actor=actor, grouping=grouping, action="grouping.lines_exclude", after={"lines": ids, "reason": reason}
    )


@transaction.atomic
def lines_reinstate(
    *, grouping: Grouping, actor: User, expected_version: int, need_line_ids: Iterable[int], lot_number: int
) -> Grouping:
    """Put lines excluded from this grouping back into one of its lots (their member must still be active)."""
    grouping = lock_grouping(grouping=grouping, actor=actor, expected_version=expected_version)
    lot = _get_lot(grouping, lot_number)
    ids = _ids(need_line_ids)
    active = grouping.memberships.exclude(status=GroupingMemberStatus.WITHDRAWN).values("collectivity_id")
    lines = list(
        NeedLine.objects.filter(
            pk__in=ids, excluded_from_grouping=grouping, lot_line__isnull=True, collectivity_id__in=active
        )
    )
    if len(lines) != len(ids):
        raise DomainError(
            "Certaines lignes ne peuvent pas être réintégrées : elles ne sont plus exclues de ce groupement, ont "
            "rejoint un autre lot, ou leur collectivité s'est retirée. Rechargez la page.",
            field="lines",
        )
    _, LotLine = _lots_model()
    LotLine.objects.bulk_create(
        [
            LotLine(
                lot=lot,
                need_line=line,
                reason=_reason(
                    f"Réintégrée dans le lot {lot.number} par le coordonnateur (exclue auparavant : "
                    f"{line.exclusion_reason})."
                ),
            )
            for line in lines
        ]
    )
    NeedLine.objects.filter(pk__in=ids).update(excluded_from_grouping=None, exclusion_reason="", excluded_at=None)
    return _finish(
        actor=actor, grouping=grouping, action="grouping.lines_reinstate", after={"lines": ids, "lot": lot.number}
    )


@transaction.atomic
def lot_update(
    *,
    grouping: Grouping,
    actor: User,
    expected_version: int,
    lot_number: int,
    title: str | None = None,
    cpv: str | None = None,
    description: str | None = None,
) -> Grouping:
    """Rename a lot, change its CPV code (8 digits, check digit optional) or its description."""
    grouping = lock_grouping(grouping=grouping, actor=actor, expected_version=expected_version)
    lot = _get_lot(grouping, lot_number)
    before = {"title": lot.title, "cpv": lot.cpv_id, "description": lot.description}
    if title is not None:
        if not title.strip():
            raise DomainError("L'intitulé du lot ne peut pas être vide.", field="title")
        lot.title = title.strip()[:200]
    if cpv is not None:
        lot.cpv = resolve_cpv(cpv)
    if description is not None:
        lot.description = description.strip()
    lot.save(update_fields=["title", "cpv", "description"])
    bump_version(grouping)
    audit_record(
        actor=actor,
        action="grouping.lot_update",
        target=grouping,
        collectivity=grouping.coordinator,
        before={"lot": lot.number, **before},
        after={"lot": lot.number, "title": lot.title, "cpv": lot.cpv_id, "version": grouping.version},
    )
    return grouping


def lot_rename(*, grouping: Grouping, actor: User, expected_version: int, lot_number: int, title: str) -> Grouping:
    return lot_update(
        grouping=grouping, actor=actor, expected_version=expected_version, lot_number=lot_number, title=title
    )


def lot_set_cpv(*, grouping: Grouping, actor: User, expected_version: int, lot_number: int, cpv: str) -> Grouping:
    return lot_update(grouping=grouping, actor=actor, expected_version=expected_version, lot_number=lot_number, cpv=cpv)


def resolve_cpv(value: str):
    from catalog.models import CpvCode

    match = CPV_PATTERN.match((value or "").strip())
    if not match:
        raise DomainError(
            f"« {value} » n'est pas un code CPV : 8 chiffres, éventuellement suivis de la clé (ex. 30213200-7).",
            field="cpv",
        )
    code = CpvCode.objects.filter(code=match.group(1)).first()
    if code is None:
        raise DomainError(f"Le code CPV {match.group(1)} n'existe pas dans la nomenclature chargée.", field="cpv")
    if match.group(2) and code.code_with_check_digit and code.code_with_check_digit != match.group(0):
        raise DomainError(
            f"Clé de contrôle erronée : le code complet est {code.code_with_check_digit}.",
            field="cpv",
        )
    return code


# ------------------------------------------------------------------------------------------------ reads


def state_funding_warning(line: NeedLine) -> str:
    """Pedagogical digital resources for a collège or lycée are State expenses (C. éduc. L211-8 5°): say so.

    A warning, not a refusal: the line may be a resource the collectivité pays for legitimately (hardware
    drivers, software needed to run its equipment); the coordinator decides.
    """
    site, item = line.site, line.catalog_item
    if site is None or item is None or site.kind not in STATE_FUNDED_SITE_KINDS:
        return ""
    if item.family.code not in STATE_FUNDED_FAMILY_CODES:
        return ""
    return (
        f"Ressource numérique pédagogique pour le {site.get_kind_display().lower()} « {site.name} » : les dépenses "
        "de ressources numériques conçues pour un usage pédagogique dans les collèges et lycées sont à la charge "
        f"de l'État ({STATE_FUNDING_REFERENCE}), pas du département ni de la région. Vérifiez son financement."
    )


@dataclass
class StateFundingFlag:
    line: NeedLine
    lot_number: int | None
    message: str
    reference: str = STATE_FUNDING_REFERENCE


def state_funding_flags(*, grouping: Grouping, collectivity_ids: set[int] | None = None) -> list[StateFundingFlag]:
    """Pooled lines of the grouping that the State should fund (restricted to `collectivity_ids` if given)."""
    lines = NeedLine.objects.filter(
        lot_line__lot__grouping=grouping,
        site__kind__in=STATE_FUNDED_SITE_KINDS,
        catalog_item__family__code__in=STATE_FUNDED_FAMILY_CODES,
    ).select_related("site", "collectivity", "catalog_item__family", "lot_line__lot")
    if collectivity_ids is not None:
        lines = lines.filter(collectivity_id__in=collectivity_ids)
    return [
        StateFundingFlag(line, line.lot_line.lot.number, state_funding_warning(line))
        for line in lines.order_by("lot_line__lot__number", "collectivity__name", "id")
    ]


@dataclass
class EditorLot:
    lot: object
    lines: list[NeedLine] = field(default_factory=list)
    quantity: int = 0
    value_ht: Decimal = Decimal("0.00")
    members: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class EditorState:
    grouping: Grouping
    lots: list[EditorLot]
    excluded: list[NeedLine]
    flags: int

    @property
    def version(self) -> int:
        return self.grouping.version


def grouping_editor_state(*, grouping: Grouping) -> EditorState:
    """Everything the coordinator's editor shows: lots with their lines, reasons, warnings; excluded lines."""
    from tenders.selectors import lot_lines_for_grouping, lots_for_grouping

    lots = {lot.pk: EditorLot(lot=lot) for lot in lots_for_grouping(grouping=grouping)}
    flags = 0
    for line in lot_lines_for_grouping(grouping=grouping).select_related("lot_line"):
        entry = lots[line.lot_line.lot_id]
        line.state_funding_warning = state_funding_warning(line)
        flags += bool(line.state_funding_warning)
        entry.lines.append(line)
        entry.quantity += line.quantity
        entry.value_ht += line.estimated_value_ht or 0
        if line.collectivity.name not in entry.members:
            entry.members.append(line.collectivity.name)
    for entry in lots.values():
        families = sorted({line.catalog_item.family.name for line in entry.lines if line.catalog_item})
        if len(families) > 1:
            entry.warnings.append(
                f"Ce lot réunit plusieurs familles homogènes ({', '.join(families)}) : les marchés sont passés en "
                "lots séparés sauf si leur objet ne permet pas d'identifier des prestations distinctes (L2113-10 CCP)."
            )
        flagged = sum(1 for line in entry.lines if line.state_funding_warning)
        if flagged:
            entry.warnings.append(
                f"{flagged} ligne(s) de ressources pédagogiques pour des collèges ou lycées : dépense de l'État "
                f"({STATE_FUNDING_REFERENCE})."
            )
    excluded = list(
        grouping.excluded_lines.filter(lot_line__isnull=True)
        .select_related("collectivity", "site", "catalog_item")
        .with_estimated_value()
        .order_by("collectivity__name", "id")
    )
    return EditorState(grouping=grouping, lots=list(lots.values()), excluded=excluded, flags=flags)
