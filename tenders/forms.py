from django import forms
from django.utils.translation import gettext_lazy as _

from tenders.selectors_public import DEFAULT_ORDERING, DemandFilters

ORDERING_CHOICES = [
    ("-published_at", _("Publiées récemment")),
    ("published_at", _("Publiées il y a longtemps")),
    ("expected_launch_date", _("Lancement le plus proche")),
    ("-expected_launch_date", _("Lancement le plus lointain")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PublishForm(forms.Form):
    title = forms.CharField(label=_("Intitulé de la publication"), max_length=200)
    summary = forms.CharField(
        label=_("Présentation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Texte libre visible de tous : ne mentionnez ni budget, ni prix, ni établissement."),
    )
    expected_launch_date = forms.DateField(label=_("Lancement prévu de la consultation"), widget=DateInput())
    expected_delivery_start = forms.DateField(label=_("Début des livraisons"), required=False, widget=DateInput())
    expected_delivery_end = forms.DateField(label=_("Fin des livraisons"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("expected_delivery_start"), data.get("expected_delivery_end")
        if start and end and end < start:
            self.add_error("expected_delivery_end", _("La fin des livraisons doit suivre leur début."))
        return data


class DemandFilterForm(forms.Form):
    """GET filters of the public list and the vendor space. Choices come from the published snapshots."""

    q = forms.CharField(label=_("Rechercher"), required=False, widget=forms.TextInput(attrs={"type": "search"}))
    # Free values behind a select: an unknown code filters to nothing, as in the API, instead of being ignored.
    famille = forms.CharField(label=_("Famille"), required=False, max_length=100, widget=forms.Select)
    territoire = forms.CharField(label=_("Territoire"), required=False, max_length=200, widget=forms.Select)
    tri = forms.ChoiceField(label=_("Trier par"), required=False, choices=ORDERING_CHOICES)

    def __init__(self, *args, facets: dict[str, list[tuple[str, str]]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["famille"].widget.choices = [("", _("Toutes les familles")), *facets["families"]]
        self.fields["territoire"].widget.choices = [("", _("Tous les territoires")), *facets["territories"]]

    def to_filters(self) -> DemandFilters:
        # An invalid field (e.g. an unknown sort) is dropped alone: it is missing from cleaned_data.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return DemandFilters(
            q=(data.get("q") or "").strip()[:200],
            family=data.get("famille") or "",
            territory=data.get("territoire") or "",
            ordering=data.get("tri") or DEFAULT_ORDERING,
        )
