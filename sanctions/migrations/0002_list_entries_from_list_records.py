"""A list entry for every existing list-category record (DOMAIN.md 4: one row per listing).

Until now list membership was carried by credit records of the list categories (dishonest judgment
debtors, business abnormality, serious dishonesty, red-list honours). From here on the sanctions
app's ``ListEntry`` is the source and the record shows it; this takes every such record over as
an entry (origin 'adopted'), with the status its record implies: published and not past its last
day -> on the list; unpublished -> awaiting publication; expired, repaired, revoked, or published
but past ``valid_until`` -> ended. One transition row and one chained ledger entry
(``sanctions.listentry.adopted``) per entry, in batches. Reversible: the entries, their rows and
nothing else go (the ledger keeps its entries, as it keeps everything).
"""

import datetime as dt

from django.db import migrations

BATCH = 5000
LIST_KIND = {
    "dishonest_judgment_debtor": "dishonest_judgment_debtor",
    "business_abnormality": "business_abnormality",
    "serious_dishonesty": "serious_dishonesty",
    "red_list_honour": "red_list",
}
ENDED = {"expired": "expired", "repaired": "repaired", "revoked": "revoked"}
REASON = "Taken over from the registry's list record when list entries were introduced."


def _status(record, today: dt.date) -> str:
    if record.status == "published":
        return "expired" if record.valid_until is not None and record.valid_until < today else "active"
    return ENDED.get(record.status, "pending")


def forward(apps, schema_editor) -> None:
    from core import ledger
    from registry.workdays import beijing_today

    CreditRecord = apps.get_model("registry", "CreditRecord")
    ListEntry = apps.get_model("sanctions", "ListEntry")
    Transition = apps.get_model("sanctions", "ListEntryTransition")
    LedgerEntry = apps.get_model("core", "LedgerEntry")
    today = beijing_today()
    records = CreditRecord.objects.filter(category__in=list(LIST_KIND)).exclude(
        pk__in=ListEntry.objects.filter(record__isnull=False).values("record_id")
    )
    head = None
    last = 0
    while True:
        batch = list(records.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        entries = []
        for record in batch:
            status = _status(record, today)
            ended = status not in ("active", "pending")
            valid_until = record.valid_until
            entries.append(
                ListEntry(
                    subject_id=record.subject_id,
                    list_kind=LIST_KIND[record.category],
                    status=status,
                    origin="adopted",
                    department_id=record.department_id,
                    document_number=record.document_number,
                    reason=record.case_name[:300],
                    facts=record.facts,
                    legal_basis=record.legal_basis,
                    starts_on=record.decision_date,
                    ends_on=valid_until if valid_until is None or valid_until >= record.decision_date else None,
                    record_id=record.pk,
                    ended_on=today if ended else None,
                    end_reason=f"Its list record is {record.status}." if ended else "",
                )
            )
        entries = ListEntry.objects.bulk_create(entries)
        Transition.objects.bulk_create(
            [
                Transition(entry=entry, from_status="", to_status=entry.status, actor_name="system", reason=REASON)
                for entry in entries
            ]
        )
        if head is None:
            head = ledger.lock_head()
        chained = ledger.chain(
            [
                ledger.Change(
                    "sanctions.listentry.adopted",
                    "sanctions.listentry",
                    str(entry.pk),
                    None,
                    {field.attname: ledger.to_json_value(getattr(entry, field.attname)) for field in ListEntry._meta.concrete_fields},
                )
                for entry in entries
            ],
            head,
        )
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(**{field.attname: getattr(entry, field.attname) for field in LedgerEntry._meta.fields})
                for entry in chained
            ]
        )
        head = (chained[-1].seq, chained[-1].hash)


def backward(apps, schema_editor) -> None:
    ListEntry = apps.get_model("sanctions", "ListEntry")
    Transition = apps.get_model("sanctions", "ListEntryTransition")
    adopted = ListEntry.objects.filter(origin="adopted")
    Transition.objects.filter(entry_id__in=adopted.values("pk")).delete()
    adopted.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sanctions", "0001_lists_measures_grades_inspections_sandbox"),
        ("core", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
