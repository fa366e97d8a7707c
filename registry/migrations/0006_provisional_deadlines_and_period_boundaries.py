"""Provisional publication deadlines, and publicity periods that end at the end of their last day.

DOMAIN.md 9 (Civil Code art. 201-203): a period of N months counted from the decision date runs
through the corresponding day N months later, so the record is public through that day and
leaves public output the day after. Records computed before counted one day short: their
``publish_until`` and ``repair_eligible_from`` were the decision date + N months. This moves
every such date one day later, set-based (one UPDATE per batch of ids, whatever the status), and
writes one chained ledger entry per changed record, so the ledger's latest state of each record
stays equal to its row. Reversible (the dates move back, with ledger entries again).

A stored date is moved only where it equals the old formula's result for some N >= 1; a date of
that form is never of the new form (the new one is a month's corresponding day plus one), so the
migration changes each record once however often it runs. A period of 0 months is over at once
under both formulas (repair possible from the decision date) and stays.
"""

import datetime as dt

from django.db import migrations, models

BATCH = 5000
ACTION = "registry.record.publicity_recomputed"


def _old_formula(column: str) -> str:
    """SQL: ``column`` equals decision_date + N months (month end when the month has no such day)
    for the N >= 1 that the two dates' years and months give."""
    months = (
        f"((EXTRACT(YEAR FROM {column}) - EXTRACT(YEAR FROM decision_date)) * 12"
        f" + EXTRACT(MONTH FROM {column}) - EXTRACT(MONTH FROM decision_date))::int"
    )
    return (
        f"({column} IS NOT NULL AND {months} >= 1"
        f" AND (decision_date + make_interval(months => {months}))::date = {column})"
    )


def _sql(table: str, days: int) -> str:
    """One batch: move the dates that have the old form (``days`` = 1) or the new form (-1)."""
    if days == 1:
        until, repair = _old_formula("publish_until"), _old_formula("repair_eligible_from")
    else:
        until = _old_formula("publish_until").replace("publish_until", "(publish_until - 1)")
        repair = _old_formula("repair_eligible_from").replace("repair_eligible_from", "(repair_eligible_from - 1)")
    return f"""
        WITH matched AS (
            SELECT id, {until} AS move_until, {repair} AS move_repair
            FROM {table}
            WHERE id >= %(low)s AND id < %(high)s
        )
        UPDATE {table} AS r
        SET publish_until = CASE WHEN m.move_until THEN r.publish_until + %(days)s
                                 ELSE r.publish_until END,
            repair_eligible_from = CASE WHEN m.move_repair THEN r.repair_eligible_from + %(days)s
                                        ELSE r.repair_eligible_from END,
            updated_at = now()
        FROM matched AS m
        WHERE r.id = m.id AND (m.move_until OR m.move_repair)
        RETURNING r.id, m.move_until, m.move_repair, r.publish_until, r.repair_eligible_from
    """


def _change(ledger, row, days: int):
    pk, move_until, move_repair, until, repair = row
    before, after = {}, {}
    for moved, field, value in (
        (move_until, "publish_until", until),
        (move_repair, "repair_eligible_from", repair),
    ):
        if moved:
            before[field] = (value - dt.timedelta(days=days)).isoformat()
            after[field] = value.isoformat()
    return ledger.Change(ACTION, "registry.creditrecord", str(pk), before, after)


def shift(apps, schema_editor, days: int) -> None:
    # The ledger's own chaining (core/ledger.py), written through the historical model.
    from core import ledger

    CreditRecord = apps.get_model("registry", "CreditRecord")
    LedgerEntry = apps.get_model("core", "LedgerEntry")
    table = CreditRecord._meta.db_table
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {table}")
        low, high = cursor.fetchone()
        if low is None:
            return
        head = ledger.lock_head()
        statement = _sql(table, days)
        for start in range(low, high + 1, BATCH):
            cursor.execute(statement, {"low": start, "high": start + BATCH, "days": days})
            rows = sorted(cursor.fetchall())
            if not rows:
                continue
            entries = ledger.chain([_change(ledger, row, days) for row in rows], head)
            LedgerEntry.objects.bulk_create(
                [
                    LedgerEntry(**{field.attname: getattr(entry, field.attname) for field in LedgerEntry._meta.fields})
                    for entry in entries
                ]
            )
            head = (entries[-1].seq, entries[-1].hash)


def forward(apps, schema_editor) -> None:
    shift(apps, schema_editor, 1)


def backward(apps, schema_editor) -> None:
    shift(apps, schema_editor, -1)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_record_corrections"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="creditrecord",
            name="deadline_provisional",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "The deadline was counted on a year whose State Council holiday arrangement was not yet "
                    "entered (weekends and statutory holidays only); it is recomputed when it is entered."
                ),
                verbose_name="deadline provisional",
            ),
        ),
        migrations.AlterField(
            model_name="creditrecord",
            name="publish_until",
            field=models.DateField(
                blank=True,
                help_text=(
                    "The day after the maximum publicity period ends: from this date on the record is not public."
                ),
                null=True,
                verbose_name="no longer public from",
            ),
        ),
        migrations.AlterField(
            model_name="creditrecord",
            name="repair_eligible_from",
            field=models.DateField(
                blank=True,
                help_text="The day after the minimum publicity period ends; empty when the record cannot be repaired.",
                null=True,
                verbose_name="credit repair possible from",
            ),
        ),
        migrations.AddIndex(
            model_name="creditrecord",
            index=models.Index(
                condition=models.Q(("deadline_provisional", True)),
                fields=["publication_deadline"],
                name="registry_record_provisional",
            ),
        ),
        # Schema first, data last: no ALTER TABLE after the UPDATEs in this transaction.
        migrations.RunPython(forward, backward),
    ]
