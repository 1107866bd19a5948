"""The sections every model card haggler writes ends with: the command that made the model, and its settings."""
from __future__ import annotations

import json
from pathlib import Path


def command_and_settings(command: str, settings: dict) -> str:
    """`## Command` and `## Settings` (paths written as strings; the command is not repeated among the settings)."""
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in settings.items() if k != "command"}
    return (f"## Command\n```\n{command or '(called from Python)'}\n```\n\n"
            f"## Settings\n```json\n{json.dumps(settings, indent=1)}\n```\n")
