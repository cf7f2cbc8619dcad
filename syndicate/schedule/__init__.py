"""When things are due (pure), one pass of what is due (``run``), the long-running scheduler, the lock, the clocks.

The clocks and the due logic are imported at once; the rest (which brings in the whole send)
when first asked for, so that a command reading only the clock (every ``--now``) does not pay
for the delivery stage at start-up.
"""

from .._lazy import lazy_names as _lazy_names

from .clock import monotonic, utc_now
from .due import due_slot, next_slot, parse_cadence, parse_interval

_LAZY = {
    "Busy": "lock", "RunLock": "lock", "RunReport": "run", "describe": "run", "local_time": "run", "run_once": "run",
    "cancel_send_time": "send_at", "parse_send_time": "send_at", "send_time_lines": "send_at",
    "set_send_time": "send_at", "status_lines": "status", "run_schedule": "ticker",
}

__all__ = ["Busy", "RunLock", "RunReport", "cancel_send_time", "describe", "due_slot", "local_time", "monotonic",
           "next_slot", "parse_cadence", "parse_interval", "parse_send_time", "run_once", "run_schedule",
           "send_time_lines", "set_send_time", "status_lines", "utc_now"]


__getattr__ = _lazy_names(__name__, _LAZY, globals())
