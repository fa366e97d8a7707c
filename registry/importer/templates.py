"""The file layouts: the national 双公示 data templates (2021 edition) and the platform's own.

A template is an ordered list of columns. Headers are matched after normalisation, never by a
list of spellings met in the wild: full-width and half-width characters (NFKC), spaces, "-" or
"—" for "_", "决定书文号" for "决定文书号", a leading "*" marking required columns. An amount
column's header carries its unit in parentheses (万元 or 元) and the unit is read from the
header. The template of a file is the one its header fits (every column known, the required ones
present), the one with the fewest columns left unused when several fit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from registry.choices import ImportTemplate, RecordCategory

YUAN, WAN_YUAN = "元", "万元"


@dataclass(frozen=True)
class Column:
    key: str  # what the column means (registry/importer/rows.py reads it by this name)
    header: str  # as the template writes it
    required: bool = False  # the header must have it
    aliases: tuple[str, ...] = ()  # other names of the same column
    unit: str = ""  # amounts: the unit assumed when the header names none ("" = it must name one)
    amount: bool = False
    exported: bool = True  # the platform's own extension columns are read, never written


@dataclass(frozen=True)
class Template:
    code: str
    category: str  # the category of its records ("" = a column says, per row)
    natural_persons: bool
    columns: tuple[Column, ...]
    by_key: dict[str, Column] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self.by_key.update({column.key: column for column in self.columns})

    @property
    def label(self) -> str:
        return str(ImportTemplate(self.code).label)

    @property
    def exported_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.exported)


# -- the columns -------------------------------------------------------------------------------

SUBJECT_NAME = Column("subject_name", "行政相对人名称", required=True)
SUBJECT_KIND = Column("subject_kind", "行政相对人类别", required=True)
LEGAL_SUBJECT = (
    SUBJECT_NAME,
    SUBJECT_KIND,
    Column("code", "行政相对人代码_1 (统一社会信用代码)", required=True, aliases=("统一社会信用代码",)),
    Column("registration_number", "行政相对人代码_2 (工商注册号)"),
    Column("organisation_code", "行政相对人代码_3 (组织机构代码)"),
    Column("tax_number", "行政相对人代码_4 (税务登记号)"),
    Column("institution_number", "行政相对人代码_5 (事业单位证书号)"),
    Column("social_organisation_number", "行政相对人代码_6 (社会组织登记证号)"),
    Column("legal_representative", "法定代表人"),
    Column("legal_representative_id_type", "法定代表人证件类型"),
    Column("legal_representative_id", "法定代表人证件号码"),
    # Filled only on a row whose 行政相对人类别 is 自然人 (the template serves every kind).
    Column("id_type", "证件类型"),
    Column("id_number", "证件号码"),
)
NATURAL_SUBJECT = (
    SUBJECT_NAME,
    SUBJECT_KIND,
    Column("id_type", "证件类型", required=True),
    Column("id_number", "证件号码", required=True),
)
DATA_SOURCE = (
    Column("source", "数据来源单位"),
    Column("source_code", "数据来源单位统一社会信用代码"),
    Column("remarks", "备注"),
)
PENALTY_DECISION = (
    Column("document_number", "行政处罚决定书文号", required=True),
    Column("violation_type", "违法行为类型", required=True),
    Column("facts", "违法事实", required=True),
    Column("legal_basis", "处罚依据", required=True),
    Column("penalty_types", "处罚类别", required=True),
    Column("result", "处罚内容", required=True),
    Column("amount", "罚款金额（万元）", amount=True),
    Column("confiscated_amount", "没收违法所得、没收非法财物的金额（万元）", amount=True),
    Column("suspended_licences", "暂扣或吊销证照名称及编号"),
    Column("decision_date", "处罚决定日期", required=True),
    Column("penalty_valid_until", "处罚有效期"),
    Column("publicity_until", "公示截止期"),
    Column("authority", "处罚机关", required=True),
    Column("authority_code", "处罚机关统一社会信用代码", required=True),
    *DATA_SOURCE,
)
LICENCE_DECISION = (
    Column("licence_document_name", "行政许可决定文书名称", required=True),
    Column("document_number", "行政许可决定文书号", required=True),
    Column("licence_kind", "许可类别", required=True),
    Column("licence_certificate", "许可证书名称"),
    Column("licence_number", "许可编号"),
    Column("licence_content", "许可内容", required=True),
    Column("decision_date", "许可决定日期", required=True),
    Column("valid_from", "有效期自", required=True),
    Column("valid_until", "有效期至", required=True),
    Column("authority", "许可机关", required=True),
    Column("authority_code", "许可机关统一社会信用代码", required=True),
    Column("current_status", "当前状态", required=True),
    *DATA_SOURCE,
)
# The platform's own columns, accepted beside a national template's (it has none for them).
PLATFORM_EXTENSIONS = (
    Column("severity", "严重程度", aliases=("severity",), exported=False),
    Column("sector", "所属领域", aliases=("sector",), exported=False),
    Column("procedure", "程序类型", aliases=("procedure",), exported=False),
)
# The platform's own template; its English names are the stored field names.
SIMPLE_COLUMNS = (
    Column("code", "统一社会信用代码", required=True, aliases=("行政相对人统一社会信用代码", "subject_code")),
    Column("subject_name", "主体名称", required=True, aliases=("行政相对人名称", "subject_name")),
    Column("category", "信息类别", required=True, aliases=("category",)),
    Column("document_number", "决定文书号", required=True, aliases=("document_number",)),
    Column("case_name", "案件名称", required=True, aliases=("case_name",)),
    Column("penalty_types", "处罚类别", aliases=("penalty_types",)),
    Column("facts", "违法事实", aliases=("facts",)),
    Column("legal_basis", "处罚依据", required=True, aliases=("legal_basis",)),
    Column("result", "处罚结果", aliases=("result",)),
    Column("amount", "罚款金额", amount=True, unit=YUAN, aliases=("amount",)),
    Column("decision_date", "决定日期", required=True, aliases=("处罚决定日期", "decision_date")),
    Column("severity", "严重程度", aliases=("severity",)),
    Column("sector", "所属领域", aliases=("sector",)),
    Column("procedure", "程序类型", aliases=("procedure",)),
    Column("valid_until", "有效期至", aliases=("valid_until",)),
)

TEMPLATES: dict[str, Template] = {
    ImportTemplate.PENALTY: Template(
        ImportTemplate.PENALTY,
        RecordCategory.PENALTY,
        False,
        (*LEGAL_SUBJECT, *PENALTY_DECISION, *PLATFORM_EXTENSIONS),
    ),
    ImportTemplate.LICENCE: Template(
        ImportTemplate.LICENCE, RecordCategory.LICENCE, False, (*LEGAL_SUBJECT, *LICENCE_DECISION)
    ),
    ImportTemplate.PENALTY_NATURAL: Template(
        ImportTemplate.PENALTY_NATURAL,
        RecordCategory.PENALTY,
        True,
        (*NATURAL_SUBJECT, *PENALTY_DECISION, *PLATFORM_EXTENSIONS),
    ),
    ImportTemplate.LICENCE_NATURAL: Template(
        ImportTemplate.LICENCE_NATURAL, RecordCategory.LICENCE, True, (*NATURAL_SUBJECT, *LICENCE_DECISION)
    ),
    ImportTemplate.SIMPLE: Template(ImportTemplate.SIMPLE, "", False, SIMPLE_COLUMNS),
}
NATIONAL = tuple(code for code in TEMPLATES if code != ImportTemplate.SIMPLE)


# -- header normalisation ----------------------------------------------------------------------

_DASHES = re.compile(r"[-‐‑‒–—―－_]+")
_BRACKETS = str.maketrans({"[": "(", "]": ")", "【": "(", "】": ")", "〔": "(", "〕": ")"})
_ENUMERATION = re.compile(r"[,，/／]")
_DOCUMENT_NUMBER = re.compile(r"决定(?:文书|书文|书|文)号")
_UNIT = re.compile(r"\((?:单位:?)?(万元|元)\)$")


def header_key(text: str) -> str:
    """The comparable form of a header cell (see the module docstring)."""
    text = unicodedata.normalize("NFKC", str(text)).translate(_BRACKETS)
    text = re.sub(r"\s+", "", text).strip("*")
    text = _DASHES.sub("_", text)
    text = _ENUMERATION.sub("、", text)
    text = _DOCUMENT_NUMBER.sub("决定文书号", text)
    return text.lower()


def split_unit(key: str) -> tuple[str, str]:
    """(header key without its unit, the unit or '')."""
    match = _UNIT.search(key)
    return (key[: match.start()], match.group(1)) if match else (key, "")


def _keys_of(column: Column) -> set[str]:
    keys = {header_key(name) for name in (column.header, *column.aliases)}
    if column.amount:
        keys = {split_unit(key)[0] for key in keys}
    elif "(" in column.header:
        # "行政相对人代码_1 (统一社会信用代码)": the part before the explanation names it too.
        keys.add(header_key(column.header.split("(")[0]))
    return keys


@dataclass
class HeaderMatch:
    """How a header row reads under one template."""

    template: Template
    columns: list[Column | None]  # per position; None for a blank header cell
    units: dict[str, str]  # amount column key -> unit of this file
    unknown: list[str]
    missing: list[str]
    duplicated: list[str]
    unitless: list[str]

    @property
    def fits(self) -> bool:
        return not (self.unknown or self.missing or self.duplicated or self.unitless)

    @property
    def recognised(self) -> int:
        return sum(1 for column in self.columns if column is not None)

    @property
    def unused(self) -> int:
        return len(self.template.columns) - self.recognised

    def problems(self) -> str:
        parts = []
        if self.unknown:
            parts.append(_("unknown column(s): %(names)s") % {"names": "、".join(self.unknown)})
        if self.duplicated:
            parts.append(_("column(s) given twice: %(names)s") % {"names": "、".join(self.duplicated)})
        if self.missing:
            parts.append(_("missing required column(s): %(names)s") % {"names": "、".join(self.missing)})
        if self.unitless:
            parts.append(
                _(
                    "amount column(s) without a unit: %(names)s "
                    "(write the unit in parentheses, e.g. 罚款金额（万元）)"
                )
                % {"names": "、".join(self.unitless)}
            )
        return "; ".join(parts)


def match_header(cells: list, template: Template) -> HeaderMatch:
    lookup: dict[str, Column] = {}
    for column in template.columns:
        for key in _keys_of(column):
            lookup.setdefault(key, column)
    columns: list[Column | None] = []
    units: dict[str, str] = {}
    seen: dict[str, str] = {}
    unknown, duplicated, unitless = [], [], []
    for cell in cells:
        text = "" if cell is None else str(cell).strip()
        if not text:
            columns.append(None)
            continue
        key = header_key(text)
        column = lookup.get(key)
        unit = ""
        if column is None:
            base, unit = split_unit(key)
            column = lookup.get(base)
            if column is not None and not column.amount:
                column = None
        if column is None:
            unknown.append(text)
        elif column.key in seen:
            duplicated.append(f"{seen[column.key]} / {text}")
        else:
            seen[column.key] = text
            if column.amount:
                unit = unit or column.unit
                if unit:
                    units[column.key] = unit
                else:
                    unitless.append(text)
        columns.append(column)
    missing = [column.header for column in template.columns if column.required and column.key not in seen]
    return HeaderMatch(template, columns, units, unknown, missing, duplicated, unitless)


class HeaderRefused(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def detect(cells: list, wanted: str = "") -> HeaderMatch:
    """The template ``cells`` (a header row) fits: ``wanted``, or the best fitting one.

    Raises HeaderRefused naming what is wrong with the header under the closest template."""
    candidates = [TEMPLATES[wanted]] if wanted else list(TEMPLATES.values())
    matches = [match_header(cells, template) for template in candidates]
    fitting = [match for match in matches if match.fits]
    if fitting:
        return min(fitting, key=lambda match: match.unused)
    closest = max(matches, key=lambda match: (match.recognised, -len(match.missing)))
    raise HeaderRefused(
        _("The header row does not fit the %(template)s: %(problems)s.")
        % {"template": closest.template.label, "problems": closest.problems()}
    )
