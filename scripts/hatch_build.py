"""Build hook: make sure the wheel carries the front-end bundle.

A wheel built from a checkout compiles the TypeScript with the npm toolchain (if the bundle
is missing); a wheel without the bundle fails the build, so `pip install` never needs Node.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE = Path("rollouts_widgets/widgets/static/widget.js")


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        bundle = root / BUNDLE
        frontend = root / "frontend"
        if not bundle.exists() and (frontend / "package.json").exists():
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError("front-end bundle missing and npm not found to build it")
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=frontend, check=True)
            subprocess.run([npm, "run", "build"], cwd=frontend, check=True)
        if not bundle.exists():
            raise RuntimeError(f"the wheel must carry the front-end bundle: {BUNDLE} is missing")
