from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings

from portal.models import TIMEZONE_CHOICES

from .parsers import choices


class SubmissionForm(forms.Form):
    file = forms.FileField(
        required=False,
        help_text="A log file: plain text, .gz or .zip (one log per zip).",
    )
    text = forms.CharField(
        label="…or paste log lines",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace", "spellcheck": "false"}),
    )
    format = forms.ChoiceField(
        choices=[("", "Recognise automatically"), *choices()],
        required=False,
        help_text="Choose it if the portal does not recognise your log.",
    )
    timezone = forms.ChoiceField(
        label="Time zone of the log",
        choices=TIMEZONE_CHOICES,
        help_text="Used for lines that carry no zone of their own.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["timezone"].initial = user.timezone
        self.helper = FormHelper()
        self.helper.form_action = "submission-new"
        self.helper.attrs = {"enctype": "multipart/form-data"}
        self.helper.add_input(Submit("submit", "Submit log"))

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and upload.size > settings.UPLOAD_MAX_BYTES:
            limit = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(
                f"The file is {upload.size / (1024 * 1024):.1f} MB; the limit is {limit} MB. "
                "Compress it with gzip or zip, or split it into parts."
            )
        return upload

    def clean(self):
        data = super().clean()
        has_file, has_text = bool(data.get("file")), bool((data.get("text") or "").strip())
        if has_file == has_text and not self.errors:
            raise forms.ValidationError("Upload a file or paste log lines (one of the two).")
        return data
