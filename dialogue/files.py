"""Writing a file whole: a transcript, a dialogue file, a run's settings, a parser model."""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


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
    tmp = new_file_beside(target)
    try:
        tmp.write_bytes(raw)
        if target.exists():
            shutil.copymode(target, tmp)  # the old file's permissions, not the new one's defaults
        os.replace(tmp, target)
    finally:  # a write cut short (a full disk) leaves the old file, and no half of a new one beside it
        tmp.unlink(missing_ok=True)


def new_file_beside(target: Path) -> Path:
    """An empty file of its own beside `target` (.NAME.RANDOM.tmp), made with a new file's permissions: a file or
    link by a name chosen before (NAME.tmp) could be another's, written through and then deleted."""
    while True:
        tmp = target.with_name(f"{hidden_prefix(target)}{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue


def hidden_prefix(path: Path) -> str:
    """The start of a hidden name beside `path` (.NAME.), NAME cut to 200 bytes: a name has 255 at most."""
    return f".{path.name.encode()[:200].decode(errors='ignore')}."


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A new folder beside `out` to write a run's files in; once they are all written, each replaces `out`'s file of
    its name at once. A save cut short (a full disk) leaves `out` as it was, and no folder beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=hidden_prefix(out), suffix=".tmp", dir=out.parent))
    try:
        yield stage
        out.mkdir(exist_ok=True)
        for written in sorted(stage.iterdir()):
            os.replace(written, out / written.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
