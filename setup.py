"""Build hook: compiles the request hot path with mypyc.

The modules in ``strongroom.native.HOT_PATH`` are type-annotated Python that
mypyc turns into C extensions; everything else stays interpreted.
``STRONGROOM_PURE_PYTHON=1`` at install time skips compilation, and the
package then runs as plain Python with the same behaviour.
"""

from __future__ import annotations

import ast
import os
import tempfile
from pathlib import Path

from setuptools import setup

NATIVE = Path(__file__).resolve().parent / "src" / "strongroom" / "native.py"


def hot_path() -> list[str]:
    """HOT_PATH from native.py, read without importing the package (its
    dependencies are not installed in the isolated build environment)."""
    for node in ast.parse(NATIVE.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "HOT_PATH" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise RuntimeError(f"no HOT_PATH in {NATIVE}")


# mypy settings for the build. Not pyproject's [tool.mypy]: its strict checks
# (scripts/check runs them with every dependency installed) would fail here,
# where third-party packages are missing and their types count as Any, which
# changes nothing in what the compiled code does.
BUILD_MYPY_CONFIG = """\
[mypy]
python_version = 3.11
ignore_missing_imports = True
"""


def extensions() -> list[object]:
    if os.environ.get("STRONGROOM_PURE_PYTHON", "") not in ("", "0"):
        return []
    from mypyc.build import mypycify

    paths = [str(Path("src", *m.split(".")).with_suffix(".py")) for m in hot_path()]
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch, "mypy.ini")
        config.write_text(BUILD_MYPY_CONFIG, encoding="utf-8")
        return list(
            mypycify(
                # A cache of its own: a development tree's .mypy_cache (from
                # scripts/check, with every dependency) would make its builds
                # differ from a clean checkout's.
                ["--config-file", str(config), "--cache-dir", str(Path(scratch, "cache")), *paths],
                opt_level="3",
                debug_level="0",
                group_name="strongroom",
            )
        )


setup(ext_modules=extensions())
