"""Word lists for synthetic Beijing demo data, read from ``words.yaml`` beside this module.

The lists are data (edit the YAML, whose comments say what each holds); this module only gives
them their Python shape: lists become tuples, so the generator's output depends only on the seed,
never on ordering, and character lists become tuples of characters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_SOURCE = Path(__file__).with_name("words.yaml")


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items()}
    return value


def _characters(text: str) -> tuple[str, ...]:
    return tuple(char for char in text if not char.isspace())


_WORDS: dict[str, Any] = {
    name: _frozen(value)
    for name, value in yaml.load(
        _SOURCE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    ).items()
}

TRADE_NAME_CHARS: tuple[str, ...] = _characters(_WORDS["TRADE_NAME_CHARS"])
TRADE_NAME_WORDS: tuple = _WORDS["TRADE_NAME_WORDS"]
ENTERPRISE_INDUSTRIES: tuple = _WORDS["ENTERPRISE_INDUSTRIES"]
ENTERPRISE_SUFFIXES: tuple = _WORDS["ENTERPRISE_SUFFIXES"]
SHOP_KINDS: tuple = _WORDS["SHOP_KINDS"]
COOPERATIVE_PRODUCE: tuple = _WORDS["COOPERATIVE_PRODUCE"]
COOPERATIVE_DISTRICTS: tuple = _WORDS["COOPERATIVE_DISTRICTS"]
ASSOCIATION_FIELDS: tuple = _WORDS["ASSOCIATION_FIELDS"]
ASSOCIATION_KINDS: tuple = _WORDS["ASSOCIATION_KINDS"]
PRIVATE_UNIT_KINDS: tuple = _WORDS["PRIVATE_UNIT_KINDS"]
FOUNDATION_KINDS: tuple = _WORDS["FOUNDATION_KINDS"]
INSTITUTION_KINDS: tuple = _WORDS["INSTITUTION_KINDS"]
DISTRICT_SHORT: dict[str, str] = _WORDS["DISTRICT_SHORT"]
DISTRICT_SLUG: dict[str, str] = _WORDS["DISTRICT_SLUG"]
DIVISION_WEIGHTS: tuple = _WORDS["DIVISION_WEIGHTS"]
STREETS: tuple = _WORDS["STREETS"]
SURNAMES: tuple = _WORDS["SURNAMES"]
GIVEN_NAME_CHARS: tuple[str, ...] = _characters(_WORDS["GIVEN_NAME_CHARS"])
ID_BIRTH_DIVISIONS: tuple = _WORDS["ID_BIRTH_DIVISIONS"]
MUNICIPAL_DEPARTMENTS: tuple = _WORDS["MUNICIPAL_DEPARTMENTS"]
DISTRICT_DEPARTMENTS: tuple = _WORDS["DISTRICT_DEPARTMENTS"]
DOC_KIND: dict[str, str] = _WORDS["DOC_KIND"]
MR: str = _WORDS["MR"]
PENALTY_CASES: tuple = _WORDS["PENALTY_CASES"]
LICENCES: tuple = _WORDS["LICENCES"]
ABNORMALITY_REASONS: tuple = _WORDS["ABNORMALITY_REASONS"]
SERIOUS_DISHONESTY_REASONS: tuple = _WORDS["SERIOUS_DISHONESTY_REASONS"]
SPOT_CHECK_RESULTS: tuple = _WORDS["SPOT_CHECK_RESULTS"]
SPOT_CHECK_TOPICS: tuple = _WORDS["SPOT_CHECK_TOPICS"]
RED_LIST_HONOURS: tuple = _WORDS["RED_LIST_HONOURS"]
COMMITMENT_MATTERS: tuple = _WORDS["COMMITMENT_MATTERS"]
COMMITMENT_BASIS: str = _WORDS["COMMITMENT_BASIS"]
VOLUNTARY_ITEMS: tuple = _WORDS["VOLUNTARY_ITEMS"]
JUDGMENT_DEBTOR_FACTS: tuple = _WORDS["JUDGMENT_DEBTOR_FACTS"]
