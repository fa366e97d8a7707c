"""Forms of the public site."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from registry.choices import District, RecordCategory, SubjectType
from registry.models import Department

MAX_REPORT_UPLOAD = 10 * 1024 * 1024


def _blank(label):
    return [("", label)]


class FastSelect(forms.Select):
    """A single ``<select>`` written in Python. Django renders every ``<option>`` through a
    template of its own (about 0.1 ms each): the district and department filters of the public
    pages have 17 and 48 options, which cost more CPU than the 30 records the page lists."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = self.format_value(value)
        options = []
        has_selected = False
        for option_value, option_label in self.choices:
            if isinstance(option_label, (list, tuple)):  # option groups: Django's own rendering
                return super().render(name, value, attrs, renderer)
            text = "" if option_value is None else str(option_value)
            selected = not has_selected and text in chosen
            has_selected |= selected
            mark = " selected" if selected else ""
            options.append(f'<option value="{escape(text)}"{mark}>{escape(str(option_label))}</option>')
        final_attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{final_attrs}>{"".join(options)}</select>')  # noqa: S308 (escaped above)


class PublicForm(forms.Form):
    """No trailing colon after labels: it reads wrong in Chinese and the layout separates them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SearchForm(PublicForm):
    """The search box and its filters (the search itself is registry/search.py). The choices are
    static enums, set once here rather than per request."""

    q = forms.CharField(
        label=_("Name, unified social credit code or registration number"), required=False, max_length=100
    )
    district = forms.ChoiceField(
        label=_("District"),
        required=False,
        choices=_blank(_("All districts")) + District.choices,
        widget=FastSelect,
    )
    type = forms.ChoiceField(
        label=_("Subject type"),
        required=False,
        choices=_blank(_("All types")) + SubjectType.choices,
        widget=FastSelect,
    )
    category = forms.ChoiceField(
        label=_("Has public records of"),
        required=False,
        choices=_blank(_("Any category")) + RecordCategory.choices,
        widget=FastSelect,
    )
    dishonest = forms.BooleanField(label=_("Only subjects with a dishonesty record"), required=False)

    @classmethod
    def filters_key(cls, data: Mapping[str, Any]) -> tuple:
        """What the filter fields' HTML (all but ``q``) depends on besides the language, read from
        the query string without building a form: a choice as given when it is offered ("" for
        none), ``None`` for any other value (every such value renders alike: nothing selected,
        marked invalid), the box ticked or not. Bounded, so it can key an in-process memo."""
        key: list[Any] = []
        for name, field in cls.base_fields.items():
            if name == "q":
                continue
            value = field.widget.value_from_datadict(data, {}, name)
            if isinstance(field, forms.ChoiceField):
                value = value or ""
                value = value if value == "" or field.valid_value(value) else None
            key.append(value)
        return tuple(key)


class FeedFilterForm(PublicForm):
    """Filters of the 双公示 feed."""

    KIND_CHOICES = [
        ("", _("Licences and penalties")),
        (RecordCategory.LICENCE, RecordCategory.LICENCE.label),
        (RecordCategory.PENALTY, RecordCategory.PENALTY.label),
    ]
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=KIND_CHOICES, widget=FastSelect)
    department = forms.ModelChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.filter(is_active=True),
        widget=FastSelect,
    )
    date = forms.DateField(
        label=_("Publication date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].empty_label = _("All departments")


class ListFilterForm(PublicForm):
    """Filters of a public list page."""

    district = forms.ChoiceField(label=_("District"), required=False, choices=(), widget=FastSelect)
    department = forms.ModelChoiceField(
        label=_("Listing department"),
        required=False,
        queryset=Department.objects.filter(is_active=True),
        widget=FastSelect,
    )
    listed_from = forms.DateField(
        label=_("Listed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    listed_until = forms.DateField(
        label=_("Listed until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = _blank(_("All districts")) + list(District.choices)
        self.fields["department"].empty_label = _("All departments")

    def clean(self):
        data = super().clean()
        if (
            data.get("listed_from")
            and data.get("listed_until")
            and data["listed_from"] > data["listed_until"]
        ):
            self.add_error("listed_until", _("The end of the period is before its start."))
        return data


class ListChangesForm(PublicForm):
    """Filters of a list's additions and removals."""

    since = forms.DateField(label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    district = forms.ChoiceField(label=_("District"), required=False, choices=(), widget=FastSelect)
    department = forms.ModelChoiceField(
        label=_("Listing department"),
        required=False,
        queryset=Department.objects.filter(is_active=True),
        widget=FastSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = _blank(_("All districts")) + list(District.choices)
        self.fields["department"].empty_label = _("All departments")


class VerifyLookupForm(PublicForm):
    number = forms.CharField(label=_("Report number"), max_length=40)


class VerifyUploadForm(PublicForm):
    report_file = forms.FileField(label=_("The report PDF you received"))

    def clean_report_file(self):
        upload = self.cleaned_data["report_file"]
        if upload.size > MAX_REPORT_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 10 MB; a credit report is much smaller."))
        return upload
