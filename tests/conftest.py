import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CRAIGSLIST = ROOT.parent / "shared" / "data" / "craigslist"
TEST_DATA = Path(__file__).resolve().parent / "data"


def needs(present: bool, what: str, remedy: str) -> None:
    """Skips the test where `what` is missing, except in CI (CI=true, or 1, yes), where that is a failure."""
    if not present:
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail(f"{what} is missing: {remedy}")
        pytest.skip(f"needs {what}")


@pytest.fixture(scope="session")
def craigslist() -> Path:
    """../shared/data/craigslist."""
    needs((CRAIGSLIST / "dev.json").is_file(), str(CRAIGSLIST), "CI must have the shared data")
    return CRAIGSLIST


def haggler(*args: object, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    """`haggler ARGS` run in the repository, its output captured as text."""
    return subprocess.run([sys.executable, "-m", "dialogue.cli", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, **kw)
