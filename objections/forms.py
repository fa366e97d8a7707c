"""Forms of objections and credit repair. Uploads are checked by content here (core/uploads.py),
so views hand services only ``CheckedUpload``s; the rules themselves live in the services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.uploads import MultipleFileField
from objections.services.objections import MAX_ATTACHMENTS, MAX_REASON
from objections.services.repairs import CREDIT_COMMITMENT, MAX_STATEMENT
from objections.services.repairs import MAX_ATTACHMENTS as MAX_PROOF
from registry.admin_corrections import CorrectionForm


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, else on the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class ObjectionForm(forms.Form):
    """An objection to a public record: who to answer, what is wrong, the evidence."""

    name = forms.CharField(label=_("Your name or organisation"), max_length=100)
    email = forms.EmailField(
        label=_("E-mail"), help_text=_("The tracking link and the result are sent here. Never published.")
    )
    phone = forms.CharField(
        label=_("Telephone"),
        max_length=30,
        required=False,
        help_text=_("Optional: the department may call you. Never published."),
    )
    reason = forms.CharField(
        label=_("What is wrong with the record, and why"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=MAX_REASON,
    )
    attachments = MultipleFileField(
        label=_("Evidence"),
        required=False,
        max_files=MAX_ATTACHMENTS,
        help_text=_("Optional: PDF, PNG or JPEG, up to 5 files."),
    )


class TrackLookupForm(forms.Form):
    number = forms.CharField(label=_("Tracking number"), max_length=20)
    token = forms.CharField(label=_("Tracking token"), max_length=64)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (optional)"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )


class RepairForm(forms.Form):
    """A credit-repair application: the obligations performed, the proof, the commitment."""

    statement = forms.CharField(
        label=_("How the obligations of the decision were performed"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_STATEMENT,
        help_text=_("E.g. the fine paid on which day, what was rectified and how."),
    )
    attachments = MultipleFileField(
        label=_("Proof"), max_files=MAX_PROOF, help_text=_("PDF, PNG or JPEG, up to 5 files.")
    )
    commitment_accepted = forms.BooleanField(label=CREDIT_COMMITMENT)


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the refusal is wrong"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class StepForm(forms.Form):
    """A reviewer's step in the admin: which one, and the reason the filer receives."""

    step = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the filer. Required except when accepting or forwarding."),
    )

    def __init__(self, *args, steps: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = steps


class RecordCorrectionForm(CorrectionForm):
    """The record's content as it should read after the objection (a new version)."""
