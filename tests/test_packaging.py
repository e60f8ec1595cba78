"""The wheel carries everything the front end needs (users install it with no Node)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CDN = re.compile(rb"https?://(cdn\.|unpkg\.com|esm\.sh|cdn\.jsdelivr|cdnjs\.)")


def test_the_wheel_carries_the_bundles_and_notebooks_and_nothing_from_a_cdn(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path)],
        check=True, capture_output=True,
    )
    [wheel] = tmp_path.glob("rollouts_widgets-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entries = sorted(p.stem for p in (ROOT / "frontend/src/entries").glob("*.ts"))
        assert entries, "no front-end entry points"
        for entry in entries:
            bundle = f"rollouts_widgets/widgets/static/{entry}.js"
            assert bundle in names
            assert not CDN.search(zf.read(bundle))
        assert {f"rollouts_widgets/_notebooks/{nb}" for nb in (
            "dashboard.ipynb", "quickstart.ipynb")} <= names
        assert not any("node_modules" in n for n in names)
