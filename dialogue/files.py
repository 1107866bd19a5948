"""Writing a file whole: a transcript, a dialogue file, a run's settings, a parser model."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


UMASK = os.umask(0o022)
os.umask(UMASK)  # read once, at import: reading it means setting it, which would race with other threads later


def write_whole(path: Path, data: str | bytes) -> None:
    """Replaces a file's text at once (a reader never sees half of it, and a write cut short leaves the old file):
    written beside it, then renamed over it. A symbolic link's target is what is replaced, and what is not a regular
    file (/dev/null) is written to. A write that fails once the file is open (a full disk) raises an OSError naming
    `path`, where the system's names no file."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        replace_whole(path, raw)
    except OSError as e:
        if e.filename is not None:
            raise
        raise OSError(e.errno, e.strerror, str(path)) from None


def replace_whole(path: Path, raw: bytes) -> None:
    """`write_whole` without its naming of the file in errors."""
    if path.exists() and not path.is_file():  # through the link: /dev/stdout's target may be a pipe with no path
        path.write_bytes(raw)
        return
    target = path.resolve()
    # a new name of its own: a file or link that was there by the name NAME.tmp is neither replaced nor written through
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        tmp.write_bytes(raw)
        if target.exists():
            shutil.copymode(target, tmp)  # the old file's permissions, not the new one's defaults
        else:
            tmp.chmod(0o666 & ~UMASK)  # as open() makes a file, not mkstemp's 0600
        os.replace(tmp, target)
    finally:  # a write cut short (a full disk) leaves the old file, and no half of a new one beside it
        tmp.unlink(missing_ok=True)

