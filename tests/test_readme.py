"""The README opens with the two commands, and CI runs exactly those."""
import re

from tests.conftest import ROOT


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    return [b.strip() for b in blocks[:2]]


def test_ci_runs_the_readme_commands():
    setup, tests = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert setup in ci and tests in ci
    assert setup.startswith("pip install") and "haggler" in setup
    assert tests.startswith("python -m pytest")
