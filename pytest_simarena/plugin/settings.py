"""The plugin's face of the settings table (:mod:`pytest_simarena.settings`): option ``--simarena-<name>``,
ini ``simarena_<name>``, env ``SIMARENA_<NAME>`` for every row of the ``plugin`` face.

Resolution follows pytest-django's habit: command line > environment > ini > default, and the source of each
value is remembered so the report header can say ``seed=7 (from env)``. A bad value (an unknown reward, a
malformed number) is a ``pytest.UsageError`` naming the option, the env variable or the ini key: pytest
exits with code 4 before collecting anything.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from pytest_simarena import settings as table
from pytest_simarena.settings import ResolvedSettings, Setting, SettingError, Source

__all__ = ["SETTINGS", "ResolvedSettings", "add_options", "header", "resolve", "resolve_raw"]

SETTINGS: tuple[Setting, ...] = table.face_rows("plugin")


def _dest(row: Setting) -> str:
    return "simarena_" + row.name


def add_options(parser: pytest.Parser) -> None:
    """Register every plugin setting as a command-line option and an ini key (older names stay accepted)."""
    group = parser.getgroup("simarena", "simulated Kubernetes repair scenarios (pytest-simarena)")
    for s in SETTINGS:
        help_text = f"{s.help} (ini {s.ini}, env {s.env}, default {s.shown_default})"
        if s.type is bool:
            kwargs: dict[str, object] = {"action": "store_const", "const": "true"}
        else:
            kwargs = {"action": "store", "metavar": s.metavar}
        group.addoption(s.option, default=None, dest=_dest(s), help=help_text, **kwargs)
        parser.addini(s.ini, help=s.help, type="string", default="")
        for alias in s.aliases:
            old = Setting(name=alias, type=s.type, default=s.default, help=s.help, group=s.group)
            if old.option not in {r.option for r in SETTINGS}:
                # Unlisted in --help (argparse.SUPPRESS): one name per setting is shown and documented.
                group.addoption(old.option, default=None, dest=_dest(old), help=argparse.SUPPRESS, **kwargs)
                parser.addini(old.ini, help=f"Deprecated: use {s.ini}", type="string", default="")


def _names(row: Setting) -> list[Setting]:
    """The row and, after it, rows standing for its older names (same parser, other spellings)."""
    return [
        row,
        *(Setting(name=a, type=row.type, default=row.default, help="", group=row.group) for a in row.aliases),
    ]


def resolve_raw(
    cli: Mapping[str, str | None],
    env: Mapping[str, str],
    ini: Mapping[str, str | None],
    *,
    rootpath: Path,
) -> ResolvedSettings:
    """Resolve from plain mappings (cli and ini keyed by setting name, env by variable name); no pytest.

    Raises:
        SettingError: a value is bad; the message names the option, env variable or ini key and the source.
    """

    def layer(
        source: Source,
        values: Mapping[str, str | None],
        key: Callable[[Setting], str],
        where: Callable[[Setting], str],
    ) -> tuple[Source, Callable[[Setting], tuple[str, str] | None]]:
        def lookup(row: Setting) -> tuple[str, str] | None:
            for name in _names(row):
                text = values.get(key(name))
                if text is not None:
                    return where(name), text
            return None

        return source, lookup

    layers = [
        layer("cli", cli, lambda s: s.name, lambda s: s.option),
        layer("env", env, lambda s: s.env, lambda s: s.env),
        layer("ini", ini, lambda s: s.name, lambda s: s.ini),
    ]
    return table.resolve_text(SETTINGS, layers, rootpath=rootpath)


def _ini_text(config: pytest.Config, name: str) -> str | None:
    raw = config.getini("simarena_" + name)
    if isinstance(raw, list):  # pragma: no cover - only if another plugin re-declares the key as a list
        raw = ",".join(str(r) for r in raw)
    text = str(raw)
    return text if text.strip() else None


def resolve(config: pytest.Config, env: Mapping[str, str] | None = None) -> ResolvedSettings:
    """Read every setting from ``config`` and the environment (cli > env > ini > default)."""
    every = [name for row in SETTINGS for name in _names(row)]
    cli = {s.name: config.getoption(_dest(s)) for s in every}
    ini = {s.name: _ini_text(config, s.name) for s in every}
    try:
        return resolve_raw(cli, os.environ if env is None else env, ini, rootpath=config.rootpath)
    except SettingError as exc:
        raise pytest.UsageError(str(exc)) from None


def header(resolved: ResolvedSettings) -> str:
    """``simarena: backend=embedded (from default), seed=7 (from env), ...`` for the report header."""
    return "simarena: " + resolved.header()
