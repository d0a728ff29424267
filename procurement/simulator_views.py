"""Public page "Simulateur de procédure": a form, the rules engine, the result below. Nothing is stored."""

from django.forms import RadioSelect
from django.shortcuts import render

from procurement.rules import ProcedureResult, RulesInputError, evaluate, format_eur, format_threshold
from procurement.simulator_forms import LotFormSet, SimulationForm
from procurement.thresholds import KEY_LABELS

LOT_PREFIX = "lots"


def _attach_rules_error(form: SimulationForm, lots: LotFormSet, error: RulesInputError) -> None:
    """Show an engine error next to the field it names (`lots.2.estimated_value_ht`, `launch_date`…)."""
    field = error.field or ""
    if field.startswith("lots"):
        # The engine numbers only the filled rows; the message is shown in the lots fieldset.
        lots._non_form_errors = lots.error_class([error.message], error_class="nonform")
    elif field in form.fields:
        form.add_error(field, error.message)
    else:
        form.add_error(None, error.message)


def _anchor(bound_field) -> str:
    """Id of the first focusable element of a field (radio buttons get `_0`)."""
    if isinstance(bound_field.field.widget, RadioSelect):
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id


def _error_summary(form: SimulationForm, lots: LotFormSet) -> list[dict]:
    """Every error with a link to its field, for the summary shown (and focused) above the form."""
    items = [{"href": "#simulation", "text": message} for message in form.non_field_errors()]
    for name in form.fields:
        bound = form[name]
        items += [{"href": f"#{_anchor(bound)}", "text": f"{bound.label} : {message}"} for message in bound.errors]
    first_lot = f"#{lots.forms[0]['label'].auto_id}" if lots.forms else "#lots"
    items += [{"href": first_lot, "text": f"Lots : {message}"} for message in lots.non_form_errors()]
    for number, lot_form in enumerate(lots.forms, start=1):
        for name in lot_form.fields:
            bound = lot_form[name]
            items += [
                {"href": f"#{bound.auto_id}", "text": f"Lot n° {number} – {bound.label} : {message}"}
                for message in bound.errors
            ]
    return items


def _present(result: ProcedureResult) -> dict:
    """French-formatted amounts for the template (the engine returns Decimals)."""
    return {
        "total": format_eur(result.total_value_ht),
        "small_lots": [(lot, format_eur(lot.total_value_ht)) for lot in result.small_lots],
        "alternatives": [(lot, format_eur(lot.total_value_ht)) for lot in result.small_lot_alternatives],
        "small_lots_cap": format_eur(result.small_lots_cap_ht) if result.small_lots_cap_ht is not None else None,
        "lots": [(lot, format_eur(lot.value_per_period_ht), format_eur(lot.total_value_ht)) for lot in result.lots],
        "thresholds": [(row, format_threshold(row), KEY_LABELS[row.key]) for row in result.thresholds_used],
    }


def simulator(request):
    result = None
    if request.method == "POST":
        form = SimulationForm(request.POST)
        lots = LotFormSet(request.POST, prefix=LOT_PREFIX)
        if form.is_valid() and lots.is_valid():
            try:
                result = evaluate(form.to_input(lots.lots()))
            except RulesInputError as error:
                _attach_rules_error(form, lots, error)
    else:
        form = SimulationForm()
        lots = LotFormSet(prefix=LOT_PREFIX)
    form.link_descriptions()
    lots.link_descriptions()
    errors = _error_summary(form, lots) if request.method == "POST" else []
    context = {
        "nav": "simulator",
        "form": form,
        "lots": lots,
        "errors": errors,
        "field_groups": [
            ("Le marché", [form["nature"], form["buyer_kind"], form["launch_date"]]),
            ("Durée et options", [form["duration_months"], form["renewals"], form["options_value_ht"]]),
            (
                "Accord-cadre",
                [
                    form["framework_agreement"],
                    form["framework_maximum_ht"],
                    form["framework_maximum_basis"],
                    form["duration_justification"],
                ],
            ),
        ],
        "result": result,
        "display": _present(result) if result else None,
    }
    return render(request, "procurement/simulator.html", context)
