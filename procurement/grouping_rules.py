"""Procedure assessment of a grouping: the bridge between the grouping's figures and the pure rules engine.

The value of a groupement de commandes is the sum of every member's needs, all lots, over the firm period and
every renewal (domain.md §2.5, R2121-1). Lot values come from the catalog's reference prices.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from procurement.models import Grouping
from procurement.rules import Lot, ProcedureInput, ProcedureResult, RulesInputError, evaluate
from procurement.thresholds import NoThresholdKnown


@dataclass
class GroupingAssessment:
    launch_date: date
    launch_date_is_planned: bool
    result: ProcedureResult | None = None
    error: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def total_value_ht(self) -> Decimal | None:
        return self.result.total_value_ht if self.result else None

    @property
    def procedure_label(self) -> str:
        return self.result.procedure_label if self.result else ""

    @property
    def publicity(self) -> list[str]:
        return [f"{p.label} ({p.reference})" for p in self.result.publicity] if self.result else []

    @property
    def explanation(self) -> str:
        return self.result.explanation if self.result else self.error

    @property
    def references(self) -> list[str]:
        return list(self.result.references) if self.result else []


def assess_grouping(*, grouping: Grouping, totals) -> GroupingAssessment:
    """Evaluate the procedure and publicity that the pooled total of `grouping` requires on its launch date."""
    launch = grouping.planned_launch_date or timezone.localdate()
    assessment = GroupingAssessment(launch_date=launch, launch_date_is_planned=bool(grouping.planned_launch_date))
    if not grouping.planned_launch_date:
        assessment.notes.append("Date de lancement non fixée : évaluation à la date du jour.")
    unpriced = sum(lot.unpriced_lines for lot in totals.lots)
    if unpriced:
        assessment.notes.append(
            f"{unpriced} ligne(s) sans prix de référence ni budget ne sont pas comptées dans la valeur estimée : "
            "complétez leur estimation (prix ou budget) avant de choisir la procédure."
        )
    # A lot with no priced line adds nothing to the value; the note above says so.
    lots = [
        Lot(label=f"Lot {s.lot.number} — {s.lot.title}", estimated_value_ht=s.value_ht)
        for s in totals.lots
        if s.value_ht > 0
    ]
    if totals.lots and not lots:
        assessment.error = (
            "Aucun lot n'a de valeur estimée : complétez les prix ou les budgets avant d'évaluer la procédure."
        )
        return assessment
    if not lots:
        assessment.error = "Ce groupement n'a pas encore de lot : aucune procédure à évaluer."
        return assessment
    try:
        assessment.result = evaluate(
            ProcedureInput(
                nature=grouping.nature,
                buyer_kind="local",
                launch_date=launch,
                lots=lots,
                duration_months=grouping.duration_months,
                renewals=grouping.renewals,
            )
        )
    except (RulesInputError, NoThresholdKnown) as exc:
        assessment.error = exc.message
    return assessment
