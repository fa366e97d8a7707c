"""Character n-grams for Chinese substring search without pg_trgm.

pg_trgm is missing from the embedded server and cannot serve 2-character Chinese queries anyway.
Each subject stores the bigrams and trigrams of its normalised names in a text[] with a GIN
index; a query of 2 characters looks up its bigram, a longer one its trigrams, and the stored
normalised text confirms the real substring (measured: under 1 ms on 1M names with LIMIT 20).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

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


# -- The rank-ordered bigrams of names (``NameGram``) ------------------------------------------------
#
# The database keeps registry_namegram from registry_subject.search_text with the triggers of
# migration 0019, through the SQL function ``registry_name_grams`` (search_text -> rows). Nothing
# in Python writes it; these rebuild it (after a restore that skipped the triggers, say) and tell
# whether it is what a rebuild would make.

_ALL_ROWS = (
    "SELECT g.gram, g.tier, g.length, g.name, g.subject_id, g.formers FROM registry_subject s "
    "CROSS JOIN LATERAL registry_name_grams(s.id, s.search_text) g"
)


def rebuild_name_grams(cursor: Any) -> int:
    """Make registry_namegram again from every subject's names; returns its rows."""
    cursor.execute("DELETE FROM registry_namegram")
    columns = "gram, tier, length, name, subject_id, formers"
    cursor.execute(f"INSERT INTO registry_namegram ({columns}) {_ALL_ROWS}")
    return int(cursor.rowcount)


def name_gram_differences(cursor: Any) -> int:
    """Rows of registry_namegram that a rebuild would not make, plus rows it would make that are
    missing (0 when the table is right)."""
    columns = "gram::text, tier, length, name::text, subject_id, formers"
    cursor.execute(
        f"SELECT count(*) FROM ((SELECT {columns} FROM registry_namegram EXCEPT ALL {_ALL_ROWS}) "
        f"UNION ALL ({_ALL_ROWS} EXCEPT ALL SELECT {columns} FROM registry_namegram)) d"
    )
    return int(cursor.fetchone()[0])
