"""Cache refresh (a cross-cutting concern, STYLE.md): changes to subjects and records bump the
cached versions so public pages never show stale data for longer than a commit takes."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from disclosure import cache
from registry.models import CreditRecord, Subject, SubjectName


def _bump(subject_id: int | None) -> None:
    if subject_id is None:
        return
    # Bump now (this process sees the change at once) and again after commit, so a page cached
    # by a concurrent request from the pre-commit state is dropped too.
    cache.bump_subject(subject_id)
    transaction.on_commit(lambda: cache.bump_subject(subject_id))


@receiver(post_save, sender=CreditRecord, dispatch_uid="disclosure.record_saved")
def record_saved(sender, instance: CreditRecord, **kwargs) -> None:
    _bump(instance.subject_id)


@receiver(post_save, sender=Subject, dispatch_uid="disclosure.subject_saved")
def subject_saved(sender, instance: Subject, **kwargs) -> None:
    _bump(instance.pk)


@receiver(post_save, sender=SubjectName, dispatch_uid="disclosure.subject_name_saved")
def subject_name_saved(sender, instance: SubjectName, **kwargs) -> None:
    _bump(instance.subject_id)
