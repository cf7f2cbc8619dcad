"""The ``syndicate`` command. Each command is thin: read the config, call one function, report.

One module per command (or family of commands); ``root`` is the group they hang from, and
``common`` what they share. Exit codes: 0 done; 1 done, with problems reported (a broken
article, say); 2 the command could not start (bad usage or configuration).
"""

from . import build, init, newsletter, schedule, send, serve, sources, state, subscribers, worker
from .root import main

for _command in (init.init, init.new, build.build, build.check, newsletter.newsletter, send.send, schedule.run,
                 schedule.schedule, serve.serve, schedule.status, subscribers.subscribers, sources.sources,
                 worker.worker, state.state):
    main.add_command(_command)

__all__ = ["main"]
