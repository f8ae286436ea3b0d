"""Every plugin setting, declared once: option ``--simarena-<name>``, ini ``simarena_<name>``, env
``SIMARENA_<NAME>``.

Resolution follows pytest-django's habit: command line > environment > ini > default, and the source of each
value is remembered so the report header can say ``seed=7 (from env)``. Values are parsed by small functions
that raise ``ValueError`` describing the accepted form; :func:`resolve` turns that into a
``pytest.UsageError`` naming the option, the env variable and the ini key.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterable

Source = str  # "cli" | "env" | "ini" | "default"

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def parse_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a boolean; it must be one of {', '.join(_TRUE + _FALSE[:-1])}")


def parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an integer (e.g. 0, 42)") from None


def parse_positive_int(text: str) -> int:
    value = parse_int(text)
    if value < 1:
        raise ValueError(f"{text!r} must be a positive integer (1 or more)")
    return value


def parse_seconds(text: str) -> float:
    """``120``, ``90.5``, ``2m``, ``1h`` -> seconds."""
    raw = text.strip().lower()
    scale = {"s": 1.0, "m": 60.0, "h": 3600.0}
    factor = 1.0
    if raw and raw[-1] in scale:
        factor = scale[raw[-1]]
        raw = raw[:-1]
    try:
        value = float(raw) * factor
    except ValueError:
        raise ValueError(
            f"{text!r} is not a duration; use seconds with an optional s, m or h suffix"
        ) from None
    if value <= 0:
        raise ValueError(f"{text!r} must be a positive duration")
    return value


def parse_str(text: str) -> str:
    return text.strip()


def parse_optional_str(text: str) -> str | None:
    return text.strip() or None


def parse_list(text: str) -> tuple[str, ...]:
    """Comma- or newline-separated list (ini values may span lines)."""
    parts = [p.strip() for chunk in text.splitlines() for p in chunk.split(",")]
    return tuple(p for p in parts if p)


def parse_kube_mode(text: str) -> str:
    mode = text.strip()
    if mode not in ("simkube", "direct"):
        raise ValueError(
            f"{text!r} is not a kube mode; use simkube (a SimKube Simulation) or direct (apply the workloads)"
        )
    return mode


def parse_backend(text: str) -> str:
    from pytest_simarena.backends.registry import available_backends

    name = text.strip()
    known = tuple(available_backends())  # built-ins plus the simarena.backends entry points
    if name not in known:
        import difflib

        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{text!r} is not a backend{hint}; use one of {', '.join(known)}")
    return name


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the table: everything about a setting is derived from it."""

    name: str
    parse: Callable[[str], Any]
    default: str
    help: str
    flag: bool = False  # a store-true style CLI flag (no argument)
    metavar: str | None = None

    @property
    def option(self) -> str:
        return "--simarena-" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        return "simarena_" + self.name

    @property
    def ini(self) -> str:
        return "simarena_" + self.name

    @property
    def env(self) -> str:
        return "SIMARENA_" + self.name.upper()


# The one table. Defaults are strings so they go through the same parser as every other source.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "backend", parse_backend, "embedded", "Cluster backend: embedded (simulated) or kube (real cluster)"
    ),
    Setting("kubeconfig", parse_optional_str, "", "Kubeconfig file for the kube backend", metavar="PATH"),
    Setting("context", parse_optional_str, "", "Kubeconfig context for the kube backend", metavar="NAME"),
    Setting(
        "kube_mode",
        parse_kube_mode,
        "simkube",
        "How the kube backend replays traces: simkube (a Simulation) or direct (server-side apply)",
        metavar="MODE",
    ),
    Setting(
        "seed", parse_int, "0", "Base seed; each test's seed is derived from it and the test id", metavar="N"
    ),
    Setting("steps", parse_positive_int, "5", "Maximum steps per episode", metavar="N"),
    Setting(
        "step_duration",
        parse_seconds,
        "120",
        "Simulated seconds per step (s, m, h suffix)",
        metavar="SECONDS",
    ),
    Setting("reward", parse_str, "binary", "Reward function name or module:name", metavar="NAME"),
    Setting(
        "trace_dirs",
        parse_list,
        "traces/canonical,traces/generated",
        "Folders searched for traces named without a path (comma-separated, relative to rootdir)",
        metavar="DIRS",
    ),
    Setting("keep_namespaces", parse_bool, "false", "Keep each test's namespace after it ran", flag=True),
    Setting("keep_failed", parse_bool, "false", "Keep the namespace of a failed test", flag=True),
    Setting(
        "report_dir",
        parse_optional_str,
        "",
        "Folder for results.json and timings.json (relative to rootdir); unset: beside --html, else "
        "beside --junitxml, else none",
        metavar="DIR",
    ),
    Setting(
        "run_dir",
        parse_optional_str,
        "",
        "Keep each scenario test's run folder (steps.jsonl, summary.json, traces) under DIR/<test>",
        metavar="DIR",
    ),
    Setting(
        "scenario_glob",
        parse_list,
        "scenarios/*.yaml,scenarios/*.yml,*.simarena.yaml",
        "Patterns of scenario files collected as tests (comma-separated, matched from the right)",
        metavar="GLOBS",
    ),
    Setting(
        "full_trace", parse_bool, "false", "Show Python tracebacks instead of the episode summary", flag=True
    ),
    Setting(
        "charts",
        parse_bool,
        "true",
        "Embed a timeline of pod states per scenario in the HTML report",
        metavar="BOOL",
    ),
)
SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class ResolvedSettings:
    """The values of every setting and where each came from."""

    values: Mapping[str, Any]
    sources: Mapping[str, Source]
    rootpath: Path = field(default_factory=Path.cwd)

    def __getattr__(self, name: str) -> Any:
        # dataclass fields are found normally; everything else is a setting.
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def path(self, name: str) -> Path:
        """A path-valued setting resolved against the rootdir."""
        value = self.values[name]
        return (self.rootpath / str(value)).resolve()

    def trace_dir_paths(self) -> list[Path]:
        return [(self.rootpath / d).resolve() for d in self.values["trace_dirs"]]

    def header(self) -> str:
        """``simarena: backend=embedded (from default), seed=7 (from env), ...`` for the report header."""
        parts = []
        for s in SETTINGS:
            value = self.values[s.name]
            if isinstance(value, tuple):
                shown = ",".join(value)
            elif value is None:
                shown = "-"
            else:
                shown = str(value)
            parts.append(f"{s.name}={shown} (from {self.sources[s.name]})")
        return "simarena: " + ", ".join(parts)


def add_options(parser: pytest.Parser) -> None:
    """Register every setting as a command-line option and an ini key."""
    group = parser.getgroup("simarena", "simulated Kubernetes repair scenarios (pytest-simarena)")
    for s in SETTINGS:
        help_text = f"{s.help} (ini {s.ini}, env {s.env}, default {s.default or 'unset'})"
        if s.flag:
            group.addoption(
                s.option, action="store_const", const="true", default=None, dest=s.dest, help=help_text
            )
        else:
            group.addoption(
                s.option, action="store", default=None, dest=s.dest, metavar=s.metavar, help=help_text
            )
        parser.addini(s.ini, help=s.help, type="string", default="")


def _ini_text(config: pytest.Config, s: Setting) -> str | None:
    raw = config.getini(s.ini)
    if isinstance(raw, list):  # pragma: no cover - only if another plugin re-declares the key as a list
        raw = ",".join(str(r) for r in raw)
    text = str(raw)
    return text if text.strip() else None


def resolve_raw(
    cli: Mapping[str, str | None],
    env: Mapping[str, str],
    ini: Mapping[str, str | None],
    *,
    rootpath: Path,
    only: Iterable[Setting] = SETTINGS,
) -> ResolvedSettings:
    """Resolve settings from plain mappings (keyed by setting name; env by variable name); no pytest needed.

    Raises:
        ValueError: a value cannot be parsed; the message names option, env variable, ini key and source.
    """
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    for s in only:
        candidates: list[tuple[Source, str | None]] = [
            ("cli", cli.get(s.name)),
            ("env", env.get(s.env)),
            ("ini", ini.get(s.name)),
            ("default", s.default),
        ]
        for source, text in candidates:
            if text is None:
                continue
            try:
                values[s.name] = s.parse(text)
            except ValueError as exc:
                where = {"cli": s.option, "env": s.env, "ini": s.ini, "default": s.name}[source]
                raise ValueError(f"simarena setting {s.name} ({where}, from {source}): {exc}") from None
            sources[s.name] = source
            break
    return ResolvedSettings(values, sources, rootpath)


def resolve(config: pytest.Config, env: Mapping[str, str] | None = None) -> ResolvedSettings:
    """Read every setting from ``config`` and the environment (cli > env > ini > default)."""
    cli = {s.name: config.getoption(s.dest) for s in SETTINGS}
    ini = {s.name: _ini_text(config, s) for s in SETTINGS}
    try:
        return resolve_raw(cli, os.environ if env is None else env, ini, rootpath=config.rootpath)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
