"""Forms of the enterprise portal. Uploads are checked by content here (core/uploads.py), so
a view hands services only ``CheckedUpload``s; the rules themselves live in the services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from core import uploads
from core.uploads import check_upload
from enterprises.choices import BindingRole, InvestmentKind
from enterprises.models import AnnualReport, InstantDisclosure, VoluntaryRegistration
from enterprises.services.voluntary import AUTHENTICITY_COMMITMENT, MAX_ATTACHMENTS, SHARING_AUTHORISATION

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, else on the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class BindingRequestForm(forms.Form):
    code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        help_text=_("The 18-character code of the enterprise you act for."),
    )
    role = forms.ChoiceField(label=_("Your role"), choices=BindingRole.choices, widget=forms.RadioSelect)
    letter = forms.FileField(
        label=_("Authorisation letter"),
        help_text=_("PDF, PNG or JPEG, signed and stamped by the enterprise."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    def clean_letter(self):
        return check_upload(self.cleaned_data["letter"])


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class AnnualReportForm(forms.ModelForm):
    website = forms.URLField(label=_("Website or online shop"), required=False, assume_scheme="https")

    class Meta:
        model = AnnualReport
        fields = [
            "mailing_address",
            "postcode",
            "telephone",
            "email",
            "contact_is_personal",
            "website",
            "operating_status",
            "employee_count",
            "total_assets",
            "total_revenue",
            "tax_paid",
            "publish_operating_data",
        ]


class InvestmentForm(forms.Form):
    name = forms.CharField(label=_("Enterprise invested in"), max_length=200, required=False)
    code = forms.CharField(label=_("Its credit code"), max_length=18, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=InvestmentKind.choices, required=False)
    amount = forms.DecimalField(
        label=_("Amount (10k CNY)"), max_digits=16, decimal_places=4, min_value=0, required=False
    )

    def clean(self):
        data = super().clean()
        if (data.get("code") or data.get("amount") is not None) and not data.get("name"):
            raise ValidationError(_("Name the enterprise invested in."))
        if data.get("name") and not data.get("kind"):
            self.add_error("kind", _("Choose the kind."))
        return data


InvestmentFormSet = forms.formset_factory(InvestmentForm, extra=2, max_num=50)


class InstantForm(forms.ModelForm):
    correction_reason = forms.CharField(
        label=_("Reason for the correction"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = InstantDisclosure
        fields = ["kind", "event_date", "title", "details", "amount"]
        widgets = {"event_date": DATE, "details": forms.Textarea(attrs={"rows": 4})}


class MultipleFileField(uploads.MultipleFileField):
    """Several files in one input, each checked by content (at most ``MAX_ATTACHMENTS``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_files", MAX_ATTACHMENTS)
        super().__init__(*args, **kwargs)


class VoluntaryForm(forms.ModelForm):
    attachments = MultipleFileField(
        label=_("Supporting files"), help_text=_("PDF, PNG or JPEG; up to 5 files.")
    )
    commitment_accepted = forms.BooleanField(label=AUTHENTICITY_COMMITMENT, required=True)
    share_authorised = forms.BooleanField(label=SHARING_AUTHORISATION, required=True)

    class Meta:
        model = VoluntaryRegistration
        fields = ["kind", "title", "description", "issuer", "issued_on", "valid_until"]
        widgets = {"issued_on": DATE, "valid_until": DATE, "description": forms.Textarea(attrs={"rows": 4})}


class SignForm(forms.Form):
    reference = forms.CharField(
        label=_("Application or case reference"),
        max_length=100,
        required=False,
        help_text=_("What you sign it for, e.g. the licence application number."),
    )
    agree = forms.BooleanField(
        label=_("I have read the full text and sign this commitment for the enterprise.")
    )


class GrantForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.filter(is_active=True))
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_until = forms.DateField(label=_("Valid until (last day)"), widget=DATE)


class RemovalForm(forms.Form):
    listing_record = forms.ModelChoiceField(label=_("Listing"), queryset=None)
    statement = forms.CharField(
        label=_("Statement"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("Which reports you filed, and why the subject should leave the list."),
    )

    def __init__(self, *args, listings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["listing_record"].queryset = listings
        self.fields["listing_record"].label_from_instance = lambda record: (
            f"{record.document_number} {record.case_name} ({record.department.name}, {record.decision_date})"
        )


class DecisionForm(forms.Form):
    """A regulator's decision in the admin: approve, or refuse with a reason."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when refusing; sent to the applicant."),
    )


class BreakCommitmentForm(forms.Form):
    document_number = forms.CharField(label=_("Decision document number"), max_length=100)
    decision_date = forms.DateField(label=_("Decision date"), widget=DATE, required=False)
    reason = forms.CharField(label=_("How it was broken"), widget=forms.Textarea(attrs={"rows": 3}))
