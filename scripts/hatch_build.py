"""Build hook: make sure the wheel carries the front-end bundle.

A wheel built from a checkout compiles the TypeScript with the npm toolchain (if the bundle
is missing); a wheel without the bundle fails the build, so `pip install` never needs Node.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

STATIC = Path("rollouts_widgets/widgets/static")
ENTRIES = Path("frontend/src/entries")


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        frontend = root / "frontend"
        # One bundle per entry point (list.js, detail.js, ...).
        bundles = [root / STATIC / f"{e.stem}.js" for e in sorted((root / ENTRIES).glob("*.ts"))]
        missing = [b for b in bundles if not b.exists()]
        if missing and (frontend / "package.json").exists():
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError("front-end bundle missing and npm not found to build it")
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=frontend, check=True)
            subprocess.run([npm, "run", "build"], cwd=frontend, check=True)
        missing = [b.name for b in bundles if not b.exists()]
        if not bundles or missing:
            raise RuntimeError(
                f"the wheel must carry the front-end bundles; missing in {STATIC}: "
                f"{', '.join(missing) or 'no entries found under ' + str(ENTRIES)}"
            )
