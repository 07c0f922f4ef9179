"""Seed 000's rate limits, per API key and kind of request, counted in the cache (Redis when ``REDIS_URL`` is set,
so every server process shares the counts).

Fixed windows aligned to the clock: ``10/hour`` allows 10 requests from :00 to :59 of each hour. Every limited
response carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (Unix time, seconds,
when the window ends); a refused one is ``429 RATE_LIMITED`` with ``Retry-After`` (seconds).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from .errors import ApiError

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
KINDS = {
    "schema_updates": "schema updates",
    "migrations": "migration generation",
    "performance": "performance checks",
}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*$")


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int

    @classmethod
    def parse(cls, text: str, kind: str) -> Rate:
        match = _RATE.match(text or "")
        if not match:
            raise ImproperlyConfigured(
                f"API rate limit for {kind} is {text!r}; write it as <count>/<second|minute|hour|day>, e.g. 10/hour."
            )
        return cls(int(match.group(1)), PERIODS[match.group(2)])


def rate_of(kind: str) -> Rate:
    return Rate.parse(settings.API_RATE_LIMITS[kind], kind)


def hit(request, kind: str) -> None:
    """Count one request of ``kind`` for the request's key; 429 when over the limit. Sets the headers."""
    rate = rate_of(kind)
    now = time.time()
    window = int(now // rate.period)
    reset = (window + 1) * rate.period
    # the key's prefix: random and unique, so counts never carry over to another key (even in a rebuilt database)
    key = f"api-rate:{kind}:{request.auth.prefix}:{window}"
    cache.add(key, 0, timeout=rate.period + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=rate.period + 5)
        count = 1
    headers = {
        "X-RateLimit-Limit": str(rate.limit),
        "X-RateLimit-Remaining": str(max(0, rate.limit - count)),
        "X-RateLimit-Reset": str(reset),
    }
    request.api_headers = {**getattr(request, "api_headers", {}), **headers}
    if count > rate.limit:
        retry = max(1, math.ceil(reset - now))
        raise ApiError(
            "RATE_LIMITED",
            f"Rate limit for {KINDS[kind]} reached: {rate.limit} per {_period_name(rate.period)} for this API key. "
            f"Retry in {retry} s.",
            headers={**headers, "Retry-After": str(retry)},
        )


def _period_name(seconds: int) -> str:
    return next(name for name, n in PERIODS.items() if n == seconds)
