"""Personal numbers hidden in free text (DOMAIN.md 10): identity numbers, mobile numbers, bank cards.

Facts, case names and results are written by people and sometimes carry what DOMAIN.md 6 forbids
to publish. ``personal_numbers`` finds them so that entry and import can refuse the text with the
position named; a finding never repeats the number itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from registry.codes import ID_CHECK, ID_WEIGHTS, is_valid_uscc, registration_check_digit

# A run of digits (an identity number may end in X) that is not part of a longer code or word.
_NUMBERS = re.compile(r"(?<![0-9A-Za-z])\d{11,19}[Xx]?(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Finding:
    kind: str  # "identity_number", "mobile_number" or "bank_card"
    position: int  # 1-based character position in the text

    @property
    def label(self) -> str:
        return {
            "identity_number": _("an identity number"),
            "mobile_number": _("a mobile number"),
            "bank_card": _("a bank card number"),
        }[self.kind]


def _is_identity_number(number: str) -> bool:
    """GB 11643: 17 digits and a check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(char) * weight for char, weight in zip(number[:17], ID_WEIGHTS, strict=True))
    return number[17].upper() == ID_CHECK[total % 11]


def _luhn(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _is_registration_number(number: str) -> bool:
    return len(number) == 15 and registration_check_digit(number[:14]) == number[14]


def classify(number: str) -> str | None:
    """What a run of digits is, if it is a personal number DOMAIN.md 10 names."""
    if _is_identity_number(number):
        return "identity_number"
    if not number.isdigit():
        return None
    if len(number) == 11 and number[0] == "1" and number[1] in "3456789":
        return "mobile_number"
    # A business registration number or a credit code made of digits is not a person's number.
    if 13 <= len(number) <= 19 and _luhn(number) and not _is_registration_number(number):
        if not (len(number) == 18 and is_valid_uscc(number)):
            return "bank_card"
    return None


def personal_numbers(text: str) -> list[Finding]:
    """Every identity, mobile or bank card number in ``text``, by position."""
    if not text or len(text) < 11:
        return []
    found = []
    for match in _NUMBERS.finditer(text):
        kind = classify(match.group())
        if kind:
            found.append(Finding(kind, match.start() + 1))
    return found
