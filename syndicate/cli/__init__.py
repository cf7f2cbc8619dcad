"""The ``syndicate`` command. Each command is thin: read the config, call one function, report.

One module per command (or family of commands); ``root`` is the group they hang from, and
``common`` what they share. Exit codes: 0 done; 1 done, with problems reported (a broken
article, say); 2 the command could not start (bad usage or configuration).
"""

from .build import build, check
from .newsletter import newsletter
from .root import main
from .schedule import run, schedule, status
from .send import send
from .serve import serve
from .subscribers import subscribers

for _command in (build, check, newsletter, send, run, schedule, serve, status, subscribers):
    main.add_command(_command)

__all__ = ["main"]
