"""When things are due (pure), one pass of what is due (``run``), the long-running scheduler, the lock."""

from .due import due_slot, next_slot, parse_cadence, parse_interval
from .lock import Busy, RunLock
from .run import RunReport, describe, run_once
from .status import status_lines
from .ticker import run_schedule

__all__ = ["Busy", "RunLock", "RunReport", "describe", "due_slot", "next_slot", "parse_cadence", "parse_interval",
           "run_once", "run_schedule", "status_lines"]
