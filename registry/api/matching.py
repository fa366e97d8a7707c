"""Entity matching for ``POST /api/v1/match`` (in the spirit of yente's /match).

Each query (name, optional code, optional district) gets ranked candidate subjects, each with a
score in [0, 1] and the features that produced it:
- ``exact_code``: the code or legacy registration number is the subject's (1.0);
- ``name_equal``: the normalised name equals the subject's current name (0.95) or a former one (0.9);
- ``name_similarity``: Dice coefficient of the names' character bigrams (up to 0.85), after
  dropping words every company name carries (北京, 有限公司, ...), which match everything;
- ``district``: +0.05 when the district agrees, -0.1 when it differs.
Candidates for the name features come from the bigram/trigram index of subject names
(``Subject.search_grams``), ranked by shared grams and capped at ``CANDIDATES`` rows per query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.expressions import RawSQL

from registry.codes import classify_query, normalise_code
from registry.models import Subject
from registry.ngrams import grams_of, normalise_name

CANDIDATES = 50
CONFIDENT = 0.9
# Words of almost every company name: they would make every subject a candidate.
_COMMON = re.compile(
    r"(北京市|北京|天津市|天津|河北省|河北|中国|有限责任公司|股份有限公司|有限公司|分公司|公司|集团|"
    r"股份|有限|责任|科技|技术|发展|商贸|贸易|服务|管理|咨询)"
)


@dataclass
class Candidate:
    subject: Subject
    reasons: list[dict] = field(default_factory=list)
    score: float = 0.0

    def add(self, feature: str, score: float, detail: str = "") -> None:
        self.reasons.append({"feature": feature, "score": round(score, 4), "detail": detail})


def _core(name: str) -> str:
    return _COMMON.sub("", normalise_name(name))


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two normalised names."""
    grams_a, grams_b = _bigrams(a), _bigrams(b)
    if not grams_a or not grams_b:
        return 0.0
    return 2 * len(grams_a & grams_b) / (len(grams_a) + len(grams_b))


def _name_candidates(name: str) -> list[Subject]:
    core = _core(name) or normalise_name(name)
    grams = sorted(g for g in grams_of(core) if len(g) == 2) or sorted(grams_of(core))
    if not grams:
        return []
    shared = RawSQL(
        "cardinality(ARRAY(SELECT unnest(search_grams) INTERSECT SELECT unnest(%s::varchar[])))", (grams,)
    )
    return list(
        Subject.objects.filter(search_grams__overlap=grams)
        .annotate(shared=shared)
        .order_by("-shared", "pk")
        .prefetch_related("former_names")[:CANDIDATES]
    )


def _score(candidate: Candidate, name: str, district: str) -> None:
    subject = candidate.subject
    wanted = normalise_name(name)
    best = max((f["score"] for f in candidate.reasons), default=0.0)
    if wanted:
        current = normalise_name(subject.name)
        former = [normalise_name(n.name) for n in subject.former_names.all()]
        if wanted == current:
            candidate.add("name_equal", 0.95, "current name")
        elif wanted in former:
            candidate.add("name_equal", 0.9, "former name")
        else:
            sim = max(
                similarity(_core(name), _core(n))
                for n in [subject.name, *(x.name for x in subject.former_names.all())]
            )
            candidate.add("name_similarity", 0.85 * sim, f"{sim:.2f}")
        best = max(f["score"] for f in candidate.reasons)
    if district and subject.district:
        if district == subject.district:
            candidate.add("district", 0.05, "same district")
            best = min(1.0, best + 0.05)
        else:
            candidate.add("district", -0.1, "different district")
            best = max(0.0, best - 0.1)
    candidate.score = round(best, 4)


def match(query: dict, limit: int, threshold: float) -> list[Candidate]:
    """Ranked candidates for one query (dict with name, code, district)."""
    name = (query.get("name") or "").strip()
    code = normalise_code(query.get("code") or "")
    district = query.get("district") or ""
    found: dict[int, Candidate] = {}
    if code:
        for subject in Subject.objects.filter(Q(code=code) | Q(registration_number=code)).prefetch_related(
            "former_names"
        ):
            found[subject.pk] = Candidate(subject)
            found[subject.pk].add("exact_code", 1.0, code)
    if name and classify_query(name) != "name":
        for subject in Subject.objects.by_key(name).prefetch_related("former_names"):
            found.setdefault(subject.pk, Candidate(subject)).add("exact_code", 1.0, normalise_code(name))
        name = ""
    if name:
        for subject in _name_candidates(name):
            found.setdefault(subject.pk, Candidate(subject))
    for candidate in found.values():
        _score(candidate, name, district)
    ranked = sorted(found.values(), key=lambda c: (-c.score, c.subject.code))
    return [c for c in ranked if c.score >= threshold][:limit]
