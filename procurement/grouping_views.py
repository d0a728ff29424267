"""Pages of a grouping beyond its summary: the coordinator's lot editor, membership steps (invitation, launch),
coordination costs, and the what-if view of each member's withdrawal.

Objects are resolved through selectors (404 for outsiders); editing pages are the coordinator's (403 for the
other members). Editing forms carry the grouping version they were loaded with: a stale save is refused
(status 409) and the editor is shown again at its current version, with the explanation.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from procurement import selectors, services
from procurement.cost_sharing import KEY_LABELS
from procurement.errors import ConflictError, DomainError, PermissionDenied
from procurement.forms import DateInput, MemberStatusForm
from procurement.models import (
    Collectivity,
    CostSharingKey,
    Grouping,
    GroupingMember,
    GroupingMemberStatus,
    GroupingStatus,
)
from tenders.selectors import GroupingTotals, grouping_totals

EDITOR_TEMPLATE = "procurement/grouping_editor/editor.html"
EDITOR_PARTIAL = "procurement/grouping_editor/_editor.html"


# ----------------------------------------------------------------------------------------------- forms


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class LotLinesForm(VersionedForm):
    ACTIONS = [
        ("move", "Déplacer vers un autre lot"),
        ("split", "Les placer dans un nouveau lot"),
        ("exclude", "Les exclure du groupement (retour à la campagne)"),
    ]
    lines = forms.TypedMultipleChoiceField(coerce=int, choices=(), error_messages={"required": "Cochez des lignes."})
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect)
    target_lot = forms.IntegerField(required=False)
    title = forms.CharField(max_length=200, required=False)
    reason = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, line_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [(pk, pk) for pk in line_ids]


class LotUpdateForm(VersionedForm):
    title = forms.CharField(label="Intitulé du lot", max_length=200)
    cpv = forms.CharField(label="Code CPV", max_length=10, required=False)


class LotsMergeForm(VersionedForm):
    lots = forms.TypedMultipleChoiceField(coerce=int, choices=())
    title = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lots"].choices = [(n, n) for n in numbers]


class ReinstateForm(VersionedForm):
    lines = forms.TypedMultipleChoiceField(coerce=int, choices=())
    lot = forms.IntegerField()

    def __init__(self, *args, line_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [(pk, pk) for pk in line_ids]


class LaunchForm(VersionedForm):
    launch_date = forms.DateField(label="Date de lancement de la consultation", widget=DateInput())


class MemberAddForm(forms.Form):
    collectivity = forms.ModelChoiceField(label="Collectivité à inviter", queryset=Collectivity.objects.none())

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collectivity"].queryset = choices


class CostSharingForm(VersionedForm):
    coordination_costs_ht = forms.DecimalField(
        label="Frais de coordination à répartir (€ HT)", min_value=Decimal(0), max_digits=14, decimal_places=2
    )
    cost_sharing_key = forms.ChoiceField(label="Clé de répartition", choices=CostSharingKey.choices)


# --------------------------------------------------------------------------------------------- helpers


def _grouping_for_coordinator(request, pk: int) -> Grouping:
    grouping = selectors.get_grouping_for(user=request.user, pk=pk)
    if not selectors.can_manage_grouping(user=request.user, grouping=grouping):
        raise DjangoPermissionDenied("Seul le coordonnateur du groupement peut modifier ses lots.")
    return grouping


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors) or "Formulaire invalide."


def _editor_url(grouping: Grouping) -> str:
    return reverse("procurement:grouping_editor", kwargs={"pk": grouping.pk})


def _editor_context(grouping: Grouping, *, error: str = "", success: str = "") -> dict:
    state = services.grouping_editor_state(grouping=grouping)
    return {
        "nav": "groupings",
        "grouping": grouping,
        "state": state,
        "editable": grouping.status == GroupingStatus.DRAFT,
        "lot_numbers": [entry.lot.number for entry in state.lots],
        "line_actions": LotLinesForm.ACTIONS,
        "error": error,
        "success": success,
    }


def _render_editor(request, grouping: Grouping, *, status: int = 200, error: str = "", success: str = ""):
    grouping = Grouping.objects.select_related("coordinator", "campaign").get(pk=grouping.pk)
    template = EDITOR_PARTIAL if request.htmx else EDITOR_TEMPLATE
    # htmx swaps only 2xx responses: a conflict shown in place keeps 200, a full page says 409.
    code = 200 if request.htmx else status
    return render(request, template, _editor_context(grouping, error=error, success=success), status=code)


def _edit(request, grouping: Grouping, form, operation, success: str):
    """Run an editing service from a validated form; answer with the editor (htmx) or redirect to it."""
    if not form.is_valid():
        return _failure(request, grouping, _form_errors(form))
    try:
        operation(form.cleaned_data)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except ConflictError as exc:
        return _render_editor(request, grouping, status=409, error=exc.message)
    except DomainError as exc:
        return _failure(request, grouping, exc.message)
    if request.htmx:
        return _render_editor(request, grouping, success=success)
    messages.success(request, success)
    return redirect(_editor_url(grouping))


def _failure(request, grouping: Grouping, message: str):
    if request.htmx:
        return _render_editor(request, grouping, error=message)
    messages.error(request, message)
    return redirect(_editor_url(grouping))


# ---------------------------------------------------------------------------------------------- editor


@login_required
@require_GET
def grouping_editor(request, pk: int):
    grouping = _grouping_for_coordinator(request, pk)
    return _render_editor(request, grouping)


@login_required
@require_POST
def grouping_lot_lines(request, pk: int, number: int):
    """One form per lot: what to do with the lines ticked in it (move, new lot, exclude)."""
    grouping = _grouping_for_coordinator(request, pk)
    line_ids = [int(v) for v in request.POST.getlist("lines") if v.isdigit()]
    form = LotLinesForm(request.POST, line_ids=line_ids)

    def operation(data):
        common = {"grouping": grouping, "actor": request.user, "expected_version": data["version"]}
        if data["action"] == "move":
            if not data["target_lot"]:
                raise DomainError("Choisissez le lot de destination.", field="target_lot")
            services.lot_move_lines(
                **common,
                lot_number=number,
                need_line_ids=data["lines"],
                target_lot_number=data["target_lot"],
                reason=data["reason"],
            )
        elif data["action"] == "split":
            services.lot_split(
                **common, lot_number=number, by="lines", need_line_ids=data["lines"], title=data["title"]
            )
        else:
            services.lines_exclude(**common, need_line_ids=data["lines"], reason=data["reason"])

    labels = {"move": "Lignes déplacées.", "split": "Nouveau lot créé.", "exclude": "Lignes exclues du groupement."}
    return _edit(request, grouping, form, operation, labels.get(request.POST.get("action"), "Lot modifié."))


@login_required
@require_POST
def grouping_lot_split_by_member(request, pk: int, number: int):
    grouping = _grouping_for_coordinator(request, pk)

    def operation(data):
        services.lot_split(
            grouping=grouping,
            actor=request.user,
            expected_version=data["version"],
            lot_number=number,
            by="member",
        )

    return _edit(request, grouping, VersionedForm(request.POST), operation, f"Lot {number} scindé par membre.")


@login_required
@require_POST
def grouping_lot_update(request, pk: int, number: int):
    grouping = _grouping_for_coordinator(request, pk)

    def operation(data):
        services.lot_update(
            grouping=grouping,
            actor=request.user,
            expected_version=data["version"],
            lot_number=number,
            title=data["title"],
            cpv=data["cpv"] or None,
        )

    return _edit(request, grouping, LotUpdateForm(request.POST), operation, f"Lot {number} modifié.")


@login_required
@require_POST
def grouping_lots_merge(request, pk: int):
    grouping = _grouping_for_coordinator(request, pk)
    numbers = list(grouping.lots.values_list("number", flat=True))

    def operation(data):
        services.lots_merge(
            grouping=grouping,
            actor=request.user,
            expected_version=data["version"],
            lot_numbers=data["lots"],
            title=data["title"],
        )

    return _edit(request, grouping, LotsMergeForm(request.POST, numbers=numbers), operation, "Lots fusionnés.")


@login_required
@require_POST
def grouping_lines_reinstate(request, pk: int):
    grouping = _grouping_for_coordinator(request, pk)
    line_ids = list(grouping.excluded_lines.values_list("pk", flat=True))

    def operation(data):
        services.lines_reinstate(
            grouping=grouping,
            actor=request.user,
            expected_version=data["version"],
            need_line_ids=data["lines"],
            lot_number=data["lot"],
        )

    form = ReinstateForm(request.POST, line_ids=line_ids)
    return _edit(request, grouping, form, operation, "Lignes réintégrées.")


# ------------------------------------------------------------------------------------ membership, costs


def _detail_redirect(grouping: Grouping, anchor: str):
    return redirect(reverse("procurement:grouping_detail", kwargs={"pk": grouping.pk}) + anchor)


def _submit(
    request,
    grouping: Grouping,
    form: forms.Form,
    operation: Callable[[dict[str, Any]], object],
    *,
    success: str | Callable[[dict[str, Any]], str],
    anchor: str,
) -> HttpResponseRedirect:
    """Run a service from a form of the grouping page, then go back to its section (`anchor`).

    An invalid form or a refused operation (DomainError) becomes an error message; a refusal of rights is a 403.
    `success` is the message shown after the operation, or a function of the cleaned data that builds it.
    """
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _detail_redirect(grouping, anchor)
    try:
        operation(form.cleaned_data)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success(form.cleaned_data) if callable(success) else success)
    return _detail_redirect(grouping, anchor)


def _member_choices(grouping: Grouping):
    active = grouping.memberships.exclude(status=GroupingMemberStatus.WITHDRAWN).values("collectivity_id")
    if grouping.campaign_id is None:
        return Collectivity.objects.none()
    return (
        Collectivity.objects.filter(participations__campaign_id=grouping.campaign_id)
        .exclude(pk__in=active)
        .order_by("name")
    )


@login_required
@require_POST
def grouping_member_status(request, pk: int, member_pk: int):
    """A member's adhesion moves on (accepted, signed) or is withdrawn, by its own buyers or the coordinator."""
    grouping = selectors.get_grouping_for(user=request.user, pk=pk)
    member = get_object_or_404(GroupingMember.objects.select_related("collectivity"), grouping=grouping, pk=member_pk)

    def operation(data):
        services.grouping_member_set_status(member=member, actor=request.user, **data)

    success = f"Adhésion de {member.collectivity.name} mise à jour."
    return _submit(request, grouping, MemberStatusForm(request.POST), operation, success=success, anchor="#membres")


@login_required
@require_POST
def grouping_member_add(request, pk: int):
    grouping = _grouping_for_coordinator(request, pk)
    # Any collectivité may be named; the service refuses latecomers after the launch, with the explanation.
    form = MemberAddForm(request.POST, choices=Collectivity.objects.all())

    def operation(data):
        services.grouping_member_add(grouping=grouping, collectivity=data["collectivity"], actor=request.user)

    def success(data) -> str:
        return f"{data['collectivity'].name} est invitée dans le groupement."

    return _submit(request, grouping, form, operation, success=success, anchor="#membres")


@login_required
@require_POST
def grouping_launch(request, pk: int):
    grouping = _grouping_for_coordinator(request, pk)

    def operation(data):
        services.grouping_launch(
            grouping=grouping, actor=request.user, launch_date=data["launch_date"], expected_version=data["version"]
        )

    success = "Consultation lancée : les adhésions et les lots sont désormais verrouillés."
    return _submit(request, grouping, LaunchForm(request.POST), operation, success=success, anchor="#lancement")


@login_required
@require_POST
def grouping_cost_sharing(request, pk: int):
    grouping = _grouping_for_coordinator(request, pk)

    def operation(data):
        services.grouping_set_cost_sharing(
            grouping=grouping,
            actor=request.user,
            expected_version=data["version"],
            coordination_costs_ht=data["coordination_costs_ht"],
            cost_sharing_key=data["cost_sharing_key"],
        )

    success = "Frais de coordination et clé de répartition enregistrés."
    return _submit(request, grouping, CostSharingForm(request.POST), operation, success=success, anchor="#repartition")


# --------------------------------------------------------------------------------------------- what-if


@login_required
@require_GET
def grouping_whatif(request, pk: int):
    """For each member: the total, procedure and publicity without it. Members see only their own row."""
    grouping = selectors.get_grouping_for(user=request.user, pk=pk)
    visible = selectors.visible_member_ids(user=request.user, grouping=grouping)
    members = selectors.grouping_members(grouping=grouping).exclude(status=GroupingMemberStatus.WITHDRAWN)
    if visible is not None:
        members = members.filter(collectivity_id__in=visible)
    simulation = services.grouping_withdrawal_simulation(
        grouping=grouping, totals=grouping_totals(grouping=grouping), members=list(members)
    )
    return render(
        request,
        "procurement/grouping_whatif.html",
        {
            "nav": "groupings",
            "grouping": grouping,
            "simulation": simulation,
            "can_manage": visible is None,
        },
    )


# ------------------------------------------------------------------------------- grouping page sections


def grouping_page_context(*, user, grouping: Grouping, totals: GroupingTotals | None = None) -> dict:
    """What the grouping page adds for this issue: breakdown and cost sharing, State-funding flags, membership
    steps (invitation, launch), links to the editor and the what-if view.

    `totals` are the full totals (every member's shares, as the cost sharing needs them): the breakdown is then
    restricted to what the user may see."""
    visible = selectors.visible_member_ids(user=user, grouping=grouping)
    can_manage = visible is None
    context = {
        "breakdown": services.grouping_breakdown(grouping=grouping, totals=totals).only(visible),
        "state_funding_flags": services.state_funding_flags(grouping=grouping, collectivity_ids=visible),
        "cost_sharing_keys": CostSharingKey.choices,
        "cost_sharing_key_labels": KEY_LABELS,
    }
    if can_manage:
        context["member_add_choices"] = _member_choices(grouping) if grouping.status == GroupingStatus.DRAFT else []
        if grouping.status == GroupingStatus.DRAFT:
            launch = grouping.planned_launch_date or timezone.localdate()
            context["launch_blockers"] = services.launch_blockers(grouping=grouping, launch_date=launch)
            context["launch_date"] = launch
    return context
