from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from catalog.models import Family
from catalog.textnorm import extract_quantity
from procurement.models import Collectivity, GroupingMemberStatus, NeedLine, Site, Unit


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _preview_as_typed(field: forms.Field, *, include: str = "", collectivity: int | None = None) -> None:
    """As the buyer types, the catalog article the wording will be matched to is shown under the field."""
    attrs = {
        "hx-get": reverse_lazy("catalog:match_preview"),
        "hx-trigger": "input changed delay:400ms, load",
        "hx-target": "#apercu-rapprochement",
        "aria-describedby": "id_text_helptext apercu-rapprochement",
    }
    if include:
        attrs["hx-include"] = include
    if collectivity is not None:
        attrs["hx-vals"] = f'{{"collectivity": {int(collectivity)}}}'
    field.widget.attrs.update(attrs)


class NeedLineForm(forms.ModelForm):
    collectivity = forms.ModelChoiceField(
        label=_("Collectivité"), queryset=Collectivity.objects.none(), empty_label=None
    )

    class Meta:
        model = NeedLine
        fields = ["collectivity", "text", "quantity", "unit", "site", "wished_delivery_date", "budget_ht"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2, "maxlength": 1000}),
            "wished_delivery_date": DateInput(),
        }
        help_texts = {
            "text": _("Écrivez le besoin comme vous le feriez d'habitude, par exemple « 15 tablettes 10 pouces CM1 »."),
            "site": _("École, collège ou lycée de livraison (code UAI). Laissez vide pour une livraison centrale."),
            "budget_ht": _("Facultatif. Reste confidentiel : il n'est jamais publié."),
        }

    def __init__(self, *args, collectivities, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collectivity"].queryset = collectivities
        self.single_collectivity = collectivities.first() if collectivities.count() == 1 else None
        if self.single_collectivity:
            # One possible collectivité: nothing to choose, nothing to post.
            self.fields["collectivity"].widget = forms.HiddenInput()
            self.fields["collectivity"].required = False
        self.fields["site"].queryset = sites
        self.fields["site"].label_from_instance = lambda s: f"{s.name} — {s.uai} ({s.get_kind_display()})"
        self.fields["site"].empty_label = _("Livraison centrale (pas de site)")
        self.fields["quantity"].widget.attrs.update({"min": 1, "max": 1_000_000})
        self.fields["budget_ht"].widget.attrs.update({"min": 0, "step": "0.01"})
        # The quantity may be written in the wording instead ("15 tablettes"): the field can stay empty.
        self.fields["quantity"].required = False
        self.fields["quantity"].help_text = _("Laissez vide si la désignation commence par la quantité.")
        _preview_as_typed(self.fields["text"], include="[name='collectivity']")

    def clean_collectivity(self):
        return self.cleaned_data.get("collectivity") or self.single_collectivity

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("quantity") is None and "quantity" not in self.errors:
            quantity, unit, _rest = extract_quantity(cleaned.get("text") or "")
            if quantity is None:
                self.add_error(
                    "quantity",
                    _("Indiquez la quantité, ou écrivez-la au début de la désignation (« 15 tablettes »)."),
                )
            else:
                cleaned["quantity"] = quantity
                if unit in Unit.values and cleaned.get("unit") in (None, "", Unit.UNIT):
                    cleaned["unit"] = unit
        return cleaned

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("collectivity", None)
        return data


class NeedLineEditForm(NeedLineForm):
    class Meta(NeedLineForm.Meta):
        fields = ["text", "quantity", "unit", "site", "wished_delivery_date", "budget_ht"]

    def __init__(self, *args, sites, **kwargs):
        forms.ModelForm.__init__(self, *args, **kwargs)
        _preview_as_typed(self.fields["text"], collectivity=self.instance.collectivity_id)
        self.fields["site"].queryset = sites
        self.fields["site"].label_from_instance = lambda s: f"{s.name} — {s.uai} ({s.get_kind_display()})"
        self.fields["site"].empty_label = _("Livraison centrale (pas de site)")


SPLIT_CHOICES = [
    ("none", _("Un lot par famille homogène")),
    ("territory", _("Par famille et par territoire (EPCI ou département des membres)")),
    ("delivery_window", _("Par famille et par trimestre de livraison souhaité")),
]


def _counts(row: dict) -> str:
    """« 2 lignes, 18 unités, 1 membre »: what a choice of the grouping form would pool, counted in French."""
    return ", ".join(
        f"{row[key]} {word}{'s' if (row[key] or 0) >= 2 else ''}"
        for key, word in (("lines", "ligne"), ("quantity", "unité"), ("members", "membre"))
    )


class GroupingCreateForm(forms.Form):
    title = forms.CharField(label=_("Intitulé du groupement"), max_length=200)
    families = forms.ModelMultipleChoiceField(
        label=_("Familles d'achat à regrouper"),
        queryset=Family.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Chaque famille homogène devient un lot."),
    )
    cpv_groups = forms.MultipleChoiceField(
        label=_("Besoins hors catalogue à regrouper"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Lignes déclarées hors catalogue par les acheteurs, par groupe CPV : chaque groupe devient un lot, "
            "estimé d'après les budgets des acheteurs."
        ),
    )
    planned_launch_date = forms.DateField(
        label=_("Lancement prévu de la consultation"), required=False, widget=DateInput()
    )
    duration_months = forms.IntegerField(label=_("Durée du marché (mois)"), min_value=1, max_value=120, initial=12)
    renewals = forms.IntegerField(label=_("Nombre de reconductions"), min_value=0, max_value=10, initial=0)
    split_by = forms.ChoiceField(
        label=_("Découpage des lots"),
        choices=SPLIT_CHOICES,
        initial="none",
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Un lot par famille, ou un lot par famille et par territoire, ou par trimestre de livraison."),
    )

    def __init__(self, *args, family_rows, outside_rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cpv_groups"].choices = [
            (
                row["group"],
                f"{row['group']} — {row['label']} — {_counts(row)}",
            )
            for row in outside_rows
        ]
        ids = [row["catalog_item__family_id"] for row in family_rows]
        self.fields["families"].queryset = Family.objects.filter(pk__in=ids)
        labels = {
            row["catalog_item__family_id"]: f"{row['catalog_item__family__name']} — {_counts(row)}"
            for row in family_rows
        }
        self.fields["families"].label_from_instance = lambda f: labels.get(f.pk, f.name)

    def clean_split_by(self) -> str:
        return self.cleaned_data.get("split_by") or "none"

    def clean(self):
        data = super().clean()
        if not data.get("families") and not data.get("cpv_groups") and "families" not in self.errors:
            self.add_error("families", _("Choisissez au moins une famille d'achat à regrouper."))
        return data


class MemberStatusForm(forms.Form):
    # A member moves forward (accepted → signed) or withdraws; invitations go through "Inviter".
    status = forms.ChoiceField(
        label=_("Nouveau statut"),
        choices=[c for c in GroupingMemberStatus.choices if c[0] != GroupingMemberStatus.INVITED],
    )
    deliberation_reference = forms.CharField(label=_("Référence de la délibération"), max_length=100, required=False)
    deliberation_date = forms.DateField(label=_("Date de la délibération"), required=False, widget=DateInput())


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("Intitulé"), max_length=200)
    scope = forms.CharField(label=_("Périmètre"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    opens_on = forms.DateField(label=_("Ouverture"), widget=DateInput())
    closes_on = forms.DateField(label=_("Clôture"), widget=DateInput())
    members = forms.ModelMultipleChoiceField(
        label=_("Collectivités invitées"),
        queryset=Collectivity.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Maintenez Ctrl (ou Cmd) pour en choisir plusieurs."),
    )

    def __init__(self, *args, member_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = member_choices

    def clean(self):
        data = super().clean()
        if data.get("opens_on") and data.get("closes_on") and data["closes_on"] < data["opens_on"]:
            self.add_error("closes_on", _("La clôture doit être postérieure ou égale à l'ouverture."))
        return data


def site_choices(collectivity: Collectivity):
    return Site.objects.filter(competent_collectivity=collectivity).order_by("kind", "name")
