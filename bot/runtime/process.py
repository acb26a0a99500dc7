"""Which process this is, and whether another is still alive: the name the inbound journal and the outbox
claims give their holder, so that a process that starts takes over only what a dead one of this machine left."""

from __future__ import annotations

import os
import secrets
import socket

HOST = socket.gethostname()[:40]


_PROCESS: dict[int, str] = {}


def this_process() -> str:
    """This process, as a holder is named: its machine, its pid, and a token that a pid reused never shares."""
    return _PROCESS.setdefault(os.getpid(), f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}")


def gone(holder: str | None) -> bool:
    """Whether a claim's holder was a process of this machine that no longer runs."""
    host, _, rest = (holder or "").partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdecimal():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: alive
        return False
    return False
