"""Constants and helpers shared by the sandbox tests (a uniquely named module: several test
folders have a conftest.py, so ``from conftest import ...`` would be ambiguous)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

KUBECTL = Path(sys.executable).parent / "kubectl"
EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "examples"
if not EXAMPLES.is_dir():
    EXAMPLES = Path("/work/shared/examples")


def kubectl_json(run, *args: str) -> dict:
    code, out, err = run(*args, "-o", "json")
    assert code == 0, err
    return json.loads(out)
