"""Objects named ``module:attribute`` (a user's policy, reward or agent), imported with errors that say how
to fix them. Below the registries that use it (policies, rewards), so none of them imports another.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_simarena.errors import SimArenaError


def load_object(spec: str, *, what: str, search: Sequence[Path] = ()) -> Any:
    """Import ``module:attribute`` (dots allowed in the attribute); errors name the spec and the fix.

    ``search`` lists folders where a user's module may sit (a scenario file's folder, the rootdir): when
    the module is not importable otherwise, the first of them holding it is added to ``sys.path``, as
    pytest does for a rootdir conftest.
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise SimArenaError(f"{what} {spec!r}: expected 'module:attribute', e.g. 'mypkg.agents:MyPolicy'")
    # Like `python -m`, find modules in the current directory too (the console script's sys.path lacks it).
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    top = module_name.split(".")[0]
    try:
        obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name not in (top, module_name):
            raise SimArenaError(f"{what} {spec!r}: importing {module_name!r} failed: {exc}") from None
        holder = next((d for d in search if (d / f"{top}.py").is_file() or (d / top).is_dir()), None)
        if holder is None:
            where = " or ".join(str(d) for d in search) or os.getcwd()
            raise SimArenaError(
                f"{what} {spec!r}: cannot import module {module_name!r} ({exc}); put {top}.py in {where}, "
                "install it (pip install -e .) or add its folder to PYTHONPATH"
            ) from None
        sys.path.append(str(holder))
        importlib.invalidate_caches()
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise SimArenaError(f"{what} {spec!r}: cannot import module {module_name!r} ({exc})") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise SimArenaError(
                f"{what} {spec!r}: module {module_name!r} has no attribute {attr!r}"
            ) from None
    return obj
