"""The ``syndicate`` command. Each command is thin: read the config, call one function, report.

One module per command (or family of commands); ``root`` is the group they hang from, and
``common`` what they share. Exit codes: 0 done; 1 done, with problems reported (a broken
article, say); 2 the command could not start (bad usage or configuration).
"""

from .root import main

# Each command's module is imported when the command runs (or --help lists it).
main.lazy.update({
    "init": ".init:init", "new": ".init:new", "build": ".build:build", "check": ".build:check",
    "newsletter": ".newsletter:newsletter", "send": ".send:send", "run": ".schedule:run",
    "schedule": ".schedule:schedule", "serve": ".serve:serve", "status": ".schedule:status",
    "subscribers": ".subscribers:subscribers", "sources": ".sources:sources", "worker": ".worker:worker",
    "state": ".state:state",
})

__all__ = ["main"]
