"""Deterministic generator of synthetic Beijing subjects and credit records (no database access).

One ``random.Random(seed)`` drives everything, and every date is counted from the fixed
``BASE_DATE``, so the same seed always yields the same subjects in the same order. Codes are
valid GB 32100-2015 codes (``registry.codes.make_uscc``); identity numbers carry a valid
GB 11643 check character but are synthetic.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from random import Random
from typing import TypeVar

from registry.choices import (
    District,
    PenaltyType,
    Procedure,
    RecordCategory,
    RecordStatus,
    Sector,
    Severity,
    SubjectStatus,
)
from registry.codes import ID_CHECK, ID_WEIGHTS, USCC_ALPHABET, make_uscc, registration_check_digit
from registry.demo import words as w

# Generated content never depends on the day it is generated (same seed, same data).
BASE_DATE = dt.date(2026, 11, 1)
NEW_CODES_SINCE = dt.date(2015, 10, 1)  # GB 32100 codes were issued from 1 October 2015
BEIJING = dt.timezone(dt.timedelta(hours=8))

T = TypeVar("T")

DISTRICT_NAMES = {value: label for value, label in District.choices}
DISTRICTS = tuple(District.values)
CURRENT_DISTRICTS = frozenset(DISTRICTS)


class Weighted:
    """A fixed weighted choice: bisect over cumulative integer weights (fast and deterministic)."""

    def __init__(self, pairs: Sequence[tuple]):
        self.values = [pair[:-1] if len(pair) > 2 else pair[0] for pair in pairs]
        self.cumulative = list(itertools.accumulate(pair[-1] for pair in pairs))
        self.total = self.cumulative[-1]

    def pick(self, rng: Random):
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    level: str  # DepartmentLevel value
    district: str
    prefix: str  # document-number prefix (京市监, 京海市监, 京0108 for courts)
    is_court: bool = False

    @property
    def market_regulation(self) -> bool:
        """Market regulators follow the 2021 publication rule (DOMAIN.md section 2)."""
        return self.code.endswith("market-regulation")

    @property
    def credit_code(self) -> str:
        """A synthetic, valid code of a 机关 (category 11) in the department's division, fixed by
        its code: the national import templates name the deciding authority by it."""
        digest = int.from_bytes(hashlib.sha256(self.code.encode()).digest()[:4], "big") % 10**8
        return make_uscc(f"11{self.district or '110000'}{digest:08d}")


def _departments() -> tuple[DepartmentSpec, ...]:
    specs = [
        DepartmentSpec(code, name, "municipal", "", prefix, is_court="court" in code)
        for code, name, prefix in w.MUNICIPAL_DEPARTMENTS
    ]
    for district in DISTRICTS:
        for suffix, name, prefix in w.DISTRICT_DEPARTMENTS:
            specs.append(
                DepartmentSpec(
                    f"{w.DISTRICT_SLUG[district]}-{suffix}",
                    name.format(district=DISTRICT_NAMES[district]),
                    "district",
                    district,
                    prefix.format(short=w.DISTRICT_SHORT[district], division4=district[2:]),
                    is_court=suffix == "court",
                )
            )
    return tuple(specs)


DEPARTMENTS = _departments()
DEPARTMENTS_BY_CODE = {spec.code: spec for spec in DEPARTMENTS}


@dataclass(slots=True)
class RecordSpec:
    department: str  # DepartmentSpec.code
    category: str
    document_number: str
    case_name: str
    penalty_types: list[str]
    facts: str
    legal_basis: str
    result: str
    amount: Decimal | None
    decision_date: dt.date
    valid_until: dt.date | None
    severity: str
    sector: str
    procedure: str
    status: str
    published_at: dt.datetime | None


@dataclass(slots=True)
class SubjectSpec:
    code: str
    name: str
    registration_number: str | None
    former_name: str | None
    renamed_on: dt.date | None
    legal_representative: str
    legal_representative_id: str
    registered_address: str
    industry: str
    registered_capital: Decimal | None
    established_on: dt.date
    status: str
    records: list[RecordSpec] = field(default_factory=list)


# The skew of ``skewed`` record counts (benchmarks at city scale).
SKEW_ZERO_SHARE = 0.6
SKEW_CAP = 3000
SKEW_SHAPE = 1.5


def skewed_mean(scale: float) -> float:
    """The exact mean of a skewed count with this Pareto scale: ``SKEW_ZERO_SHARE`` zeros, the
    others ``min(SKEW_CAP, max(1, floor(scale * X)))`` for X Pareto of ``SKEW_SHAPE``; the mean of a
    count is the sum over k of P(count >= k), and P(floor(scale * X) >= k) = min(1, (k / scale)^-shape)."""
    tail = sum(min(1.0, (k / scale) ** -SKEW_SHAPE) for k in range(2, SKEW_CAP + 1))
    return (1 - SKEW_ZERO_SHARE) * (1 + tail)


def skewed_scale(mean: float) -> float:
    """The Pareto scale whose skewed counts average ``mean`` (bisection: the mean grows with the
    scale). The floor and the cap take about 6% off the untruncated mean at 10 a subject, which
    left a 10M-record benchmark 560,000 records short. Below the least mean (every non-zero count
    1) the least scale."""
    low, high = 1e-6, mean / (1 - SKEW_ZERO_SHARE) * 4 + 1
    for _ in range(60):
        middle = (low + high) / 2
        if skewed_mean(middle) < mean:
            low = middle
        else:
            high = middle
    return high


# Organisation categories (positions 1-2): mostly enterprises, many individual businesses.
SUBJECT_CATEGORIES = Weighted(
    (("91", 124), ("92", 56), ("93", 4), ("51", 4), ("52", 6), ("53", 1), ("12", 5))
)
MARKET_CATEGORIES = {"91", "92", "93"}
RECORD_CATEGORIES = Weighted(
    (
        (RecordCategory.PENALTY, 35),
        (RecordCategory.LICENCE, 25),
        (RecordCategory.SPOT_CHECK, 12),
        (RecordCategory.CREDIT_COMMITMENT, 8),
        (RecordCategory.BUSINESS_ABNORMALITY, 8),
        (RecordCategory.RED_LIST_HONOUR, 4),
        (RecordCategory.VOLUNTARY, 4),
        (RecordCategory.DISHONEST_JUDGMENT_DEBTOR, 3),
        (RecordCategory.SERIOUS_DISHONESTY, 1),
    )
)
# Lists kept by market regulators apply to market subjects only.
MARKET_ONLY_RECORDS = {RecordCategory.BUSINESS_ABNORMALITY, RecordCategory.SERIOUS_DISHONESTY}
SUBJECT_STATUSES = Weighted(
    (
        (SubjectStatus.ACTIVE, 88),
        (SubjectStatus.SUSPENDED, 1),
        (SubjectStatus.REVOKED, 4),
        (SubjectStatus.DEREGISTERED, 7),
    )
)
SEVERITIES = Weighted(((Severity.MINOR, 15), (Severity.GENERAL, 70), (Severity.SERIOUS, 15)))
DIVISIONS = Weighted(w.DIVISION_WEIGHTS)
CURRENT_DIVISIONS = Weighted([pair for pair in w.DIVISION_WEIGHTS if pair[0] in District.values])
INDUSTRIES = Weighted(w.ENTERPRISE_INDUSTRIES)
SUFFIXES = Weighted(w.ENTERPRISE_SUFFIXES)
SHOPS = Weighted(w.SHOP_KINDS)
PRODUCE = Weighted(w.COOPERATIVE_PRODUCE)
COOP_DISTRICTS = Weighted(w.COOPERATIVE_DISTRICTS)
ASSOCIATIONS = Weighted(w.ASSOCIATION_KINDS)
PRIVATE_UNITS = Weighted(w.PRIVATE_UNIT_KINDS)
FOUNDATIONS = Weighted(w.FOUNDATION_KINDS)
INSTITUTIONS = Weighted(w.INSTITUTION_KINDS)
SURNAMES = Weighted(w.SURNAMES)
PENALTIES = Weighted(w.PENALTY_CASES)
LICENCES = Weighted(w.LICENCES)
ABNORMALITIES = Weighted(w.ABNORMALITY_REASONS)
SPOT_RESULTS = Weighted(w.SPOT_CHECK_RESULTS)
ENTERPRISE_CAPITAL = Weighted(
    ((3, 3), (10, 10), (50, 12), (100, 18), (200, 10), (300, 8), (500, 12), (1000, 12), (2000, 5),
     (5000, 5), (10000, 3), (50000, 1))
)  # fmt: skip
SMALL_CAPITAL = Weighted(((1, 4), (2, 3), (3, 3), (5, 4), (10, 3), (20, 1), (50, 1)))

CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1-199 written in Chinese numerals (第八十中学)."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    text = "一百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else CN_DIGITS[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    if ones:
        text += CN_DIGITS[ones]
    return text


def identity_number(rng: Random) -> str:
    """A synthetic 18-character resident identity number with a valid GB 11643 check character."""
    division = rng.choice(w.ID_BIRTH_DIVISIONS)
    birth = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(17_000))
    body = f"{division}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(char) * weight for char, weight in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK[total % 11]


class DemoGenerator:
    """Yields ``SubjectSpec``s with their records; same seed, same sequence.

    ``taken_codes``, ``taken_registration_numbers`` and ``taken_documents`` (department code,
    document number) hold what the database already has, so a second seed never collides.
    """

    def __init__(
        self,
        seed: int,
        records_per_subject: float = 0.5,
        *,
        taken_codes: set[str] | None = None,
        taken_registration_numbers: set[str] | None = None,
        taken_documents: set[tuple[str, str]] | None = None,
        penalty_since: dt.date | None = None,
        skewed: bool = False,
    ):
        self.rng = Random(seed)
        self.skewed = skewed
        self.records_per_subject = records_per_subject
        # Solved once: a million subjects draw a count each.
        self.skew_scale = skewed_scale(records_per_subject) if skewed and records_per_subject > 0 else 0.0
        self.codes = taken_codes if taken_codes is not None else set()
        self.registration_numbers = taken_registration_numbers or set()
        self.documents = taken_documents or set()
        self.names: set[str] = set()
        self.counters: dict[tuple[str, str, int], int] = {}
        self.missing_categories = list(RecordCategory.values)
        # Penalties need a publicity rule set in force on their decision date (DOMAIN.md 2).
        self.penalty_since = penalty_since

    # -- subjects -------------------------------------------------------------------------

    def subject(self) -> SubjectSpec:
        rng = self.rng
        category = SUBJECT_CATEGORIES.pick(rng)
        if category == "91":
            division = DIVISIONS.pick(rng)
        elif category == "93":
            division = str(COOP_DISTRICTS.pick(rng))
        elif category in {"51", "53"} and rng.random() < 0.5:
            division = "110000"  # registered with the municipal civil affairs bureau
        else:
            division = CURRENT_DIVISIONS.pick(rng)
        new_style = category != "91" or rng.random() < 0.7
        code = self._code(category, division, new_style)
        if new_style:
            established = self._date_between(NEW_CODES_SINCE, BASE_DATE - dt.timedelta(days=30), recent=True)
        else:
            established = self._date_between(dt.date(1985, 1, 1), NEW_CODES_SINCE, recent=False)
        district = division if division in CURRENT_DISTRICTS else rng.choice(DISTRICTS)
        name, industry, capital = self._name(category, district)
        former_name = renamed_on = None
        if category in {"91", "51", "52"} and rng.random() < 0.05:
            former_name, _, _ = self._name(category, district)
            if former_name != name and established < BASE_DATE - dt.timedelta(days=400):
                renamed_on = self._date_between(established + dt.timedelta(days=365), BASE_DATE, recent=True)
            else:
                former_name = None
        id_number = ""
        if category == "92" and rng.random() < 0.4:
            id_number = identity_number(rng)
        spec = SubjectSpec(
            code=code,
            name=name,
            registration_number=self._registration_number(category, division)
            if not new_style and rng.random() < 0.6
            else None,
            former_name=former_name,
            renamed_on=renamed_on,
            legal_representative=self.person_name(),
            legal_representative_id=id_number,
            registered_address=self._address(district),
            industry=industry,
            registered_capital=capital,
            established_on=established,
            status=str(SUBJECT_STATUSES.pick(rng)),
        )
        for _ in range(self._record_count()):
            spec.records.append(self._record(spec, category, district))
        return spec

    def _code(self, category: str, division: str, new_style: bool) -> str:
        rng, alphabet = self.rng, USCC_ALPHABET
        while True:
            if category in {"51", "52", "53"}:
                body = "MJ" + "".join(rng.choices(alphabet, k=6))
            elif category == "12":
                body = "4" + "".join(rng.choices("0123456789", k=7))
            elif new_style:
                body = "MA0" + "".join(rng.choices(alphabet, k=5))
            elif category == "92":
                body = "L" + "".join(rng.choices("0123456789", k=7))
            else:
                body = "".join(rng.choices("0123456789", k=8))
            code = make_uscc(f"{category}{division}{body}")
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _registration_number(self, category: str, division: str) -> str | None:
        """GS 15-2006: authority code, type digit (0-3 domestic, 6-9 individual), serial, check."""
        while True:
            kind = self.rng.choice("6789" if category == "92" else "0123")
            first14 = f"{division}{kind}{self.rng.randrange(10**7):07d}"
            number = first14 + registration_check_digit(first14)
            if number not in self.registration_numbers:
                self.registration_numbers.add(number)
                return number

    def _date_between(self, start: dt.date, end: dt.date, *, recent: bool) -> dt.date:
        span = max((end - start).days, 1)
        fraction = self.rng.random()
        if recent:  # more registrations in recent years
            fraction = fraction**0.6
        return start + dt.timedelta(days=int(span * fraction))

    def trade_name(self) -> str:
        rng, chars = self.rng, w.TRADE_NAME_CHARS
        roll = rng.random()
        if roll < 0.2:
            return rng.choice(w.TRADE_NAME_WORDS)
        size = 2 if roll < 0.7 else 3
        picked = rng.sample(range(len(chars)), size)
        return "".join(chars[index] for index in picked)

    def person_name(self) -> str:
        rng = self.rng
        given = rng.choice(w.GIVEN_NAME_CHARS)
        if rng.random() < 0.7:
            given += rng.choice(w.GIVEN_NAME_CHARS)
        return SURNAMES.pick(rng) + given

    def _name(self, category: str, district: str) -> tuple[str, str, Decimal | None]:
        """A unique name (within this run, up to a few retries), the industry and the capital."""
        for _attempt in range(6):
            name, industry, capital = self._name_once(category, district)
            if name not in self.names:
                break
        self.names.add(name)
        return name, industry, capital

    def _name_once(self, category: str, district: str) -> tuple[str, str, Decimal | None]:
        rng = self.rng
        district_name = DISTRICT_NAMES[district]
        trade = self.trade_name()
        if category == "91":
            word, industry = INDUSTRIES.pick(rng)
            suffix = SUFFIXES.pick(rng)
            roll = rng.random()
            if roll < 0.80:
                name = f"北京{trade}{word}{suffix}"
            elif roll < 0.88:
                name = f"北京市{trade}{word}{suffix}"
            elif roll < 0.95:
                name = f"{trade}（北京）{word}{suffix}"
            else:
                name = f"北京{trade}{word}有限公司{district_name}分公司"
            capital = ENTERPRISE_CAPITAL.pick(rng) * (10 if "股份" in suffix else 1)
            return name, industry, Decimal(capital).quantize(Decimal("0.0001"))
        if category == "92":
            shop, industry = SHOPS.pick(rng)
            roll = rng.random()
            if roll < 0.35:
                owner = SURNAMES.pick(rng) + "记"
            elif roll < 0.6:
                owner = self.person_name()
            else:
                owner = trade
            capital = SMALL_CAPITAL.pick(rng) if rng.random() < 0.6 else None
            return f"{district_name}{owner}{shop}", industry, _money(capital)
        if category == "93":
            produce = PRODUCE.pick(rng)
            return (
                f"北京{district_name[:-1]}{trade}{produce}专业合作社",
                "农业",
                _money(SMALL_CAPITAL.pick(rng)),
            )
        if category == "51":
            field_ = rng.choice(w.ASSOCIATION_FIELDS)
            kind = ASSOCIATIONS.pick(rng)
            roll = rng.random()
            if roll < 0.3:
                name = f"北京市{field_}{kind}"
            elif roll < 0.7:
                name = f"北京市{district_name}{field_}{kind}"
            else:
                name = f"北京{trade}{field_}{kind}"
            return name, "社会组织", _money(rng.choice((3, 10, 30, 50)))
        if category == "52":
            kind, industry = PRIVATE_UNITS.pick(rng)
            return f"北京市{district_name}{trade}{kind}", industry, _money(rng.choice((3, 10, 50, 100)))
        if category == "53":
            return f"北京{trade}{FOUNDATIONS.pick(rng)}", "社会组织", _money(rng.choice((400, 800, 2000)))
        kind, industry = INSTITUTIONS.pick(rng)
        if "{n}" in kind:
            kind = kind.format(n=chinese_number(rng.randrange(1, 200)))
        else:
            kind = trade + kind
        return f"北京市{district_name}{kind}", industry, _money(rng.choice((50, 200, 1000)))

    def _address(self, district: str) -> str:
        rng = self.rng
        street = rng.choice(w.STREETS)
        building = f"{rng.randrange(1, 30)}号楼{rng.randrange(1, 25)}层{rng.randrange(101, 2999)}室"
        return f"北京市{DISTRICT_NAMES[district]}{street}{rng.randrange(1, 300)}号{building}"

    def _record_count(self) -> int:
        """Poisson with mean ``records_per_subject`` (Knuth's method; the mean is small); with
        ``skewed``, a city's skew instead: most subjects have none, a few have hundreds."""
        mean = self.records_per_subject
        if mean <= 0:
            return 0
        if self.skewed:
            return self._skewed_count()
        limit, count, product = pow(2.718281828459045, -mean), 0, self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    def _skewed_count(self) -> int:
        """Three subjects in five have no record; the others a Pareto-tailed number (shape 1.5, at
        most ``SKEW_CAP``) scaled so that the overall mean is ``records_per_subject``
        (``skewed_scale``)."""
        rng = self.rng
        if rng.random() < SKEW_ZERO_SHARE:
            return 0
        return min(SKEW_CAP, max(1, int(rng.paretovariate(SKEW_SHAPE) * self.skew_scale)))

    # -- records --------------------------------------------------------------------------

    def _record_category(self, market: bool) -> str:
        # Every category appears early in a run, so even a small demo shows them all.
        for category in self.missing_categories:
            if market or category not in MARKET_ONLY_RECORDS:
                self.missing_categories.remove(category)
                return category
        while True:
            category = RECORD_CATEGORIES.pick(self.rng)
            if market or category not in MARKET_ONLY_RECORDS:
                return category

    def _department(self, kind: str, district: str) -> DepartmentSpec:
        """A municipal department by code; market regulation and courts are often the district's."""
        if kind == w.MR:
            if self.rng.random() < 0.6:
                return DEPARTMENTS_BY_CODE[f"{w.DISTRICT_SLUG[district]}-market-regulation"]
            return DEPARTMENTS_BY_CODE["bj-market-regulation"]
        if kind == "court":
            if self.rng.random() < 0.75:
                return DEPARTMENTS_BY_CODE[f"{w.DISTRICT_SLUG[district]}-court"]
            return DEPARTMENTS_BY_CODE[
                self.rng.choice(("bj-first-intermediate-court", "bj-second-intermediate-court"))
            ]
        return DEPARTMENTS_BY_CODE[kind]

    def _document_number(self, department: DepartmentSpec, category: str, year: int) -> str:
        """Unique per department: 京市监罚〔2025〕123号; courts: （2025）京0108执123号."""
        kind = "执" if department.is_court else w.DOC_KIND[category]
        key = (department.code, kind, year)
        while True:
            number = self.counters.get(key, 0) + 1 + self.rng.randrange(3)
            self.counters[key] = number
            if department.is_court:
                text = f"（{year}）{department.prefix}{kind}{number}号"
            else:
                text = f"{department.prefix}{kind}〔{year}〕{number}号"
            # The counter only grows, so this run never repeats a number: only numbers already in
            # the database are checked (memory stays bounded by them, not by what is generated).
            if (department.code, text) not in self.documents:
                return text

    def _record(self, subject: SubjectSpec, subject_category: str, district: str) -> RecordSpec:
        rng = self.rng
        category = self._record_category(subject_category in MARKET_CATEGORIES)
        earliest = max(subject.established_on, BASE_DATE - dt.timedelta(days=4 * 365))
        if category == RecordCategory.PENALTY and self.penalty_since:
            earliest = max(earliest, self.penalty_since)
        latest = BASE_DATE - dt.timedelta(days=10)
        decision = self._date_between(min(earliest, latest), latest, recent=False)
        record = RecordSpec(
            department="",
            category=category,
            document_number="",
            case_name="",
            penalty_types=[],
            facts="",
            legal_basis="",
            result="",
            amount=None,
            decision_date=decision,
            valid_until=None,
            severity=Severity.GENERAL,
            sector=Sector.GENERAL,
            procedure=Procedure.ORDINARY,
            status=RecordStatus.PUBLISHED,
            published_at=None,
        )
        getattr(self, f"_fill_{category}")(record, subject, district)
        # Plain strings, not enum members: the ledger and the COPY stream see stored values.
        record.category, record.severity, record.sector = (
            str(category),
            str(record.severity),
            str(record.sector),
        )
        record.procedure, record.status = str(record.procedure), str(record.status)
        record.penalty_types = [str(kind) for kind in record.penalty_types]
        department = DEPARTMENTS_BY_CODE[record.department]
        record.document_number = self._document_number(department, category, decision.year)
        if record.status == RecordStatus.PUBLISHED and rng.random() < 0.1:
            record.status = str(RecordStatus.DRAFT)
        if record.status == RecordStatus.PUBLISHED:
            # 双公示: published within 7 working days of the decision (DOMAIN.md section 2).
            day = decision + dt.timedelta(days=rng.randrange(1, 8))
            record.published_at = dt.datetime.combine(day, dt.time(9 + rng.randrange(9)), BEIJING).astimezone(
                dt.UTC
            )
        return record

    def _fill_penalty(self, record: RecordSpec, subject: SubjectSpec, district: str) -> None:
        rng = self.rng
        kind, violation, facts, basis, sector, types, (low, high) = PENALTIES.pick(rng)
        record.department = self._department(kind, district).code
        record.severity = SEVERITIES.pick(rng)
        record.sector = sector
        record.case_name = f"{subject.name}{violation}案"
        record.legal_basis = basis
        types = list(types)
        if record.severity == Severity.MINOR and rng.random() < 0.4:
            # Warning-only penalties decided by simplified procedure are not published
            # (market-regulation rule of 2021, DOMAIN.md section 2): they stay unpublished here.
            record.penalty_types = [PenaltyType.WARNING]
            record.procedure = Procedure.SIMPLIFIED
            record.status = RecordStatus.DRAFT
            record.facts = f"经查，{facts}"
            record.result = "警告"
            return
        if record.severity == Severity.SERIOUS and rng.random() < 0.15:
            types.append(PenaltyType.LICENCE_REVOCATION)
        fine = Decimal(rng.randrange(low // 100, high // 100 + 1) * 100)
        if record.severity == Severity.MINOR:
            fine = Decimal(max(100, int(fine) // 4 // 100 * 100))
        record.penalty_types = types
        record.amount = fine.quantize(Decimal("0.01"))
        parts = []
        if PenaltyType.WARNING in types:
            parts.append("警告")
        if PenaltyType.CONFISCATION in types:
            gains = rng.randrange(1, 200) * 100
            parts.append(f"没收违法所得人民币{gains}元")
            record.facts = f"经查，{facts}违法所得人民币{gains}元。"
        else:
            record.facts = f"经查，{facts}"
        parts.append(f"罚款人民币{int(fine)}元")
        if PenaltyType.BUSINESS_RESTRICTION in types:
            parts.append("责令停产停业整顿")
        if PenaltyType.LICENCE_REVOCATION in types:
            parts.append("吊销许可证件")
        record.result = "，".join(parts)

    def _fill_licence(self, record: RecordSpec, subject: SubjectSpec, district: str) -> None:
        kind, licence, basis, years, sector = LICENCES.pick(self.rng)
        record.department = self._department(kind, district).code
        record.sector = sector
        record.case_name = f"{licence}（{self.rng.choice(('新办', '新办', '延续', '变更'))}）"
        record.facts = f"{subject.name}申请{licence}，经审查符合法定条件、标准。"
        record.legal_basis = basis
        record.result = "准予许可"
        if years:
            record.valid_until = _years_later(record.decision_date, years)

    def _fill_dishonest_judgment_debtor(
        self, record: RecordSpec, subject: SubjectSpec, district: str
    ) -> None:
        rng = self.rng
        department = self._department("court", district)
        reason, basis = rng.choice(w.JUDGMENT_DEBTOR_FACTS)
        year = record.decision_date.year - 1
        record.department = department.code
        record.severity = Severity.SERIOUS
        record.case_name = f"{subject.name}失信被执行人信息"
        judgment = f"（{year}）{department.prefix}民初{rng.randrange(1, 40000)}号民事判决书"
        record.facts = f"被执行人{reason}。执行依据：{judgment}。"
        record.legal_basis = basis
        amount = Decimal(rng.randrange(50, 50000) * 100).quantize(Decimal("0.01"))
        record.amount = amount
        record.result = f"纳入失信被执行人名单，未履行金额人民币{int(amount)}元"

    def _fill_business_abnormality(self, record: RecordSpec, subject: SubjectSpec, district: str) -> None:
        reason, basis = ABNORMALITIES.pick(self.rng)
        record.department = self._department(w.MR, district).code
        record.case_name = f"{subject.name}列入经营异常名录"
        record.facts = f"经查，该市场主体{reason}。"
        record.legal_basis = basis
        record.result = "列入经营异常名录"

    def _fill_serious_dishonesty(self, record: RecordSpec, subject: SubjectSpec, district: str) -> None:
        reason, basis = self.rng.choice(w.SERIOUS_DISHONESTY_REASONS)
        record.department = "bj-market-regulation"
        record.severity = Severity.SERIOUS
        record.case_name = f"{subject.name}列入市场监督管理严重违法失信名单"
        record.facts = f"经查，当事人{reason}。"
        record.legal_basis = basis
        record.result = "列入严重违法失信名单，公示期三年"
        record.valid_until = _years_later(record.decision_date, 3)

    def _fill_spot_check(self, record: RecordSpec, subject: SubjectSpec, district: str) -> None:
        rng = self.rng
        topic, kind = rng.choice(w.SPOT_CHECK_TOPICS)
        result = SPOT_RESULTS.pick(rng)
        record.department = self._department(kind, district).code
        record.case_name = f"{record.decision_date.year}年度{topic}"
        record.facts = f"依据“双随机、一公开”监管要求，对该主体开展{topic}，检查结果：{result}。"
        record.legal_basis = (
            "《国务院关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见》（国发〔2019〕5号）"
        )
        record.result = result

    def _fill_red_list_honour(self, record: RecordSpec, subject: SubjectSpec, district: str) -> None:
        honour, kind, basis = self.rng.choice(w.RED_LIST_HONOURS)
        record.department = self._department(kind, district).code
        record.case_name = f"{record.decision_date.year - 1}年度{honour}"
        record.facts = f"{subject.name}经评价认定为{honour}。"
        record.legal_basis = basis
        record.result = f"认定为{honour}"
        record.valid_until = _years_later(record.decision_date, 1)

    def _fill_credit_commitment(self, record: RecordSpec, subject: SubjectSpec, district: str) -> None:
        matter, kind = self.rng.choice(w.COMMITMENT_MATTERS)
        record.department = self._department(kind, district).code
        record.case_name = matter
        record.facts = (
            f"{subject.name}就{matter}作出书面信用承诺，承诺所提交材料真实有效，违背承诺自愿接受惩戒。"
        )
        record.legal_basis = w.COMMITMENT_BASIS
        record.result = "已签署信用承诺"

    def _fill_voluntary(self, record: RecordSpec, subject: SubjectSpec, district: str) -> None:
        item = self.rng.choice(w.VOLUNTARY_ITEMS)
        record.department = "bj-development-reform"
        record.case_name = f"自愿注册信用信息：{item}"
        record.facts = f"{subject.name}自愿注册信用信息：{item}，并承诺信息真实、授权共享。"
        record.legal_basis = "《北京市社会信用条例》"
        record.result = "自愿注册"


def _money(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.0001"))


def _years_later(day: dt.date, years: int) -> dt.date:
    """The last day of a validity of ``years`` years starting on ``day`` (29 February safe)."""
    try:
        end = day.replace(year=day.year + years)
    except ValueError:
        end = day.replace(year=day.year + years, day=28)
    return end - dt.timedelta(days=1)
