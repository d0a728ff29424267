"""Membership of a groupement de commandes: invite → accept (deliberation) → sign the convention → launch.

- A member records its adhesion with the reference and date of its assembly's deliberation, then its signature
  of the convention constitutive (L2113-7 CCP; CE 25 April 1994, Région d'Aquitaine; domain.md §1.1).
- The consultation is launched only when every active member has signed and recorded its deliberation
  (domain.md §9 E.20). Launching locks the membership.
- A collectivité joining after the launch cannot benefit from that procedure (RM JO AN 17 May 2011,
  n° 100136; domain.md §9 E.21): it is refused, with the explanation.
- A member may withdraw before the launch: its needs leave the lots and every figure (totals, procedure,
  publicity, cost shares) is recomputed, since they are all computed live from the lots.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from procurement.audit import audit_record, snapshot
from procurement.errors import DomainError, PermissionDenied
from procurement.grouping_rules import GroupingAssessment, assess_grouping
from procurement.models import (
    Collectivity,
    Grouping,
    GroupingMember,
    GroupingMemberStatus,
    GroupingStatus,
    NeedLine,
    Role,
    User,
)
from procurement.selectors import can_manage_grouping, user_has_role
from procurement.services.grouping_editor import bump_version, drop_empty_lots, lock_grouping

MEMBER_FIELDS = ["status", "deliberation_reference", "deliberation_date"]
LATECOMER_EXPLANATION = (
    "la consultation de ce groupement a été lancée le {launch} : une collectivité qui adhère après le lancement "
    "ne peut pas bénéficier des marchés de cette procédure, car chaque membre doit avoir défini ses besoins avant "
    "la mise en concurrence (L2111-1 CCP ; RM JO AN 17 mai 2011, n° 100136). Elle pourra rejoindre une prochaine "
    "consultation."
)


def _locked_message(grouping: Grouping) -> str:
    if grouping.status == GroupingStatus.DRAFT:
        return ""
    launch = f"{grouping.planned_launch_date:%d/%m/%Y}" if grouping.planned_launch_date else "(date non renseignée)"
    return (
        f"La consultation est lancée (le {launch}) : les adhésions sont verrouillées. Une collectivité qui "
        "rejoindrait ou quitterait le groupement maintenant changerait un besoin déjà mis en concurrence."
    )


@transaction.atomic
def grouping_member_add(*, grouping: Grouping, collectivity: Collectivity, actor: User) -> GroupingMember:
    """The coordinator invites a collectivité into the grouping (or invites again a member that withdrew).

    Refused once the consultation is launched: a latecomer cannot benefit from the procedure.
    """
    if not can_manage_grouping(user=actor, grouping=grouping):
        raise PermissionDenied("Seul le coordonnateur du groupement peut inviter un membre.")
    grouping = Grouping.objects.select_for_update().get(pk=grouping.pk)
    if grouping.status != GroupingStatus.DRAFT:
        launch = f"{grouping.planned_launch_date:%d/%m/%Y}" if grouping.planned_launch_date else "déjà"
        raise DomainError(
            f"{collectivity.name} ne peut pas rejoindre ce groupement : " + LATECOMER_EXPLANATION.format(launch=launch),
            code="latecomer",
        )
    member = GroupingMember.objects.filter(grouping=grouping, collectivity=collectivity).first()
    before = snapshot(member, MEMBER_FIELDS) if member else None
    if member is not None and member.status != GroupingMemberStatus.WITHDRAWN:
        raise DomainError(f"{collectivity.name} est déjà membre du groupement.", field="collectivity")
    if member is None:
        member = GroupingMember(grouping=grouping, collectivity=collectivity)
    member.status = GroupingMemberStatus.INVITED
    member.joined_at = timezone.now()
    member.withdrawn_at = None
    member.deliberation_reference, member.deliberation_date = "", None
    member.full_clean(validate_unique=False)
    member.save()
    audit_record(
        actor=actor,
        action="grouping.member_add",
        target=member,
        collectivity=grouping.coordinator,
        before=before,
        after=snapshot(member, MEMBER_FIELDS),
    )
    return member


def _check_transition(member: GroupingMember, status: str, reference: str, when: date | None) -> None:
    if status not in GroupingMemberStatus.values:
        raise DomainError("Statut d'adhésion inconnu.", field="status")
    if member.status == GroupingMemberStatus.WITHDRAWN and status != GroupingMemberStatus.WITHDRAWN:
        raise DomainError(
            "Ce membre s'est retiré : le coordonnateur doit l'inviter de nouveau avant qu'il puisse adhérer.",
            field="status",
        )
    if status == GroupingMemberStatus.INVITED and member.status != GroupingMemberStatus.INVITED:
        raise DomainError(
            "Le statut « Invité » résulte de l'invitation : pour corriger une délibération, enregistrez-la à nouveau.",
            field="status",
        )
    needs_deliberation = status in (GroupingMemberStatus.ACCEPTED, GroupingMemberStatus.SIGNED)
    has_deliberation = (reference or member.deliberation_reference) and (when or member.deliberation_date)
    if status == GroupingMemberStatus.ACCEPTED and not (reference and when):
        raise DomainError(
            "Indiquez la référence et la date de la délibération d'adhésion.", field="deliberation_reference"
        )
    if needs_deliberation and not has_deliberation:
        raise DomainError(
            "La convention ne peut être signée qu'après la délibération d'adhésion : indiquez sa référence et sa "
            "date (CE 25 avril 1994, Région d'Aquitaine).",
            field="deliberation_reference",
        )


@transaction.atomic
def grouping_member_set_status(
    *,
    member: GroupingMember,
    actor: User,
    status: str,
    deliberation_reference: str = "",
    deliberation_date: date | None = None,
) -> GroupingMember:
    """A member records its adhesion (with its deliberation), its signature of the convention, or withdraws.

    The member's own buyers or coordinators, or the grouping's coordinator, may do so; a grouping that has
    launched its consultation is locked (a latecomer cannot benefit from the procedure, domain.md §1.1).
    A withdrawal takes the member's needs out of the lots (they are kept as lines excluded from the grouping,
    so they can be reinstated if the member is invited again) and bumps the grouping's version.
    """
    grouping = member.grouping
    allowed = user_has_role(user=actor, collectivity=member.collectivity, roles=(Role.BUYER, Role.COORDINATOR))
    allowed = allowed or can_manage_grouping(user=actor, grouping=grouping)
    if not allowed:
        raise PermissionDenied("Vous ne pouvez pas modifier l'adhésion de ce membre.")
    grouping = Grouping.objects.select_for_update().get(pk=grouping.pk)
    member = GroupingMember.objects.select_for_update().select_related("collectivity").get(pk=member.pk)
    if grouping.status != GroupingStatus.DRAFT:
        raise DomainError(_locked_message(grouping))
    deliberation_reference = (deliberation_reference or "").strip()
    _check_transition(member, status, deliberation_reference, deliberation_date)
    before = snapshot(member, MEMBER_FIELDS)
    member.status = status
    if deliberation_reference:
        member.deliberation_reference = deliberation_reference
    if deliberation_date:
        member.deliberation_date = deliberation_date
    member.withdrawn_at = timezone.now() if status == GroupingMemberStatus.WITHDRAWN else None
    try:
        member.full_clean()
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from exc
    member.save()
    if status == GroupingMemberStatus.WITHDRAWN and before["status"] != GroupingMemberStatus.WITHDRAWN:
        _take_needs_out(grouping=grouping, member=member)
    audit_record(
        actor=actor,
        action="grouping.member_status",
        target=member,
        collectivity=grouping.coordinator,
        before=before,
        after=snapshot(member, MEMBER_FIELDS),
    )
    return member


def _take_needs_out(*, grouping: Grouping, member: GroupingMember) -> None:
    from tenders.models import LotLine

    lot_lines = LotLine.objects.filter(lot__grouping=grouping, need_line__collectivity=member.collectivity)
    ids = list(lot_lines.values_list("need_line_id", flat=True))
    lot_lines.delete()
    NeedLine.objects.filter(pk__in=ids).update(
        excluded_from_grouping=grouping,
        exclusion_reason=f"Retrait de {member.collectivity.name} du groupement."[:300],
        excluded_at=timezone.now(),
    )
    drop_empty_lots(grouping)
    bump_version(grouping)


def launch_blockers(*, grouping: Grouping, launch_date: date) -> list[str]:
    """Why the consultation cannot be launched yet; empty when it can (domain.md §9 E.20)."""
    problems = []
    members = grouping.memberships.exclude(status=GroupingMemberStatus.WITHDRAWN).select_related("collectivity")
    for member in members.order_by("collectivity__name"):
        missing = []
        if member.status != GroupingMemberStatus.SIGNED:
            missing.append("convention non signée")
        if not (member.deliberation_reference and member.deliberation_date):
            missing.append("délibération non enregistrée")
        elif member.deliberation_date > launch_date:
            missing.append(f"délibération du {member.deliberation_date:%d/%m/%Y}, postérieure au lancement")
        if missing:
            problems.append(f"{member.collectivity.name} : {', '.join(missing)}")
    if not members.exists():
        problems.append("le groupement n'a aucun membre")
    from tenders.models import LotLine

    if not LotLine.objects.filter(lot__grouping=grouping).exists():
        problems.append("aucun lot ne contient de besoin")
    return problems


@transaction.atomic
def grouping_launch(
    *, grouping: Grouping, actor: User, launch_date: date, expected_version: int | None = None
) -> Grouping:
    """Launch the consultation: every active member must have signed the convention and recorded its
    deliberation (L2113-7 CCP; CE 25 April 1994, Région d'Aquitaine). Sets the status and the launch date,
    which from now on determines the thresholds, and locks the membership and the lots.
    """
    grouping = lock_grouping(grouping=grouping, actor=actor, expected_version=expected_version)
    if launch_date is None:
        raise DomainError("Indiquez la date de lancement de la consultation.", field="launch_date")
    problems = launch_blockers(grouping=grouping, launch_date=launch_date)
    if problems:
        raise DomainError(
            "La consultation ne peut pas être lancée : la convention constitutive doit être signée par chaque "
            "membre, après la délibération de son assemblée, avant le lancement de la procédure (L2113-7 CCP ; "
            "CE 25 avril 1994, Région d'Aquitaine). À régler : " + " ; ".join(problems) + ".",
            code="launch_refused",
        )
    before = snapshot(grouping, ["status", "planned_launch_date"])
    grouping.status = GroupingStatus.LAUNCHED
    grouping.planned_launch_date = launch_date
    grouping.version += 1
    grouping.save(update_fields=["status", "planned_launch_date", "version"])
    audit_record(
        actor=actor,
        action="grouping.launch",
        target=grouping,
        collectivity=grouping.coordinator,
        before=before,
        after={**snapshot(grouping, ["status", "planned_launch_date"]), "version": grouping.version},
    )
    return grouping


@transaction.atomic
def grouping_set_cost_sharing(
    *,
    grouping: Grouping,
    actor: User,
    expected_version: int,
    coordination_costs_ht: Decimal,
    cost_sharing_key: str,
) -> Grouping:
    """The coordinator records the coordination costs and the sharing key set by the convention."""
    grouping = lock_grouping(grouping=grouping, actor=actor, expected_version=expected_version, require_draft=False)
    before = snapshot(grouping, ["coordination_costs_ht", "cost_sharing_key"])
    grouping.coordination_costs_ht = coordination_costs_ht
    grouping.cost_sharing_key = cost_sharing_key
    try:
        grouping.full_clean()
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="coordination_costs_ht") from exc
    grouping.version += 1
    grouping.save(update_fields=["coordination_costs_ht", "cost_sharing_key", "version"])
    audit_record(
        actor=actor,
        action="grouping.cost_sharing",
        target=grouping,
        collectivity=grouping.coordinator,
        before=before,
        after={**snapshot(grouping, ["coordination_costs_ht", "cost_sharing_key"]), "version": grouping.version},
    )
    return grouping


# ------------------------------------------------------------------------------------------------ reads


@dataclass
class WithdrawalEffect:
    """What the grouping would become without one member."""

    member: GroupingMember
    value_ht: Decimal  # the member's needs, per period
    remaining_value_ht: Decimal  # the others' needs, per period
    assessment: GroupingAssessment
    band_changes: bool = False
    publicity_changes: bool = False
    lots_emptied: list[str] = field(default_factory=list)

    @property
    def remaining_total_ht(self) -> Decimal | None:
        return self.assessment.total_value_ht


@dataclass
class WithdrawalSimulation:
    baseline: GroupingAssessment
    effects: list[WithdrawalEffect]

    @property
    def band_changers(self) -> list[WithdrawalEffect]:
        return [e for e in self.effects if e.band_changes]


def grouping_withdrawal_simulation(*, grouping: Grouping, totals, members) -> WithdrawalSimulation:
    """For each member, the total, procedure and publicity the grouping would need without it.

    `totals` is `tenders.selectors.grouping_totals(grouping=...)` over every member: each scenario subtracts the
    member's shares from the lot values, so the whole simulation costs no query per member. A lot that held
    only that member's needs disappears from the scenario.
    """
    from tenders.selectors import LotSummary

    baseline = assess_grouping(grouping=grouping, totals=totals)
    effects = []
    for member in members:
        lots, emptied, own = [], [], Decimal("0.00")
        for summary in totals.lots:
            share = next((m for m in summary.members if m.collectivity_id == member.collectivity_id), None)
            value, lines = summary.value_ht, summary.lines
            if share is not None:
                own += share.value_ht
                value, lines = value - share.value_ht, lines - share.lines
            if lines <= 0:
                if summary.lines:
                    emptied.append(f"Lot {summary.lot.number} — {summary.lot.title}")
                continue
            lots.append(LotSummary(lot=summary.lot, value_ht=value, lines=lines, unpriced_lines=summary.unpriced_lines))
        assessment = assess_grouping(grouping=grouping, totals=_Totals(lots))
        effects.append(
            WithdrawalEffect(
                member=member,
                value_ht=own,
                remaining_value_ht=sum((s.value_ht for s in lots), Decimal("0.00")),
                assessment=assessment,
                band_changes=_procedure(assessment) != _procedure(baseline),
                publicity_changes=_publicity_codes(assessment) != _publicity_codes(baseline),
                lots_emptied=emptied,
            )
        )
    return WithdrawalSimulation(baseline=baseline, effects=effects)


@dataclass
class _Totals:
    lots: list


def _procedure(assessment: GroupingAssessment) -> str | None:
    return assessment.result.procedure if assessment.result else None


def _publicity_codes(assessment: GroupingAssessment) -> tuple[str, ...]:
    return tuple(p.code for p in assessment.result.publicity) if assessment.result else ()


def grouping_breakdown(*, grouping: Grouping, totals=None):
    """Per-member quantities and values per lot, and shares of the coordination costs, for every active member.

    Callers restrict it with `.only(visible_member_ids)`: a member sees its own figures, the coordinator all.
    """
    from procurement.cost_sharing import MemberBasis, build_breakdown
    from tenders.selectors import grouping_totals

    totals = totals if totals is not None else grouping_totals(grouping=grouping)
    members = (
        grouping.memberships.exclude(status=GroupingMemberStatus.WITHDRAWN)
        .select_related("collectivity")
        .order_by("collectivity__name")
    )
    basis = [MemberBasis(m.collectivity_id, m.collectivity.name, population=m.collectivity.population) for m in members]
    return build_breakdown(
        lots=totals.lots,
        members=basis,
        periods=1 + grouping.renewals,
        costs=grouping.coordination_costs_ht,
        key=grouping.cost_sharing_key,
    )
