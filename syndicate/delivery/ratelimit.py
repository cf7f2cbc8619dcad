"""[delivery] rate over a whole worker fleet: one window of send times in Redis, shared by all.

The same rule as the in-process :class:`~syndicate.delivery.send.RateLimiter` (at most ``rate``
messages in any one-second window, or one in any ``1/rate`` seconds below one a second), kept
in a sorted set that a Lua script reads and writes in one step, on the Redis server's clock, so
that workers on hosts whose clocks differ still share one window.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from typing import Any

log = logging.getLogger(__name__)

# KEYS[1]: the window; ARGV: its length (µs), the most it holds, a name for this send.
# Returns 0 when the send may go, else the µs until the oldest one leaves the window.
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


class FleetRateLimiter:
    """At most ``rate`` acquisitions in any one-second window by all workers sharing ``key`` (0: none).

    While Redis cannot be reached (restarted, say), it waits and tries again: no message goes
    out unmetered.
    """

    def __init__(self, url: str, rate: float, *, key: str) -> None:
        self.rate = rate
        self.key = key
        self.window = max(1.0, 1.0 / rate) if rate > 0 else 1.0
        self.limit = max(1, int(rate * self.window))
        self._names = (f"{secrets.token_hex(6)}-{n}" for n in itertools.count())
        self._client: Any = None
        self._script: Any = None
        self.url = url

    def acquire(self) -> None:
        if self.rate <= 0:
            return
        import redis

        if self._script is None:
            self._client = redis.Redis.from_url(self.url, socket_timeout=10, socket_connect_timeout=5)
            self._script = self._client.register_script(_ACQUIRE)
        name = next(self._names)
        while True:
            try:
                wait = self._script(keys=[self.key], args=[int(self.window * 1_000_000), self.limit, name])
            except redis.RedisError as err:
                log.warning("the rate limit's Redis is out of reach (%s); trying again", err)
                time.sleep(0.5)
                continue
            if not wait:
                return
            time.sleep(wait / 1_000_000)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
