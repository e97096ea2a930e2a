"""The temporary files of :func:`liger.io.codec.save`: written next to the target and renamed
over it, so an interrupted save never leaves a partial file at the target. They are named
``.<target name>.<writer pid>.<12 hex digits>.liger-tmp``: a save killed outright (SIGKILL,
power loss) cannot remove its own, so every save of a path first removes the temporaries of
that path whose writer is no longer alive (or that are over a day old)."""

from __future__ import annotations

import os
import re
import secrets
import time

_TEMPORARY_SUFFIX = ".liger-tmp"
# A temporary this old is stale whoever wrote it (a writer on another host, a reused pid).
_STALE_SECONDS = 24 * 3600


def remove_stale_temporaries(directory: str, base: str) -> None:
    """Remove the temporaries earlier saves of ``base`` left (their writer is dead)."""
    pattern = re.compile(
        rf"\.{re.escape(base)}\.(\d+)\.[0-9a-f]{{12}}{re.escape(_TEMPORARY_SUFFIX)}"
    )
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        full = os.path.join(directory, name)
        try:
            stale = not _alive(int(match.group(1))) or (
                time.time() - os.path.getmtime(full) > _STALE_SECONDS
            )
            if stale:
                os.unlink(full)
        except OSError:  # gone meanwhile, or not ours to remove
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread's save, or a reused pid (then the age rule removes it)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True
    return True


def temporary_name(directory: str, base: str) -> str:
    return os.path.join(
        directory, f".{base}.{os.getpid()}.{secrets.token_hex(6)}{_TEMPORARY_SUFFIX}"
    )
