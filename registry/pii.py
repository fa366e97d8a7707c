"""The detector of personal information in free text (DOMAIN.md sections 6 and 10): one module,
pure functions over strings, so entry, correction, import and the scan of stored records all ask
exactly the same question (and a set-based caller can run it row by row without the database).

What it finds:
- identity numbers: 17 digits and a check character (GB 11643), with a plausible birth date;
- mobile numbers: 11 digits starting 1[3-9], optionally written 3-4-4 with spaces or hyphens,
  optionally after +86;
- bank card numbers: 13 to 19 digits (optionally in groups of four) passing the Luhn check;
- likely names of natural persons: a common surname with one or two more characters, in a context
  that names a person (当事人王小明, 员工李四, 王小明（身份证..., 张三先生).

Numbers are matched as whole runs of digits (a longer number is not searched inside), full-width
digits included; overlapping matches keep the first kind in the order above. Positions are
0-based offsets in the text as given (``Finding.position`` is the 1-based character a person counts).

Precision limits (documented for regulators, docs/rules.md): a 13-19 digit run passing Luhn is
flagged even when it is, say, a contract number (1 in 10 random numbers passes Luhn); 15-digit
identity numbers of before 1999 are not detected; names are found only with a surname from the
list and a context word, so a bare name in running text (王小明到场) is missed, while a shop name
that starts like a name after a context word may be flagged. Names are therefore never refused
automatically: they hold the record for a regulator's confirmation before publication. Anonymised
forms (王某, 王某某) are not names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.codes import ID_CHECK, ID_WEIGHTS, is_valid_uscc, registration_check_digit

IDENTITY_NUMBER = "identity_number"
MOBILE_NUMBER = "mobile_number"
BANK_CARD = "bank_card"
PERSON_NAME = "person_name"
NUMBER_KINDS = (IDENTITY_NUMBER, MOBILE_NUMBER, BANK_CARD)

KIND_LABELS = {
    IDENTITY_NUMBER: gettext_lazy("an identity number"),
    MOBILE_NUMBER: gettext_lazy("a mobile number"),
    BANK_CARD: gettext_lazy("a bank card number"),
    PERSON_NAME: gettext_lazy("a person's name"),
}
# What replaces a number once a regulator confirms (the original stays encrypted).
MARKERS = {
    IDENTITY_NUMBER: "［身份证号已隐去］",
    MOBILE_NUMBER: "［电话号码已隐去］",
    BANK_CARD: "［银行卡号已隐去］",
}

# Full-width digits and X are the same characters to a reader: translated one to one, so offsets hold.
_HALF_WIDTH = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)} | {"Ｘ": "X", "ｘ": "x"})

# Candidates, tried in this order; a later one never overlaps an earlier finding. Each is a whole
# number: not part of a longer run of letters and digits.
_EDGE_BEFORE = r"(?<![0-9A-Za-z+])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"
_CANDIDATES = (
    re.compile(_EDGE_BEFORE + r"\d{17}[\dXx]" + _EDGE_AFTER),  # identity number
    re.compile(r"(?<![0-9A-Za-z])(?:\+86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}" + _EDGE_AFTER),  # mobile
    re.compile(_EDGE_BEFORE + r"\d{4}(?:[\s-]\d{4}){2,3}(?:[\s-]\d{1,4})?" + _EDGE_AFTER),  # card in groups
    re.compile(_EDGE_BEFORE + r"\d{13,19}" + _EDGE_AFTER),  # card
)


@dataclass(frozen=True)
class Finding:
    """One piece of personal information: its kind, where it starts and how long it is."""

    kind: str
    start: int
    end: int
    text: str

    @property
    def position(self) -> int:
        """The 1-based character where it starts, as a person counts."""
        return self.start + 1


def _identity_number_valid(digits: str) -> bool:
    if len(digits) != 18 or not digits[:17].isdigit() or digits[17] not in "0123456789X":
        return False
    total = sum(int(char) * weight for char, weight in zip(digits[:17], ID_WEIGHTS, strict=True))
    if digits[17] != ID_CHECK[total % 11]:
        return False
    try:
        born = dt.date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= dt.date(2100, 1, 1)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _classify(candidate: str) -> str | None:
    """The kind of a candidate number, or None when it is none of them."""
    compact = re.sub(r"[\s-]", "", candidate).upper()
    country = compact.startswith("+86")
    digits = compact[3:] if country else compact
    if not country and _identity_number_valid(digits):
        return IDENTITY_NUMBER
    if not digits.isdigit():
        return None
    if len(digits) == 11 and re.fullmatch(r"1[3-9]\d{9}", digits):
        return MOBILE_NUMBER
    if not country and 13 <= len(digits) <= 19 and luhn_valid(digits) and not _business_number(digits):
        return BANK_CARD
    return None


def _business_number(digits: str) -> bool:
    """A business registration number (15 digits, GB 32100's predecessor) or a credit code made of
    digits names an organisation, not a person: not a card, even when it passes Luhn."""
    if len(digits) == 15:
        return registration_check_digit(digits[:14]) == digits[14]
    return len(digits) == 18 and is_valid_uscc(digits)


def find_numbers(text: str) -> list[Finding]:
    """Identity, mobile and bank card numbers in ``text``, in order of position."""
    if not text:
        return []
    readable = text.translate(_HALF_WIDTH)
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for pattern in _CANDIDATES:
        for match in pattern.finditer(readable):
            start, end = match.span()
            if any(start < last and first < end for first, last in taken):
                continue
            kind = _classify(match.group())
            if kind is not None:
                found.append(Finding(kind, start, end, text[start:end]))
                taken.append((start, end))
    return sorted(found, key=lambda finding: finding.start)


# The most common Chinese surnames (about 85% of the population) and a few compound ones; surnames
# that are everyday function words (于, 和, 向, 时, 成, 全, 应, 解, 查, 连) are left out: 当事人于当日...
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶牟艾尤阳穆农司卓古吉缪简车项芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池麻苑迟邝"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "令狐",
    "宇文",
)
# Words before a name that say a person is named next.
_BEFORE = (
    "当事人",
    "法定代表人",
    "负责人",
    "经营者",
    "业主",
    "股东",
    "员工",
    "职工",
    "工作人员",
    "从业人员",
    "销售人员",
    "驾驶员",
    "司机",
    "证人",
    "消费者",
    "举报人",
    "投诉人",
    "患者",
    "购买人",
    "监护人",
    "受害人",
    "姓名",
    "名为",
    "叫",
)
# Words right after a name that say it is a person's.
_AFTER = (
    "（身份证",
    "(身份证",
    "，身份证",
    "身份证",
    "先生",
    "女士",
    "同志",
    "（电话",
    "(电话",
    "，电话",
    "等人",
)
_HAN = r"[\u4e00-\u9fff]"
_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + "".join(sorted(SURNAMES)) + "])"
_NAME = rf"{_SURNAME}(?!某){_HAN}{{1,2}}"
_NAME_AFTER_CONTEXT = re.compile(
    "(?:" + "|".join(map(re.escape, _BEFORE)) + r")[：:\s]?(?P<name>" + _NAME + ")"
)
_NAME_BEFORE_CONTEXT = re.compile(r"(?P<name>" + _NAME + ")(?:" + "|".join(map(re.escape, _AFTER)) + ")")
# Characters a name does not end with: they start the next word of an ordinary sentence.
_NOT_IN_NAME = set("的了在于与和及或等是有为被将对向从到未已并因某公司店厂局")


def _trim(name: str, following: str) -> str:
    """Cut what belongs to the next word: a context word (张三|先生) or a sentence's (李四|在)."""
    for length in range(2, len(name)):
        if (name[length:] + following).startswith(_AFTER):
            return name[:length]
    while len(name) > 2 and name[-1] in _NOT_IN_NAME:
        name = name[:-1]
    return name


def find_names(text: str) -> list[Finding]:
    """Likely names of natural persons in ``text`` (see the precision limits above)."""
    if not text:
        return []
    spans: dict[int, Finding] = {}
    for pattern in (_NAME_AFTER_CONTEXT, _NAME_BEFORE_CONTEXT):
        for match in pattern.finditer(text):
            name = _trim(match.group("name"), text[match.end("name") :])
            if len(name) < 2 or name[1] == "某":
                continue
            start = match.start("name")
            spans.setdefault(start, Finding(PERSON_NAME, start, start + len(name), name))
    return sorted(spans.values(), key=lambda finding: finding.start)


def scan(fields: Mapping[str, str], *, names: bool = True) -> dict[str, list[Finding]]:
    """Per free-text field, what it holds (fields with nothing found are left out)."""
    result = {}
    for name, text in fields.items():
        found = find_numbers(text or "") + (find_names(text or "") if names else [])
        if found:
            result[name] = sorted(found, key=lambda finding: finding.start)
    return result


def numbers_only(found: Mapping[str, list[Finding]]) -> dict[str, list[Finding]]:
    kept = {name: [f for f in items if f.kind in NUMBER_KINDS] for name, items in found.items()}
    return {name: items for name, items in kept.items() if items}


def redact(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with each number replaced by its marker (names are left to the regulator)."""
    pieces, last = [], 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.kind not in MARKERS or finding.start < last:
            continue
        pieces += [text[last : finding.start], MARKERS[finding.kind]]
        last = finding.end
    pieces.append(text[last:])
    return "".join(pieces)


def describe(field_label: str, finding: Finding) -> str:
    """A refusal that names the field and the position, never the number itself."""
    return _(
        "%(field)s contains %(kind)s at character %(position)d: personal information is never "
        "published (remove it, or have a regulator confirm its replacement by a marker)."
    ) % {"field": field_label, "kind": KIND_LABELS[finding.kind], "position": finding.position}
