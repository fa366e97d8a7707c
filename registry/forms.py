"""Admin forms of the registry: validation lives here so errors show on the form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from registry import pii
from registry.choices import PenaltyType
from registry.codes import CodeError, parse_identity_number
from registry.models import CreditRecord, Subject
from registry.services import FREE_TEXT_FIELDS, RECORD_FIELDS, SUBJECT_FIELDS, check_subject_code


class SubjectForm(forms.ModelForm):
    legal_representative_id = forms.CharField(
        label=_("Legal representative ID number"),
        required=False,
        help_text=_("Stored encrypted and never shown publicly. Leave empty to keep the stored one."),
        widget=forms.PasswordInput(render_value=False),
    )
    accept_invalid_reason = forms.CharField(
        label=_("Reason for accepting a code that fails a check"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only for codes really issued that fail a check; needs a special permission."),
    )

    class Meta:
        model = Subject
        fields = ["code", *SUBJECT_FIELDS]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk and "code" in self.fields:  # (a read-only view has no fields)
            self.fields["code"].disabled = True
            self.fields.pop("accept_invalid_reason", None)

    def clean_code(self):
        if self.instance.pk:
            return self.instance.code
        try:
            code, failed = check_subject_code(
                self.cleaned_data["code"], self.user, self.data.get("accept_invalid_reason", "")
            )
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["code"]) from exc
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from exc
        self.code_check_failure = failed
        return code

    def clean_legal_representative_id(self):
        value = self.cleaned_data.get("legal_representative_id", "")
        if not value:
            return None  # keep what is stored
        try:
            return parse_identity_number(value)
        except CodeError as exc:
            raise ValidationError(exc.message) from exc

    def _post_clean(self):
        # Derived fields (type, district, search grams) are set by the service on save.
        code = self.cleaned_data.get("code")
        if code and not self.instance.pk:
            self.instance.category_code = code[:2]
            self.instance.division_code = code[2:8]
            self.instance.subject_type = "other"
        super()._post_clean()


class CreditRecordForm(forms.ModelForm):
    # Ticked by their Chinese names (罚款, 警告); the ArrayField's default is a text box of keys.
    penalty_types = forms.MultipleChoiceField(
        label=_("Penalty types"),
        choices=PenaltyType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick every type of penalty the decision imposes."),
    )

    redact_personal_numbers = forms.BooleanField(
        label=_("Replace personal numbers by a marker"),
        required=False,
        help_text=_(
            "Identity, mobile and bank card numbers in the text are never published (DOMAIN.md 10). "
            "Tick to confirm that each is replaced by a marker; the original is kept encrypted."
        ),
    )

    class Meta:
        model = CreditRecord
        fields = ["subject", "department", *RECORD_FIELDS]

    def clean_penalty_types(self) -> list[str]:
        """In the order given, each once (as the importer stores them)."""
        return list(dict.fromkeys(self.cleaned_data["penalty_types"]))

    def clean(self):
        """Personal numbers in the free text are named on their field (the service refuses them too)."""
        cleaned = super().clean()
        if not cleaned.get("redact_personal_numbers"):
            texts = {name: cleaned.get(name) or "" for name in FREE_TEXT_FIELDS if name in self.fields}
            for name, found in pii.numbers_only(pii.scan(texts, names=False)).items():
                for finding in found:
                    self.add_error(name, pii.describe(str(self.fields[name].label), finding))
        return cleaned
