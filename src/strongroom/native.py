"""Which modules of the request hot path run as mypyc-compiled C extensions.

``setup.py`` compiles the modules named in ``HOT_PATH`` with mypyc when the
package is installed (unless ``STRONGROOM_PURE_PYTHON=1``); the rest of the
package is always interpreted. Behaviour is the same either way. Compiled code
runs Encrypt, Decrypt and GenerateDataKey, their audit events included, with
about a fifth fewer instructions (docs/operations.md, "Compiled modules").

This module is read by setup.py without being imported (it parses
``HOT_PATH``), so it must keep ``HOT_PATH`` a literal tuple of strings.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

__all__ = ["HOT_PATH", "compiled_modules", "stale_modules"]

HOT_PATH = (
    "strongroom.audit.chain",
    "strongroom.audit.events",
    "strongroom.audit.parameters",
    "strongroom.audit.recorder",
    "strongroom.auth.credentials",
    "strongroom.auth.sigv4",
    "strongroom.clock",
    "strongroom.crypto.blob",
    "strongroom.http.app",
    "strongroom.http.audit_events",
    "strongroom.http.codec",
    "strongroom.http.shapes",
    "strongroom.service.authorization",
    "strongroom.service.crypto_ops",
    "strongroom.service.identifiers",
    "strongroom.service.key_cache",
    "strongroom.service.lookup",
    "strongroom.service.request_info",
    "strongroom.service.states",
)


def _extensions(modules: Iterable[str]) -> list[tuple[str, Path]]:
    """(module, extension file) for those of ``modules`` that import as compiled extensions."""
    found = []
    for m in modules:
        spec = importlib.util.find_spec(m)
        if spec is not None and spec.origin is not None:
            origin = Path(spec.origin)
            if origin.name.endswith(tuple(EXTENSION_SUFFIXES)):
                found.append((m, origin))
    return found


def compiled_modules(modules: Iterable[str] = HOT_PATH) -> list[str]:
    """Those of ``modules`` that import as compiled extensions."""
    return [m for m, _ in _extensions(modules)]


def stale_modules(modules: Iterable[str] = HOT_PATH) -> list[str]:
    """Compiled modules whose Python source beside them is newer than the extension.

    For an editable install (the development tree), where the build writes each
    extension beside its source and Python imports the extension first: an edited
    source is shadowed by the old extension until the package is built again. In
    an installed wheel the file times mean nothing.
    """
    stale = []
    for m, extension in _extensions(modules):
        source = extension.parent / (m.rpartition(".")[2] + ".py")
        if source.exists() and source.stat().st_mtime > extension.stat().st_mtime:
            stale.append(m)
    return stale
