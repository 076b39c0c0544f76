"""strongroom.native: the list setup.py compiles, and how a stale build is found."""

from __future__ import annotations

import importlib
import os
import runpy
import sys
from collections.abc import Iterator
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest
import setuptools

from strongroom import native

REPO = Path(__file__).resolve().parents[2]


def test_every_hot_path_module_exists_and_imports() -> None:
    for name in native.HOT_PATH:
        assert importlib.import_module(name).__name__ == name


def test_setup_compiles_exactly_the_hot_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRONGROOM_PURE_PYTHON", "1")
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(setuptools, "setup", lambda **kwargs: calls.append(kwargs))
    namespace = runpy.run_path(str(REPO / "setup.py"))
    assert namespace["hot_path"]() == list(native.HOT_PATH)
    # Pure Python on request: nothing to build.
    assert calls == [{"ext_modules": []}]


@pytest.fixture
def fake_package(tmp_path: Path) -> Iterator[Path]:
    """A package ``fakepkg`` on sys.path, for placing sources and extension files in."""
    package = tmp_path / "fakepkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    try:
        yield package
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "fakepkg" or m.startswith("fakepkg.")]:
            del sys.modules[name]


def _touch(path: Path, mtime: float) -> None:
    path.write_bytes(b"")
    os.utime(path, (mtime, mtime))


def test_a_source_newer_than_its_extension_is_stale(fake_package: Path) -> None:
    # The extension file is never loaded: only where it lies and when it was written count.
    _touch(fake_package / f"fresh{EXTENSION_SUFFIXES[0]}", 2_000_000_000)
    _touch(fake_package / "fresh.py", 1_000_000_000)
    _touch(fake_package / f"edited{EXTENSION_SUFFIXES[0]}", 1_000_000_000)
    _touch(fake_package / "edited.py", 2_000_000_000)
    _touch(fake_package / "plain.py", 2_000_000_000)
    modules = ["fakepkg.fresh", "fakepkg.edited", "fakepkg.plain"]
    assert native.compiled_modules(modules) == ["fakepkg.fresh", "fakepkg.edited"]
    assert native.stale_modules(modules) == ["fakepkg.edited"]


def test_an_extension_without_its_source_is_not_stale(fake_package: Path) -> None:
    # Nothing to compare with: not stale.
    _touch(fake_package / f"shipped{EXTENSION_SUFFIXES[0]}", 1_000_000_000)
    assert native.compiled_modules(["fakepkg.shipped"]) == ["fakepkg.shipped"]
    assert native.stale_modules(["fakepkg.shipped"]) == []
