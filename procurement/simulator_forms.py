"""Forms of the public procedure simulator page (`/simulateur/`)."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from procurement.rules import MAX_AMOUNT, MAX_DURATION_MONTHS, MAX_RENEWALS, Lot, ProcedureInput

LOT_ROWS = 5


class EuroField(forms.DecimalField):
    """A euro amount typed the French way: `12 500,50`, `12500.50` or `12 500 €` are all accepted."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 15)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_value", MAX_AMOUNT)
        super().__init__(**kwargs)
        self.error_messages.update(
            {
                "invalid": "Indiquez un montant en euros, par exemple « 12 500,00 ».",
                "max_value": "Le montant dépasse 1 000 milliards d'euros : vérifiez la saisie.",
                "min_value": "Le montant doit être strictement positif."
                if (self.min_value or 0) > 0
                else "Le montant ne peut pas être négatif.",
                "max_decimal_places": "Indiquez au plus deux chiffres après la virgule (centimes).",
                "max_digits": "Montant trop long.",
            }
        )

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "")
            value = value.replace(",", ".")
        return super().to_python(value)


class AccessibleFormMixin:
    """Links help texts and errors to their field (`aria-describedby`, `aria-invalid`)."""

    def link_descriptions(self) -> None:
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}_aide")
            if self.is_bound and bound.errors:
                ids.append(f"{bound.auto_id}_erreurs")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)


class SimulationForm(AccessibleFormMixin, forms.Form):
    nature = forms.ChoiceField(
        label="Nature du marché",
        choices=[("supplies", "Fournitures"), ("services", "Services"), ("works", "Travaux")],
        initial="supplies",
    )
    buyer_kind = forms.ChoiceField(
        label="Acheteurs",
        choices=[
            ("local", "Uniquement des collectivités et établissements locaux (communes, EPCI, départements, EPLE…)"),
            ("central", "Au moins une autorité publique centrale (services de l'État, UGAP…)"),
        ],
        initial="local",
        widget=forms.RadioSelect,
    )
    launch_date = forms.DateField(
        label="Date de lancement de la consultation",
        help_text="Date d'envoi de l'avis d'appel à la concurrence ou, à défaut, de lancement de la consultation.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": "Indiquez une date valide, par exemple 01/06/2026."},
    )
    duration_months = forms.IntegerField(
        label="Durée de la période ferme (mois)",
        min_value=1,
        max_value=MAX_DURATION_MONTHS,
        initial=12,
        error_messages={"min_value": "La durée doit être d'au moins un mois."},
    )
    renewals = forms.IntegerField(
        label="Nombre de reconductions",
        help_text="Chaque reconduction dure autant que la période ferme.",
        min_value=0,
        max_value=MAX_RENEWALS,
        initial=0,
        error_messages={"min_value": "Le nombre de reconductions ne peut pas être négatif."},
    )
    options_value_ht = EuroField(
        label="Valeur des options (€ HT, toute la durée)", required=False, min_value=Decimal("0")
    )
    framework_agreement = forms.BooleanField(label="Le marché est un accord-cadre", required=False)
    framework_maximum_ht = EuroField(
        label="Maximum de l'accord-cadre (€ HT)",
        help_text="Obligatoire pour un accord-cadre (R2162-4).",
        required=False,
        min_value=Decimal("0.01"),
    )
    framework_maximum_basis = forms.ChoiceField(
        label="Le maximum porte sur",
        choices=[("period", "Chaque période (période ferme et chaque reconduction)"), ("total", "Toute la durée")],
        initial="period",
        widget=forms.RadioSelect,
    )
    duration_justification = forms.CharField(
        label="Justification d'une durée supérieure à quatre ans",
        help_text="Uniquement pour un accord-cadre de plus de 48 mois, reconductions comprises (L2125-1).",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def to_input(self, lots: list[Lot]) -> ProcedureInput:
        data = self.cleaned_data
        return ProcedureInput(
            nature=data["nature"],
            buyer_kind=data["buyer_kind"],
            launch_date=data["launch_date"],
            lots=lots,
            duration_months=data["duration_months"],
            renewals=data["renewals"],
            options_value_ht=data["options_value_ht"] or Decimal("0"),
            framework_agreement=data["framework_agreement"],
            framework_maximum_ht=data["framework_maximum_ht"],
            framework_maximum_basis=data["framework_maximum_basis"],
            duration_justification=data["duration_justification"],
        )


class LotForm(AccessibleFormMixin, forms.Form):
    label = forms.CharField(label="Intitulé du lot", max_length=200, required=False)
    estimated_value_ht = EuroField(label="Montant estimé par période (€ HT)", required=False, min_value=Decimal("0.01"))

    def clean(self):
        data = super().clean()
        if data.get("label") and data.get("estimated_value_ht") is None and "estimated_value_ht" not in self.errors:
            self.add_error("estimated_value_ht", "Indiquez le montant de ce lot, ou videz la ligne.")
        return data


class BaseLotFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        if not self.lots():
            raise ValidationError("Indiquez au moins un lot avec son montant.", code="no_lot")

    def lots(self) -> list[Lot]:
        """Rows with an amount, in order; empty rows are ignored."""
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("estimated_value_ht") is not None:
                rows.append(Lot(data.get("label") or "", data["estimated_value_ht"]))
        return rows

    def link_descriptions(self) -> None:
        for form in self.forms:
            form.link_descriptions()


LotFormSet = formset_factory(LotForm, formset=BaseLotFormSet, extra=LOT_ROWS, max_num=LOT_ROWS, absolute_max=20)
