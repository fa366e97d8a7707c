"""Identifier rules: unified social credit code, legacy registration number, resident ID number.

Rules from ../shared/DOMAIN.md section 1 (GB 32100-2015, GB 11714, GS 15-2006) and GB 11643.
Every failure says which check failed, so a regulator can tell a typo from a genuinely odd code.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from operator import mul

from django.utils.translation import gettext as _

# GB 32100-2015 section 4: the 31-character alphabet (no I, O, S, V, Z); value = index.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_VALUES = {char: index for index, char in enumerate(USCC_ALPHABET)}
# GB 32100-2015: weight of position i (1-based) is 3^(i-1) mod 31.
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# GB 11714: weights of the organisation code body (positions 9-16 of the USCC).
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# GB 11643-1999: weights and check characters of the 18-digit resident identity number.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

_SPACES = re.compile(r"\s+")


class CodeError(ValueError):
    """An identifier failed a named check (``check``) with a readable message."""

    def __init__(self, check: str, message: str):
        super().__init__(message)
        self.check = check
        self.message = message


def normalise_code(raw: str) -> str:
    """DOMAIN.md 1: strip spaces, full-width to half-width (NFKC), upper case."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", raw or "")).upper()


def uscc_check_character(first17: str) -> str:
    """GB 32100-2015: C18 = 31 - (sum(value_i * W_i) mod 31), where 31 becomes 0."""
    if len(first17) != 17:
        raise ValueError("17 characters expected")
    total = sum(map(mul, map(USCC_VALUES.__getitem__, first17), USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _org_value(char: str) -> int:
    # GB 11714: digits are their value, letters A=10 ... Z=35.
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


# The values of the characters a code can hold (a table: codes are checked a million at a time).
_ORG_VALUES = {char: _org_value(char) for char in string.digits + string.ascii_uppercase}


def org_code_check_character(body8: str) -> str:
    """GB 11714: C = 11 - (sum mod 11); 10 is written X and 11 is written 0."""
    if len(body8) != 8:
        raise ValueError("8 characters expected")
    values = _ORG_VALUES
    total = sum(
        map(mul, (values[char] if char in values else _org_value(char) for char in body8), ORG_CODE_WEIGHTS)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


@dataclass(frozen=True)
class UsccParts:
    code: str
    authority: str  # position 1
    category: str  # positions 1-2
    division: str  # positions 3-8 (GB/T 2260)
    organisation_code: str  # positions 9-17 (GB 11714)


def parse_uscc(raw: str) -> UsccParts:
    """Normalise and validate a unified social credit code; raise CodeError naming the check."""
    code = normalise_code(raw)
    if len(code) != 18:
        raise CodeError(
            "length",
            _("A unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(code)},
        )
    for position, char in enumerate(code, start=1):
        if char not in USCC_VALUES:
            raise CodeError(
                "alphabet",
                _("Character %(char)s at position %(pos)d is not allowed (I, O, S, V, Z are never used).")
                % {"char": char, "pos": position},
            )
    if not code[2:8].isdigit():
        raise CodeError("division", _("Positions 3-8 must be a 6-digit administrative division code."))
    expected_org = org_code_check_character(code[8:16])
    if code[16] != expected_org:
        raise CodeError(
            "organisation_check",
            _("The organisation code check (position 17, GB 11714) fails: expected %(exp)s, found %(got)s.")
            % {"exp": expected_org, "got": code[16]},
        )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise CodeError(
            "check_digit",
            _("The check character (position 18, GB 32100) fails: expected %(exp)s, found %(got)s.")
            % {"exp": expected, "got": code[17]},
        )
    return UsccParts(code, code[0], code[:2], code[2:8], code[8:17])


def is_valid_uscc(raw: str) -> bool:
    try:
        parse_uscc(raw)
    except CodeError:
        return False
    return True


def make_uscc(prefix: str) -> str:
    """Complete 16 leading characters (category, division, org body) with both check characters."""
    body = prefix[:16]
    with_org = body + org_code_check_character(body[8:16])
    return with_org + uscc_check_character(with_org)


def _iso7064_mod11_10(digits: str) -> int:
    """ISO 7064 MOD 11,10 running value over ``digits``; a valid number ends with product 1."""
    product = 10
    for char in digits:
        total = (product + int(char)) % 10 or 10
        product = (total * 2) % 11
    return product


def registration_check_digit(first14: str) -> str:
    """GS 15-2006: the check digit makes the ISO 7064 MOD 11,10 sum end at 1."""
    product = _iso7064_mod11_10(first14)
    return str((11 - product) % 10)


def parse_registration_number(raw: str) -> str:
    """Validate a legacy 15-digit business registration number (注册号, GS 15-2006)."""
    number = normalise_code(raw)
    if len(number) != 15 or not number.isdigit():
        raise CodeError(
            "length", _("A registration number has 15 digits; got %(value)s.") % {"value": number}
        )
    expected = registration_check_digit(number[:14])
    if number[14] != expected:
        raise CodeError(
            "check_digit",
            _(
                "The registration number check digit (ISO 7064 MOD 11,10) fails: "
                "expected %(exp)s, found %(got)s."
            )
            % {"exp": expected, "got": number[14]},
        )
    return number


def parse_identity_number(raw: str) -> str:
    """Validate an 18-character resident identity number (GB 11643). Never echo it in messages."""
    number = normalise_code(raw)
    if len(number) != 18 or not number[:17].isdigit():
        raise CodeError("length", _("An identity number has 17 digits and a check character."))
    total = sum(int(char) * weight for char, weight in zip(number[:17], ID_WEIGHTS, strict=True))
    if number[17] != ID_CHECK[total % 11]:
        raise CodeError("check_digit", _("The identity number check character fails."))
    return number


def classify_query(raw: str) -> str:
    """Tell what a search box holds: 'uscc', 'registration_number' or 'name'."""
    value = normalise_code(raw)
    if len(value) == 18 and all(char in USCC_VALUES for char in value):
        return "uscc"
    if len(value) == 15 and value.isdigit():
        return "registration_number"
    return "name"
