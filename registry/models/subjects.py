"""Market subjects and their former names."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Func, Q, TextField
from django.db.models.functions import Collate, Length
from django.utils.translation import gettext_lazy as _

from registry import crypto
from registry.choices import (
    District,
    SubjectStatus,
    SubjectType,
)
from registry.validators import validate_registration_number

ID_NUMBER_PURPOSE = "subject.legal_representative_id"


class CurrentName(Func):
    """The normalised current name: the first line of ``search_text`` (former names follow)."""

    template = "split_part(%(expressions)s, E'\\n', 1)"
    output_field = TextField()


def current_name() -> CurrentName:
    return CurrentName(F("search_text"))


def current_name_key() -> Collate:
    """The normalised current name in code point order ("C"), the order of a ranked name search
    (registry/search.py ``rank_by_name``; ``NameGram`` stores it in that order)."""
    return Collate(current_name(), "C")


def current_name_length() -> Length:
    return Length(current_name())


class SubjectQuerySet(models.QuerySet):
    def by_key(self, raw: str):
        """Look a subject up by credit code or legacy registration number (normalised)."""
        from registry.codes import normalise_code

        key = normalise_code(raw)
        return self.filter(Q(code=key) | Q(registration_number=key))


class Subject(models.Model):
    """A market subject keyed by its unified social credit code (GB 32100-2015)."""

    code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    # Set when a regulator accepted a code that fails a check (DOMAIN.md 1): which check, and why.
    code_check_failure = models.CharField(_("failed code check"), max_length=30, blank=True)
    code_override_reason = models.TextField(_("reason for accepting the code"), blank=True)
    registration_number = models.CharField(
        _("registration number"),
        max_length=15,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_registration_number],
    )
    name = models.CharField(_("name"), max_length=200)
    subject_type = models.CharField(_("subject type"), max_length=30, choices=SubjectType.choices)
    category_code = models.CharField(_("code category"), max_length=2)
    division_code = models.CharField(_("division code"), max_length=6)
    district = models.CharField(_("district"), max_length=6, choices=District.choices, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    legal_representative_id_cipher = models.BinaryField(
        _("legal representative ID number (encrypted)"), null=True, blank=True, editable=False
    )
    # "<key id>$<HMAC-SHA256 hex>" (registry/crypto.py): the key id lets the index be re-keyed.
    legal_representative_id_index = models.CharField(
        _("legal representative ID blind index"), max_length=80, blank=True, db_index=True, editable=False
    )
    registered_address = models.CharField(_("registered address"), max_length=300, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    registered_capital = models.DecimalField(
        _("registered capital (10k CNY)"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SubjectStatus.choices, default=SubjectStatus.ACTIVE
    )
    # Search support (registry/ngrams.py): normalised names and their bigrams + trigrams.
    search_text = models.TextField(editable=False, default="")
    search_grams = ArrayField(models.CharField(max_length=3), editable=False, default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SubjectQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        permissions = [
            ("accept_invalid_code", _("Can accept a credit code that fails a check")),
        ]
        indexes = [
            # Names by their grams: the API's name matching (registry/api/matching.py) and the
            # unranked name search of the admin; a ranked search walks NameGram instead.
            GinIndex(fields=["search_grams"], name="registry_subject_grams_gin"),
            models.Index(fields=["district", "subject_type"], name="registry_subject_district"),
            models.Index(fields=["updated_at"], name="registry_subject_updated"),
            # The API's subject list by type, in its order (code): a page and a capped count
            # read the type's entries only (bench/README.md).
            models.Index(fields=["subject_type", "code"], name="registry_subject_type_code"),
            # ... and by district, in the same order.
            models.Index(fields=["district", "code"], name="registry_subject_district_code"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_natural_person_business(self) -> bool:
        """Individual businesses are run by a natural person whose data is never public."""
        return self.type_is_natural_person(self.subject_type)

    @staticmethod
    def type_is_natural_person(subject_type: str) -> bool:
        """The rule of ``is_natural_person_business`` for a subject read as values (DOMAIN.md 6)."""
        return subject_type == SubjectType.INDIVIDUAL_BUSINESS

    def _id_number_binding(self) -> str:
        return crypto.binding(self._meta.db_table, "legal_representative_id_cipher", self.pk)

    def set_legal_representative_id(self, number: str) -> None:
        """Store an identity number encrypted (bound to this row: set ``pk`` first), with its blind
        index; '' clears it."""
        if not number:
            self.legal_representative_id_cipher = None
            self.legal_representative_id_index = ""
            return
        self.legal_representative_id_cipher = crypto.encrypt(number, self._id_number_binding())
        self.legal_representative_id_index = crypto.blind_index(number, ID_NUMBER_PURPOSE)

    def get_legal_representative_id(self) -> str:
        if not self.legal_representative_id_cipher:
            return ""
        return crypto.decrypt(
            self.legal_representative_id_cipher, self._id_number_binding(), legacy_purpose=ID_NUMBER_PURPOSE
        )


class SubjectName(models.Model):
    """A former name of a subject, kept for search and for the public name history."""

    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="former_names", verbose_name=_("subject")
    )
    name = models.CharField(_("name"), max_length=200)
    used_until = models.DateField(_("used until"))

    class Meta:
        ordering = ["subject", "-used_until"]
        verbose_name = _("former name")
        verbose_name_plural = _("former names")

    def __str__(self) -> str:
        return self.name


class NameGram(models.Model):
    """One bigram of a subject's normalised names, in the order a name search ranks by: the
    search (registry/search.py) reads a page and a capped count of a name as index-only range
    scans of the primary key, with a LIMIT, instead of ranking every match (issue 13,
    docs/search.md).

    Derived data, like an index: the database keeps it from ``Subject.search_text`` with the
    triggers of migration 0019 (every writer, the services, the importer and the COPY loaders
    alike), so no code writes it. ``tier`` is the bigram's place in the current name (0: the
    name is the bigram, 1: starts with it, 2: contains it) or 3 for a former name (one row per
    bigram and subject; ``formers`` holds the former names, one a line); ``length`` and ``name``
    are the *current* name's, the order of every tier."""

    pk = models.CompositePrimaryKey("gram", "tier", "length", "name", "subject")
    gram = models.CharField(max_length=2, db_collation="C")
    tier = models.SmallIntegerField()
    length = models.SmallIntegerField()
    name = models.TextField(db_collation="C")
    subject = models.ForeignKey(
        Subject, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    formers = models.TextField(default="", blank=True)

    class Meta:
        verbose_name = _("name bigram")
        verbose_name_plural = _("name bigrams")

    def __str__(self) -> str:
        return f"{self.gram} {self.tier} {self.name}"
