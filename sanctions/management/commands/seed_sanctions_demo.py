"""Demo data of joint reward and punishment over the registry's demo data (``seed_demo``): list
entries, proposals, grades, a sandbox population with its clues, and a drawn random inspection.

Deterministic (the same registry data and --seed give the same result), set-based where the
services are (adoption, grades, rules, triggers), and everything goes through the services, so
the ledger holds every change. Run after ``seed_demo`` and ``create_demo_users``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from registry.choices import District, SubjectStatus, SubjectType
from registry.models import Department, Subject
from registry.workdays import beijing_today
from sanctions.choices import Grade, InspectionOutcome, ListKind, ProposalStatus
from sanctions.models import (
    ConsumerPosition,
    CreditGrade,
    InspectionTask,
    Inspector,
    ListEntry,
    ListProposal,
    SandboxMembership,
)
from sanctions.services import consumer, grades, inspections, lists, proposals, sandbox

MARKET = "bj-market-regulation"
REFORM = "bj-development-reform"
INSPECTOR_NAMES = ("王建国", "李明华", "张志强", "刘晓燕", "陈立新", "杨光", "赵静", "黄海涛")


class Command(BaseCommand):
    help = (
        "Demo data of joint reward and punishment on top of seed_demo: list entries (taken over and "
        "new), proposals, credit grades, a credit-sandbox population and a drawn random inspection."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="seed of the inspection draw (default 1)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when list entries or grades exist already"
        )

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and (ListEntry.objects.exists() or CreditGrade.objects.exists()):
            self.stdout.write("Joint-measure data exist already; nothing seeded (--if-empty).")
            return
        if not Subject.objects.exists():
            raise CommandError("no subjects: run seed_demo first")
        departments = {d.code: d for d in Department.objects.filter(code__in=[MARKET, REFORM])}
        if set(departments) != {MARKET, REFORM}:
            raise CommandError(f"the demo departments {MARKET} and {REFORM} are missing: run seed_demo first")
        market, reform = departments[MARKET], departments[REFORM]
        today = beijing_today()
        out = self.stdout.write

        out(f"list records taken over: {lists.adopt_list_records()['adopted']}")
        out(f"grades computed: {grades.recompute_grades(today=today)['changed']}")
        red = self._red_list(reform, today)
        out(f"red-list entries: {red}")
        made = proposals.evaluate_rules(today=today)
        out(f"proposals: {sum(made.values())}")
        decided = self._decide_proposals(today)
        out(f"proposals confirmed: {decided['confirmed']}, dismissed: {decided['dismissed']}")
        out(f"grades changed by the lists: {grades.recompute_grades(today=today)['changed']}")
        admitted = self._sandbox(market)
        out(f"admitted to the sandbox: {admitted}")
        out(f"early-warning clues: {sandbox.evaluate_triggers(today=today)['clues']}")
        task = self._inspection(market, options["seed"], today)
        out(f"inspection {task.reference}: {task.assignments.count()} subjects drawn (seed {task.seed})")
        # The consumer starts after all this: the demo's history is handled above.
        with transaction.atomic():
            consumer.ensure_position()
            ConsumerPosition.objects.filter(consumer=consumer.CONSUMER).update(seq=consumer.head_seq())
        self.stdout.write(self.style.SUCCESS("joint reward and punishment demo data ready"))

    def _red_list(self, department: Department, today: dt.date) -> int:
        """The 12 lowest-id grade-A enterprises not on any list join the red list."""
        listed = ListEntry.objects.filter(status__in=lists.LIVE_STATUSES).values("subject_id")
        chosen = list(
            Subject.objects.filter(
                subject_type=SubjectType.ENTERPRISE,
                status=SubjectStatus.ACTIVE,
                credit_grades__is_current=True,
                credit_grades__grade=Grade.A,
            )
            .exclude(pk__in=listed)
            .order_by("pk")[:12]
        )
        for index, subject in enumerate(chosen, start=1):
            lists.list_subject(
                subject=subject,
                list_kind=ListKind.RED_LIST,
                department=department,
                actor=None,
                document_number=f"京发改信激〔{today.year}〕{index}号",
                reason="北京市守信激励对象",
                legal_basis="国发〔2016〕33号；《北京市公共信用信息管理办法》（北京市人民政府令第280号）",
                starts_on=today,
                ends_on=proposals.default_ends_on(ListKind.RED_LIST, today),
            )
        return len(chosen)

    def _decide_proposals(self, today: dt.date) -> dict[str, int]:
        """Confirm the first three open proposals, dismiss the fourth (with its reason)."""
        confirmed = dismissed = 0
        for index, proposal in enumerate(
            ListProposal.objects.filter(status=ProposalStatus.OPEN).order_by("pk")[:4], start=1
        ):
            if index <= 3:
                proposals.confirm_proposal(
                    proposal,
                    actor=None,
                    document_number=f"京信列〔{today.year}〕{index}号",
                    starts_on=today,
                )
                confirmed += 1
            else:
                proposals.dismiss_proposal(
                    proposal, actor=None, reason="经核查，当事人已全面整改，暂不列入。"
                )
                dismissed += 1
        return {"confirmed": confirmed, "dismissed": dismissed}

    def _sandbox(self, department: Department) -> int:
        """Up to 15 grade-A enterprises (not on the red list) join the market regulator's sandbox."""
        red = ListEntry.objects.filter(list_kind=ListKind.RED_LIST).values("subject_id")
        in_sandbox = SandboxMembership.objects.values("subject_id")
        candidates = (
            Subject.objects.filter(
                subject_type=SubjectType.ENTERPRISE,
                status=SubjectStatus.ACTIVE,
                credit_grades__is_current=True,
                credit_grades__grade=Grade.A,
            )
            .exclude(pk__in=red)
            .exclude(pk__in=in_sandbox)
            .order_by("-pk")[:15]
        )
        admitted = 0
        for subject in candidates:
            sandbox.admit(
                subject, department=department, actor=None, reason="新经济领域企业，自愿申请纳入信用沙盒。"
            )
            admitted += 1
        return admitted

    def _inspection(self, department: Department, seed: int, today: dt.date) -> InspectionTask:
        """An inspector pool and one drawn task over Chaoyang's enterprises, five results published."""
        pool = []
        for index, name in enumerate(INSPECTOR_NAMES, start=1):
            inspector, _made = Inspector.objects.get_or_create(
                badge_number=f"11010000{index:04d}", defaults={"department": department, "name": name}
            )
            pool.append(inspector)
        task = inspections.create_task(
            department=department,
            actor=None,
            name=f"{today.year}年度企业公示信息双随机抽查（朝阳区）",
            reference=f"京市监抽〔{today.year}〕{seed}号",
            legal_basis="《企业信息公示暂行条例》第十四条；国办发〔2019〕35号",
            inspectors=pool,
            district=District.CHAOYANG,
            subject_type=SubjectType.ENTERPRISE,
            ratio_a=Decimal("0.03"),
            ratio_b=Decimal("0.05"),
            ratio_c=Decimal("0.10"),
            ratio_d=Decimal("0.20"),
            ratio_ungraded=Decimal("0.05"),
        )
        task = inspections.draw(task, actor=None, seed=f"demo-{seed}")
        outcomes = [
            InspectionOutcome.NO_PROBLEM,
            InspectionOutcome.NO_PROBLEM,
            InspectionOutcome.RECTIFICATION_ORDERED,
            InspectionOutcome.NO_PROBLEM,
            InspectionOutcome.UNREACHABLE,
        ]
        for assignment, outcome in zip(task.assignments.order_by("position"), outcomes, strict=False):
            inspections.record_result(
                assignment,
                actor=None,
                outcome=outcome,
                findings=""
                if outcome == InspectionOutcome.NO_PROBLEM
                else "检查发现公示信息与实际不符，已责令改正。",
                inspected_on=today,
            )
        inspections.publish_results(task, actor=None)
        return task
