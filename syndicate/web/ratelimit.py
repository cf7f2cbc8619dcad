"""The sign-up limit: at most ``[server] subscribe_rate`` requests per client address in any hour.

:class:`RateLimit` counts in the process's memory: right for one ``syndicate serve``. With a
broker configured (``[delivery] broker`` or ``$SYNDICATE_BROKER_URL``), :class:`SharedRateLimit`
counts in that Redis instead, so that every process and host serving the pages counts the same
requests, on the Redis server's clock. While Redis cannot be reached, sign-ups are let through
(logged once per outage): a broken limit must not close the form.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from hashlib import sha256

from ..config import Config, broker_url
from ..delivery.ratelimit import SharedWindow

log = logging.getLogger("syndicate.web")

HOUR = 3600.0


class RateLimit:
    """At most ``per_hour`` hits per client address in any ``window`` (an hour), kept in memory."""

    def __init__(self, per_hour: int, *, window: float = HOUR) -> None:
        self.per_hour = per_hour
        self.window = window
        self.hits: dict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        with self.lock:
            hits = self.hits[client]
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.per_hour:
                return False
            hits.append(now)
            return True

    def close(self) -> None:
        pass


class SharedRateLimit:
    """The same limit, counted in Redis at ``url`` for every process serving the site ``site``."""

    def __init__(self, url: str, per_hour: int, *, site: str, window: float = HOUR) -> None:
        self.shared = SharedWindow(url, window=window, limit=per_hour, timeout=2)
        self.prefix = f"syndicate:{sha256(site.encode()).hexdigest()[:16]}:subscribe:"
        self.failing = False

    def allow(self, client: str) -> bool:
        try:
            allowed = self.shared.enter(self.prefix + client) == 0
        except self.shared.errors as err:
            if not self.failing:
                log.warning("the sign-up limit cannot reach Redis (%s): sign-ups are let through until it can", err)
            self.failing = True
            return True
        if self.failing:
            log.info("the sign-up limit reaches Redis again")
            self.failing = False
        return allowed

    def close(self) -> None:
        self.shared.close()


def make_rate_limit(config: Config) -> RateLimit | SharedRateLimit:
    """The site's sign-up limit: shared through the broker's Redis when one is configured."""
    per_hour = config.server.subscribe_rate
    if url := broker_url(config.delivery):
        return SharedRateLimit(url, per_hour, site=config.site.home_url)
    return RateLimit(per_hour)
