import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CRAIGSLIST = ROOT.parent / "shared" / "data" / "craigslist"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def craigslist() -> Path:
    """../shared/data/craigslist: skipped where it is missing, except in CI, where that is a failure."""
    if not (CRAIGSLIST / "dev.json").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CRAIGSLIST} is missing: CI must have the shared data")
        pytest.skip("needs ../shared/data/craigslist")
    return CRAIGSLIST
