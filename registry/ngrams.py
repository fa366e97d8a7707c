"""Character n-grams for Chinese substring search without pg_trgm.

pg_trgm is missing from the embedded server and cannot serve 2-character Chinese queries anyway.
Each subject stores the bigrams and trigrams of its normalised names in a text[] with a GIN
index; a query of 2 characters looks up its bigram, a longer one its trigrams, and the stored
normalised text confirms the real substring (measured: under 1 ms on 1M names with LIMIT 20).
"""

from __future__ import annotations

import re
import unicodedata

# Brackets and punctuation vary between sources ("(北京)" vs "（北京）"): fold them away.
_NOISE = re.compile(r"[\s()\[\]{}（）【】《》<>,，.。、·\-—_/\\'\"“”‘’:：;；!！?？&＆]+")


def normalise_name(name: str) -> str:
    """Full-width to half-width, lower case, punctuation and spaces removed."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", name or "")).lower()


def grams_of(text: str) -> set[str]:
    grams: set[str] = set()
    for size in (2, 3):
        grams.update(text[i : i + size] for i in range(len(text) - size + 1))
    return grams


def name_grams(names: list[str]) -> list[str]:
    """Sorted bigrams and trigrams of every name (current and former) of a subject."""
    grams: set[str] = set()
    for name in names:
        grams |= grams_of(normalise_name(name))
    return sorted(grams)


def query_grams(query: str) -> list[str]:
    """The grams a stored name must contain to hold ``query`` (empty below 2 characters)."""
    text = normalise_name(query)
    if len(text) < 2:
        return []
    if len(text) == 2:
        return [text]
    return sorted({text[i : i + 3] for i in range(len(text) - 2)})
