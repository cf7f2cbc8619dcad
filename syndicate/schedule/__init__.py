"""When things are due (pure), one pass of what is due (``run``), the long-running scheduler, the lock, the clocks."""

from .clock import monotonic, utc_now
from .due import due_slot, next_slot, parse_cadence, parse_interval
from .lock import Busy, RunLock
from .run import RunReport, describe, local_time, run_once
from .send_at import cancel_send_time, parse_send_time, send_time_lines, set_send_time
from .status import status_lines
from .ticker import run_schedule

__all__ = ["Busy", "RunLock", "RunReport", "cancel_send_time", "describe", "due_slot", "local_time", "monotonic",
           "next_slot", "parse_cadence", "parse_interval", "parse_send_time", "run_once", "run_schedule",
           "send_time_lines", "set_send_time", "status_lines", "utc_now"]
