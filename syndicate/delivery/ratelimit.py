"""Limits shared by every process of a site through Redis: :class:`SharedWindow`, at most so many
events in any window of time, on the Redis server's clock (so that hosts whose clocks differ still
share one window); [delivery] rate over a whole worker fleet (:class:`FleetRateLimiter`) is one.

The same rule as the in-process :class:`~syndicate.delivery.send.RateLimiter` (at most ``rate``
messages in any one-second window, or one in any ``1/rate`` seconds below one a second), kept
in a sorted set that a Lua script reads and writes in one step.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from typing import Any

log = logging.getLogger(__name__)

# KEYS[1]: the window; ARGV: its length (µs), the most it holds, a name for this event.
# Returns 0 when the event is let in (and counted), else the µs until the oldest one leaves the window.
_ACQUIRE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000000 + tonumber(now[2])
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
    redis.call('ZADD', KEYS[1], t, ARGV[3])
    redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
    return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - t)
"""


class SharedWindow:
    """At most ``limit`` events in any ``window`` seconds under one key, counted in Redis at ``url``.

    :meth:`enter` lets an event in (0) or says how many seconds until one may be; it raises
    ``redis.RedisError`` while Redis cannot be reached (the caller decides: wait, or let it in).
    """

    def __init__(self, url: str, *, window: float, limit: int, timeout: float = 10) -> None:
        import redis

        self.window = window
        self.limit = limit
        self.errors = redis.RedisError
        self.client: Any = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=min(timeout, 5))
        self.script = self.client.register_script(_ACQUIRE)
        self._names = (f"{secrets.token_hex(6)}-{n}" for n in itertools.count())

    def enter(self, key: str) -> float:
        wait = self.script(keys=[key], args=[int(self.window * 1_000_000), self.limit, next(self._names)])
        return wait / 1_000_000

    def close(self) -> None:
        self.client.close()


class FleetRateLimiter:
    """At most ``rate`` acquisitions in any one-second window by all workers sharing ``key`` (0: none).

    While Redis cannot be reached (restarted, say), it waits and tries again: no message goes
    out unmetered.
    """

    def __init__(self, url: str, rate: float, *, key: str) -> None:
        self.rate = rate
        self.key = key
        self.url = url
        self.window = max(1.0, 1.0 / rate) if rate > 0 else 1.0
        self.limit = max(1, int(rate * self.window))
        self._shared: SharedWindow | None = None

    def acquire(self) -> None:
        if self.rate <= 0:
            return
        if self._shared is None:
            self._shared = SharedWindow(self.url, window=self.window, limit=self.limit)
        while True:
            try:
                wait = self._shared.enter(self.key)
            except self._shared.errors as err:
                log.warning("the rate limit's Redis is out of reach (%s); trying again", err)
                time.sleep(0.5)
                continue
            if not wait:
                return
            time.sleep(wait)

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
