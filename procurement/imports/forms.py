from django import forms

from procurement.imports.reading import max_file_bytes


class NeedsImportForm(forms.Form):
    collectivity = forms.ModelChoiceField(label="Collectivité", queryset=None, empty_label=None)
    file = forms.FileField(
        label="Fichier de besoins",
        help_text="Classeur Excel (.xlsx) ou fichier CSV, par exemple le modèle rempli ou un export modifié.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.csv,.txt"}),
    )

    def __init__(self, *args, collectivities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collectivity"].queryset = collectivities
        if collectivities.count() == 1:
            self.fields["collectivity"].initial = collectivities.first()
            self.fields["collectivity"].widget = forms.HiddenInput()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_file_bytes():
            limit = max_file_bytes() / 1024 / 1024
            raise forms.ValidationError(f"Le fichier dépasse {limit:.0f} Mo : découpez-le en plusieurs fichiers.")
        return upload
