"""The form for uploading an LA's front-door export."""

from __future__ import annotations

from django import forms

from threshold.web.core.forms import GovUKForm
from threshold.web.insights.services import import_limits

FORMAT_CHOICES = (
    ("ssd", "Standard Safeguarding Dataset extract (CSV: ssd_contacts or ssd_cin_episodes)"),
    ("annex-a", "Ofsted Annex A (workbook with Lists 1 and 3, or one list as CSV)"),
    ("cin-xml", "Children in Need census return (XML)"),
    ("mapped", "Another CSV or Excel export, read through a profile"),
)
MSG_FORMAT = "Select what kind of export it is"
MSG_NEEDS_PROFILE = "Choose the profile (.toml) that maps this export's columns"
MSG_TOO_LARGE = (
    "The file is {size:,} bytes, over the limit of {limit:,}: split the export (for example by "
    "date) into smaller files"
)


class ImportForm(GovUKForm):
    file = forms.FileField(label="The export", help_text="A .csv, .xlsx or .xml file")
    format = forms.ChoiceField(
        label="What kind of export is it?",
        choices=FORMAT_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": MSG_FORMAT},
    )
    profile = forms.FileField(
        label="Profile (only for another export)",
        required=False,
        help_text="A .toml file naming the export's column for each field",
    )

    def clean_file(self) -> object:
        """Refuse an upload over the import's size limit before it is imported."""
        upload = self.cleaned_data["file"]
        limit = import_limits().file_bytes
        if upload.size > limit:
            raise forms.ValidationError(MSG_TOO_LARGE.format(size=upload.size, limit=limit))
        return upload

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("format") == "mapped" and not cleaned.get("profile"):
            self.add_error("profile", MSG_NEEDS_PROFILE)
        return cleaned
