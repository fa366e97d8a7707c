""" "Usable but not visible": an authorised agency asks whether an identity number belongs to the
legal representative of a subject and gets yes or no, through the blind index, never the number
(registry/rotation.py ``identity_number_matches``; the number is not stored nor logged).

Rate-limited per API key (``IDENTITY_VERIFY_PER_HOUR``): an identity number has few enough
possible values that unlimited questions would enumerate it. The counter lives in Redis; with
Redis down the check is refused (it fails closed, unlike the ordinary quotas). Every question is an
``IdentityCheck`` row, shown to the subject's enterprise accounts under "who looked me up".
"""

from __future__ import annotations

import time

from django.conf import settings
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from accounts.models import ApiKey
from core.context import current_request_id
from enterprises.choices import IdentityCheckOutcome
from enterprises.models import IdentityCheck
from registry.codes import CodeError, parse_identity_number
from registry.models import Subject
from registry.rotation import identity_number_matches

WINDOW_SECONDS = 3600


class CheckUnavailable(Exception):
    """The rate limit cannot be counted (Redis down): no answer is given."""


def over_limit(key: ApiKey) -> int | None:
    """Count this question against the key's hourly limit: seconds to wait when over it, else None."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    counter = f"idverify:{key.prefix}:{window}"
    try:
        pipe = get_redis_connection("default").pipeline()
        pipe.incr(counter)
        pipe.expire(counter, WINDOW_SECONDS + 60)
        count = pipe.execute()[0]
    except RedisError as exc:
        raise CheckUnavailable() from exc
    if count > settings.IDENTITY_VERIFY_PER_HOUR:
        return max(1, int(WINDOW_SECONDS - now % WINDOW_SECONDS))
    return None


def check_legal_representative(subject: Subject, raw_number: str, key: ApiKey) -> str:
    """Answer and record one question; the outcome (match, no_match, invalid_number)."""
    try:
        number = parse_identity_number(raw_number)
    except CodeError:
        outcome = IdentityCheckOutcome.INVALID_NUMBER
    else:
        matched = identity_number_matches(subject, number)
        outcome = IdentityCheckOutcome.MATCH if matched else IdentityCheckOutcome.NO_MATCH
    IdentityCheck.objects.create(
        subject=subject,
        agency_id=key.agency_id,
        api_key=key,
        outcome=outcome,
        request_id=current_request_id(),
    )
    return outcome


def recent_checks(subject: Subject, limit: int = 50) -> list[IdentityCheck]:
    return list(IdentityCheck.objects.filter(subject=subject).select_related("agency")[:limit])
