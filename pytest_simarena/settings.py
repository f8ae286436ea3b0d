"""The one settings table: every face (CLI, pytest plugin, Python API, Gymnasium env) derives from it.

A :class:`Setting` row knows its name, Python type, default, help, group, parser (text from a flag, an ini
key or an environment variable) and validation (of a typed value, as the Python API receives it). From
the rows come:

- the value objects :class:`EpisodeSettings` and :class:`ClusterSettings` (frozen; defaults and checks
  from the rows; every bad value raises :class:`SettingError` naming the field);
- the ``simarena`` flags (``--max-steps``; :mod:`pytest_simarena.cli.options`);
- the plugin's ``--simarena-max-steps``, ini ``simarena_max_steps`` and env ``SIMARENA_MAX_STEPS``
  (:mod:`pytest_simarena.plugin.settings`, resolved cli > env > ini > default with the source);
- the documentation table (:func:`markdown_table`, checked against ``docs/settings.md`` by a test).

A new setting is one row here; a face picks rows by group or name (``select("episode", "cluster")``).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pytest_simarena.errors import SimArenaError

if TYPE_CHECKING:
    from pytest_simarena.safeguards import Safeguards

__all__ = [
    "FACES",
    "GROUPS",
    "SETTINGS",
    "AgentSettings",
    "ClusterSettings",
    "EpisodeSettings",
    "LearnSettings",
    "ResolvedSettings",
    "ServeSettings",
    "Setting",
    "SettingError",
    "TrainSettings",
    "face_rows",
    "get",
    "markdown_table",
    "resolve_text",
    "select",
]

Source = str  # "cli" | "env" | "ini" | "default"


class SettingError(SimArenaError, ValueError):
    """A setting has a bad value; the message names the setting (and where the value came from)."""


# --------------------------------------------------------------------------------------------- parsers
# Text -> typed value. They raise ValueError saying what the accepted form is; the caller adds the name.

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def parse_bool(text: str) -> bool:
    """``true/false``, ``1/0``, ``yes/no``, ``on/off`` (any case)."""
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a boolean; it must be one of {', '.join(_TRUE + _FALSE[:-1])}")


def parse_int(text: str) -> int:
    """A whole number."""
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number (e.g. 0, 42)") from None


def parse_float(text: str) -> float:
    """A finite number."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def parse_seconds(text: str) -> float:
    """``120``, ``90.5``, ``120s``, ``2m``, ``1h`` -> seconds."""
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
            f"{text!r} is not a duration; use seconds with an optional s, m or h suffix (e.g. 120, 2m)"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite duration")
    return value


def parse_str(text: str) -> str:
    """Text, stripped."""
    return text.strip()


def parse_list(text: str) -> tuple[str, ...]:
    """Comma- or newline-separated list (ini values may span lines)."""
    parts = [p.strip() for chunk in text.splitlines() for p in chunk.split(",")]
    return tuple(p for p in parts if p)


# ---------------------------------------------------------------------------------------------- checks
# Typed value -> None, or ValueError saying what is expected. They run on every value, whatever its source.

Check = Callable[[Any], None]


def at_least(minimum: int) -> Check:
    """A check: the value is at least ``minimum``."""

    def check(value: Any) -> None:
        if value < minimum:
            raise ValueError(f"expected at least {minimum}")

    return check


def positive(value: Any) -> None:
    """A check: the value is more than 0."""
    if not value > 0:  # also rejects nan
        raise ValueError("expected more than 0")


def one_of(*choices: str) -> Check:
    """A check: the value is one of ``choices`` (with a did-you-mean)."""

    def check(value: Any) -> None:
        if value not in choices:
            raise ValueError(_unknown(str(value), choices))

    return check


def _unknown(value: str, known: Iterable[str]) -> str:
    known = list(known)
    close = difflib.get_close_matches(value, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{value!r} is not known{hint}; use one of {', '.join(known)}"


def _registered(what: str, make: Callable[[str], Any]) -> Check:
    """A check: the registry of ``what`` (policy, reward) can make the value (a name or module:name)."""

    def check(value: Any) -> None:
        try:
            make(str(value))
        except SimArenaError as exc:
            raise ValueError(str(exc)) from None

    check.__name__ = f"known {what}"
    return check


def _check_policy(value: Any) -> None:
    # Resolve the name without building the policy: its constructor may need policy_options.
    from pytest_simarena.policies.registry import check_policy_name

    try:
        check_policy_name(str(value))
    except SimArenaError as exc:
        raise ValueError(str(exc)) from None


def _check_reward(value: Any) -> None:
    from pytest_simarena.rewards import make_reward

    _registered("reward", make_reward)(value)


def _check_backend(value: Any) -> None:
    from pytest_simarena.backends.registry import BUILTIN_BACKENDS, available_backends

    if value in BUILTIN_BACKENDS:
        return
    known = available_backends()  # built-ins plus the simarena.backends entry points
    if value not in known:
        raise ValueError(_unknown(str(value), known))


def _quantity(kind: str) -> Check:
    def check(value: Any) -> None:
        from pytest_simarena.errors import QuantityError
        from pytest_simarena.quantities import parse_cpu, parse_memory

        parse = parse_cpu if kind == "cpu" else parse_memory
        try:
            amount = parse(value)
        except QuantityError as exc:
            raise ValueError(str(exc)) from None
        if amount <= 0:
            raise ValueError(f"{value!r} must be more than 0")

    return check


def _check_kubernetes_version(value: Any) -> None:
    from pytest_simarena.backends.embedded.versions import check_version

    check_version(value)


def _not_negative(value: Any) -> None:
    """A check: the value is 0 or more."""
    if not value >= 0:  # also rejects nan
        raise ValueError("expected 0 or more")


def _sizes(value: Any) -> None:
    """A check: every part is a whole number of at least 1 (``64,64``)."""
    for part in value:
        if not str(part).isdigit() or int(part) < 1:
            raise ValueError(f"{part!r} is not a layer size; use whole numbers >= 1 (e.g. 64,64)")


# ------------------------------------------------------------------------------------------------- rows

_PARSERS: dict[type, Callable[[str], Any]] = {
    bool: parse_bool,
    int: parse_int,
    float: parse_float,
    str: parse_str,
    tuple: parse_list,
}

# Groups in the order the docs list them: what they configure and which value object holds them.
GROUPS: dict[str, str] = {
    "episode": "An episode: which policy repairs which workload, how long, how it is scored",
    "cluster": "The simulated (embedded) cluster an episode runs on",
    "kube": "The real cluster (kube backend)",
    "replay": "Replaying a trace without an agent (simulate, parity)",
    "plugin": "The pytest plugin only",
    "serve": "The Kubernetes API server over a live embedded cluster (simarena serve)",
    "agents": "Live episodes and agents: the mode, the llm policy's endpoint, an agent turn's budget",
    "learn": "The learning env (docs/learning.md): action and observation spaces, traces held out",
    "train": "Training an agent (`simarena train`)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    """One row of the table: everything about a setting is derived from it."""

    name: str
    type: type
    default: Any
    help: str
    group: str
    metavar: str | None = None
    optional: bool = False  # None is allowed (and is the default when ``default`` is None)
    parse: Callable[[str], Any] | None = None  # default: by type (see _PARSERS)
    checks: tuple[Check, ...] = ()
    aliases: tuple[str, ...] = ()  # older names still accepted (flags, ini keys, env variables)
    attr: str | None = None  # field name in the value object, when it differs from ``name``
    default_text: str | None = None  # how the docs/help show the default, when the value is not enough

    @property
    def field(self) -> str:
        return self.attr or self.name

    @property
    def flag(self) -> str:
        """The ``simarena`` command-line flag: ``--max-steps``."""
        return "--" + self.name.replace("_", "-")

    @property
    def option(self) -> str:
        """The pytest option: ``--simarena-max-steps``."""
        return "--simarena-" + self.name.replace("_", "-")

    @property
    def ini(self) -> str:
        """The pytest ini key: ``simarena_max_steps``."""
        return "simarena_" + self.name

    @property
    def env(self) -> str:
        """The environment variable the plugin reads: ``SIMARENA_MAX_STEPS``."""
        return "SIMARENA_" + self.name.upper()

    @property
    def shown_default(self) -> str:
        """The default as help and docs show it."""
        if self.default_text is not None:
            return self.default_text
        return format_value(self.default)

    def from_text(self, text: str) -> Any:
        """Parse ``text`` (flag, ini, env) and check it; ValueError says what is expected."""
        if self.optional and not text.strip():
            return None
        parse = self.parse or _PARSERS[self.type]
        return self.check(parse(text))

    def check(self, value: Any) -> Any:
        """The value, coerced to the row's type (an int for a float) and checked; ValueError otherwise."""
        if value is None:
            if self.optional:
                return None
            raise ValueError("a value is required")
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif self.type is tuple and isinstance(value, list):
            value = tuple(value)
        elif self.type is str and isinstance(value, Path):
            value = str(value)
        if not isinstance(value, self.type) or (self.type is int and isinstance(value, bool)):
            raise ValueError(f"expected {_type_name(self.type)}, got {type(value).__name__}")
        if value == self.default:
            return value  # defaults are checked once, by the tests (registry look-ups are not free)
        for check in self.checks:
            check(value)
        return value


def _type_name(kind: type) -> str:
    return {bool: "a boolean", int: "a whole number", float: "a number", str: "text", tuple: "a list"}.get(
        kind, kind.__name__
    )


def format_value(value: Any) -> str:
    """A value as flags and docs write it: ``true``, ``120``, ``a,b``, ``unset``."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


# The node a --nodes/--node-* option left out takes: the default cluster's KWOK nodes (ClusterSpec.default()).
DEFAULT_NODES: dict[str, Any] = {"nodes": 3, "cpu": "16", "memory": "32Gi", "pods": 110}

# The one table. Names are the Python field names; every face derives its spelling from them.
SETTINGS: tuple[Setting, ...] = (
    # --- episode ------------------------------------------------------------------------------------
    Setting(
        name="policy",
        type=str,
        default="heuristic",
        group="episode",
        metavar="NAME",
        checks=(_check_policy,),
        help="Policy that acts: a registered name (docs/policies.md) or module:name",
    ),
    Setting(
        name="reward",
        type=str,
        default="binary",
        group="episode",
        metavar="NAME",
        checks=(_check_reward,),
        help="Reward: binary, shaped, penalty, cost_aware, fit, fit_cost, scale, max_punish, cost_aware_v2 "
        "(docs/rewards.md) or module:name; simarena train defaults to the profile's (fit or scale)",
    ),
    Setting(
        name="max_steps",
        type=int,
        default=10,
        group="episode",
        metavar="N",
        checks=(at_least(1),),
        aliases=("steps",),
        help="Maximum steps per episode",
    ),
    Setting(
        name="step_seconds",
        type=float,
        default=120.0,
        group="episode",
        metavar="SECONDS",
        parse=parse_seconds,
        checks=(positive,),
        aliases=("step_duration",),
        help="Simulated seconds per step (s, m or h suffix)",
    ),
    Setting(
        name="hold",
        type=int,
        default=1,
        group="episode",
        metavar="N",
        checks=(at_least(1),),
        help="Healthy observations in a row that count as solved",
    ),
    Setting(
        name="seed",
        type=int,
        default=0,
        group="episode",
        metavar="N",
        help="Seed of every random choice (the plugin derives each test's seed from it and the test id)",
    ),
    Setting(
        name="workload",
        type=str,
        default=None,
        optional=True,
        group="episode",
        metavar="NAME",
        default_text="from the trace",
        help="Workload to repair",
    ),
    Setting(
        name="kind",
        type=str,
        default=None,
        optional=True,
        group="episode",
        metavar="KIND",
        default_text="from the trace",
        help="Kind of the workload to repair (Deployment, StatefulSet, ...)",
    ),
    Setting(
        name="namespace",
        type=str,
        default=None,
        optional=True,
        group="episode",
        metavar="NS",
        default_text="from the trace",
        help="Namespace of the workload in the trace",
    ),
    Setting(
        name="target",
        type=int,
        default=None,
        optional=True,
        group="episode",
        metavar="N",
        checks=(at_least(0),),
        default_text="from the trace",
        help="Ready replicas that count as repaired",
    ),
    Setting(
        name="backend",
        type=str,
        default="embedded",
        group="episode",
        metavar="NAME",
        checks=(_check_backend,),
        help="Cluster backend: embedded (simulated) or kube (a real cluster)",
    ),
    Setting(
        name="prefix",
        type=str,
        default="virtual",
        group="episode",
        metavar="PREFIX",
        help="Run prefix: trace namespace NS is replayed in PREFIX-NS, as SimKube's virtualNsPrefix",
    ),
    Setting(
        name="isolated",
        type=bool,
        default=False,
        group="episode",
        help=(
            "Replay every step on the pristine seeded embedded cluster, repeats from a memo "
            "(faster; pod names then do not carry over from step to step)"
        ),
    ),
    # --- cluster ------------------------------------------------------------------------------------
    Setting(
        name="cluster",
        attr="file",
        type=str,
        default=None,
        optional=True,
        group="cluster",
        metavar="FILE",
        default_text="the trace's own cluster, else the default nodes",
        help="Cluster spec file (YAML/JSON nodeGroups); not with --nodes/--node-*",
    ),
    Setting(
        name="nodes",
        type=int,
        default=None,
        optional=True,
        group="cluster",
        metavar="N",
        checks=(at_least(1),),
        default_text=str(DEFAULT_NODES["nodes"]),
        help="Number of identical nodes",
    ),
    Setting(
        name="node_cpu",
        type=str,
        default=None,
        optional=True,
        group="cluster",
        metavar="Q",
        checks=(_quantity("cpu"),),
        default_text=str(DEFAULT_NODES["cpu"]),
        help="CPU per node, a quantity",
    ),
    Setting(
        name="node_memory",
        type=str,
        default=None,
        optional=True,
        group="cluster",
        metavar="Q",
        checks=(_quantity("memory"),),
        default_text=str(DEFAULT_NODES["memory"]),
        help="Memory per node, a quantity",
    ),
    Setting(
        name="node_pods",
        type=int,
        default=None,
        optional=True,
        group="cluster",
        metavar="N",
        checks=(at_least(1),),
        default_text=str(DEFAULT_NODES["pods"]),
        help="Pods per node",
    ),
    Setting(
        name="kubernetes_version",
        type=str,
        default=None,
        optional=True,
        group="cluster",
        metavar="VERSION",
        checks=(_check_kubernetes_version,),
        default_text="the cluster file's kubernetesVersion, else the newest supported",
        help="Kubernetes version whose rules and messages the embedded cluster follows: a minor release "
        "(1.35) or a patch release (1.34.2); docs/embedded-cluster.md lists the supported ones and what "
        "differs",
    ),
    # --- kube ---------------------------------------------------------------------------------------
    Setting(
        name="kubeconfig",
        type=str,
        default=None,
        optional=True,
        group="kube",
        metavar="PATH",
        default_text="$KUBECONFIG, else ~/.kube/config",
        help="Kubeconfig file for the kube backend",
    ),
    Setting(
        name="context",
        type=str,
        default=None,
        optional=True,
        group="kube",
        metavar="NAME",
        default_text="the kubeconfig's current-context",
        help="Kubeconfig context for the kube backend",
    ),
    Setting(
        name="kube_mode",
        type=str,
        default="simkube",
        group="kube",
        metavar="MODE",
        checks=(one_of("simkube", "direct"),),
        help="How the kube backend replays traces: simkube (a SimKube Simulation) or direct (server-side "
        "apply)",
    ),
    # --- replay -------------------------------------------------------------------------------------
    Setting(
        name="duration",
        type=float,
        default=None,
        optional=True,
        group="replay",
        metavar="SECONDS",
        parse=parse_seconds,
        checks=(positive,),
        aliases=("seconds",),
        default_text="simulate: until the trace's last event, + 120 s; parity: 120 s",
        help="Simulated seconds to replay (s, m or h suffix)",
    ),
    Setting(
        name="speed",
        type=float,
        default=1.0,
        group="replay",
        metavar="X",
        checks=(positive,),
        help="Replay speed factor, as SimKube's",
    ),
    # --- plugin -------------------------------------------------------------------------------------
    Setting(
        name="trace_dirs",
        type=tuple,
        default=("traces/canonical", "traces/generated", "traces/extra", "traces"),  # = catalog.PROJECT_DIRS
        group="plugin",
        metavar="DIRS",
        help="Folders searched for traces named without a path, before the packaged traces "
        "(comma-separated, relative to rootdir)",
    ),
    Setting(
        name="keep_namespaces",
        type=bool,
        default=False,
        group="plugin",
        help="Keep each test's namespace after it ran",
    ),
    Setting(
        name="keep_failed",
        type=bool,
        default=False,
        group="plugin",
        help="Keep the namespace of a failed test",
    ),
    Setting(
        name="report_dir",
        type=str,
        default=None,
        optional=True,
        group="plugin",
        metavar="DIR",
        default_text="unset (beside --html, else beside --junitxml, else none)",
        help="Folder for results.json and timings.json (relative to rootdir)",
    ),
    Setting(
        name="run_dir",
        type=str,
        default=None,
        optional=True,
        group="plugin",
        metavar="DIR",
        default_text="unset (no run folders)",
        help="Keep each scenario test's run folder (steps.jsonl, summary.json, traces) under DIR/<test>",
    ),
    Setting(
        name="scenario_glob",
        type=tuple,
        default=("scenarios/*.yaml", "scenarios/*.yml", "*.simarena.yaml"),
        group="plugin",
        metavar="GLOBS",
        help="Patterns of scenario files collected as tests (comma-separated, matched from the right)",
    ),
    Setting(
        name="full_trace",
        type=bool,
        default=False,
        group="plugin",
        help="Show Python tracebacks instead of the episode summary",
    ),
    Setting(
        name="charts",
        type=bool,
        default=True,
        group="plugin",
        help="Embed a timeline of pod states per scenario in the HTML report",
    ),
    # --- serve --------------------------------------------------------------------------------------
    Setting(
        name="address",
        type=str,
        default="127.0.0.1",
        group="serve",
        metavar="IP",
        help="Address the API server listens on (loopback unless you choose otherwise)",
    ),
    Setting(
        name="port",
        type=int,
        default=0,
        group="serve",
        metavar="N",
        checks=(at_least(0),),
        default_text="0 (a free port)",
        help="Port of the API server",
    ),
    Setting(
        name="request_cost",
        type=float,
        default=1.0,
        group="serve",
        metavar="SECONDS",
        parse=parse_seconds,
        checks=(at_least(0),),
        help="Simulated seconds each API request costs (discovery is free), so polling makes progress",
    ),
    Setting(
        name="watch_seconds",
        type=float,
        default=300.0,
        group="serve",
        metavar="SECONDS",
        parse=parse_seconds,
        checks=(positive,),
        help="Simulated seconds a watch without timeoutSeconds lets pass before it ends",
    ),
    Setting(
        name="watch_grace",
        type=float,
        default=0.5,
        group="serve",
        metavar="SECONDS",
        parse=parse_seconds,
        checks=(at_least(0),),
        help="Wall seconds a watch waits for its client to hang up before it lets simulated time run "
        "(raise it on a loaded machine: a client slower than this sees the clock move further)",
    ),
    Setting(
        name="safeguards",
        type=bool,
        default=True,
        group="serve",
        help="Judge every workload write by the project's safeguards, as admission (off: validation only)",
    ),
    Setting(
        name="body_limit",
        type=int,
        default=3 * 1024 * 1024,
        group="serve",
        metavar="BYTES",
        checks=(at_least(1),),
        help="Largest request body the API server accepts (larger ones get 413)",
    ),
    # --- agents -------------------------------------------------------------------------------------
    Setting(
        name="mode",
        type=str,
        default="replay",
        group="agents",
        metavar="MODE",
        checks=(one_of("replay", "live"),),
        help="Replay: each step replays the edited trace; live: the cluster keeps running and the agent "
        "acts on it (llm and command agents always run live)",
    ),
    Setting(
        name="llm_base_url",
        type=str,
        default="https://api.openai.com/v1",
        group="agents",
        metavar="URL",
        help="Base URL of the OpenAI-compatible chat-completions endpoint of the llm policy",
    ),
    Setting(
        name="llm_model",
        type=str,
        default=None,
        optional=True,
        group="agents",
        metavar="NAME",
        default_text="unset (required by the llm policy)",
        help="Model name the llm policy asks for",
    ),
    Setting(
        name="llm_api_key_env",
        type=str,
        default="OPENAI_API_KEY",
        group="agents",
        metavar="VAR",
        help="Environment variable holding the llm endpoint's API key (any text for a local server)",
    ),
    Setting(
        name="llm_max_tool_calls",
        type=int,
        default=20,
        group="agents",
        metavar="N",
        checks=(at_least(1),),
        help="Tool calls the llm policy may make per turn",
    ),
    Setting(
        name="agent_seconds",
        type=float,
        default=None,
        optional=True,
        group="agents",
        metavar="SECONDS",
        parse=parse_seconds,
        checks=(positive,),
        default_text="unlimited",
        help="Simulated seconds one agent turn may use (a command is stopped past it)",
    ),
    Setting(
        name="agent_writes",
        type=int,
        default=None,
        optional=True,
        group="agents",
        metavar="N",
        checks=(at_least(0),),
        default_text="unlimited",
        help="API writes one agent turn may make (a command is stopped past it)",
    ),
    Setting(
        name="agent_wall_seconds",
        type=float,
        default=300.0,
        group="agents",
        metavar="SECONDS",
        parse=parse_seconds,
        checks=(positive,),
        help="Wall-clock seconds a command agent may run per turn",
    ),
    # --- learn (rl/env.py) --------------------------------------------------------------------------
    Setting(
        name="profile",
        type=str,
        default="default",
        group="learn",
        metavar="NAME",
        checks=(one_of("default", "seed"),),
        help="Env shape: default (proportional actions, 28 features, fit reward) or seed (the seed "
        "team's 7 actions, 5 features, seed safeguards, scale reward)",
    ),
    Setting(
        name="action_space",
        type=str,
        default=None,
        optional=True,
        group="learn",
        metavar="NAME",
        default_text="the profile's",
        checks=(one_of("discrete", "seed", "proportional", "parametric"),),
        help="Action space: discrete, seed, proportional or parametric",
    ),
    Setting(
        name="observation",
        type=str,
        default=None,
        optional=True,
        group="learn",
        metavar="KIND",
        default_text="the profile's",
        checks=(one_of("vector", "dict", "seed"),),
        help="Observation: vector (28 features), dict (the same, grouped) or seed (5 features)",
    ),
    Setting(
        name="obs_noise",
        type=float,
        default=0.0,
        group="learn",
        metavar="STD",
        checks=(_not_negative,),
        help="Std of the seeded Gaussian noise on the seed observation's counts",
    ),
    Setting(
        name="holdout",
        type=tuple,
        default=(),
        group="learn",
        metavar="FAMILIES",
        default_text="none",
        help="Trace families kept out of training (comma-separated), for results on families never seen",
    ),
    # --- train (rl/train.py) ------------------------------------------------------------------------
    Setting(
        name="algo",
        type=str,
        default="ppo",
        group="train",
        metavar="NAME",
        checks=(one_of("ppo", "dqn"),),
        help="Algorithm (Stable-Baselines3): ppo or dqn",
    ),
    Setting(
        name="train_steps",
        type=int,
        default=20_000,
        group="train",
        metavar="N",
        checks=(at_least(1),),
        aliases=("steps",),
        help="Env steps to train for",
    ),
    Setting(
        name="envs",
        type=int,
        default=1,
        group="train",
        metavar="K",
        checks=(at_least(1),),
        help="Env copies, each in its own process when more than 1",
    ),
    Setting(
        name="net",
        type=tuple,
        default=(),
        group="train",
        metavar="SIZES",
        default_text="64,64 (seed DQN: 24,48)",
        checks=(_sizes,),
        help="Hidden layer sizes, comma-separated",
    ),
    Setting(
        name="checkpoints",
        type=int,
        default=4,
        group="train",
        metavar="N",
        checks=(at_least(0),),
        help="Checkpoints saved along the way",
    ),
    Setting(
        name="progress",
        type=bool,
        default=True,
        group="train",
        help="Show a progress bar",
    ),
)
SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


# Which rows each face offers (groups or names). A new face is one line here plus one call
# (``add_settings(parser, "serve")`` for a command); the docs table lists the faces of every row.
FACES: dict[str, tuple[str, ...]] = {
    "plugin": (
        "backend",
        "seed",
        "max_steps",
        "step_seconds",
        "reward",
        "kubernetes_version",
        "kube",
        "plugin",
        "agents",
    ),
    "run": ("episode", "cluster", "kube", "agents"),
    "batch": ("episode", "cluster", "kube"),
    "simulate": ("seed", "cluster", "replay"),
    "preflight": ("kube",),
    "parity": ("kube", "duration"),
    "env": ("episode", "cluster", "learn"),
    "serve": ("seed", "cluster", "serve"),
    "mcp": ("seed", "cluster"),
    "train": ("learn", "train", "reward", "step_seconds", "seed", "kubernetes_version"),
}


def face_rows(face: str) -> tuple[Setting, ...]:
    """The rows ``face`` offers, in table order."""
    return select(*FACES[face])


def get(name: str) -> Setting:
    """The row called ``name`` (or one of its aliases)."""
    found = SETTINGS_BY_NAME.get(name)
    if found is None:
        found = next((s for s in SETTINGS if name in s.aliases), None)
    if found is None:
        raise KeyError(name)
    return found


def select(*names_or_groups: str, exclude: Iterable[str] = ()) -> tuple[Setting, ...]:
    """Rows by group (``"episode"``) or name (``"seed"``), in table order, minus ``exclude``.

    >>> [s.name for s in select("cluster", "seed")]
    ['seed', 'cluster', 'nodes', 'node_cpu', 'node_memory', 'node_pods', 'kubernetes_version']
    """
    wanted = set(names_or_groups)
    unknown = wanted - set(GROUPS) - set(SETTINGS_BY_NAME)
    if unknown:
        raise KeyError(f"no setting or group {', '.join(sorted(unknown))}")
    skip = set(exclude)
    return tuple(s for s in SETTINGS if (s.name in wanted or s.group in wanted) and s.name not in skip)


# ------------------------------------------------------------------------------------- value objects


def _row_field(name: str) -> Any:
    """A dataclass field whose default is the row's default (the table is the only place it is written)."""
    return field(default=SETTINGS_BY_NAME[name].default)


T = TypeVar("T", bound="_Checked")


@functools.cache
def _rows_of(groups: tuple[str, ...]) -> tuple[Setting, ...]:
    # Cached: every episode builds a settings object, and the table does not change.
    return tuple(s for s in SETTINGS if s.group in groups)


class _Checked:
    """Mixin for the frozen value objects: check every row-backed field, build from values or text."""

    _groups: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def rows(cls) -> tuple[Setting, ...]:
        """The table rows this value object holds (by group)."""
        return _rows_of(cls._groups)

    def _check_fields(self) -> None:
        for row in self.rows():
            value = getattr(self, row.field)
            try:
                checked = row.check(value)
            except ValueError as exc:
                raise SettingError(f"{row.name}={value!r}: {exc}") from None
            if checked is not value:
                object.__setattr__(self, row.field, checked)

    @classmethod
    def from_values(cls: type[T], values: Mapping[str, Any], **extra: Any) -> T:
        """Build from a mapping keyed by setting name (extra keys are ignored)."""
        kwargs = {row.field: values[row.name] for row in cls.rows() if row.name in values}
        return cls(**kwargs, **extra)

    def replace(self: T, **changes: Any) -> T:
        """A copy with ``changes`` (field names); checked like the original."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def to_json(self) -> dict[str, Any]:
        """Setting name -> value (lists for tuples), for results files and run logs."""
        out: dict[str, Any] = {}
        for row in self.rows():
            value = getattr(self, row.field)
            out[row.name] = list(value) if isinstance(value, tuple) else value
        return out


def _node_rows() -> tuple[Setting, ...]:
    """The cluster rows that describe nodes (a cluster file replaces them; the version goes with either)."""
    return select("cluster", exclude=("cluster", "kubernetes_version"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterSettings(_Checked):
    """Which cluster an episode runs on: a spec file, uniform nodes, or a real cluster's kubeconfig.

    >>> ClusterSettings(nodes=5, node_cpu="8").uniform()
    {'nodes': 5, 'cpu': '8', 'memory': '32Gi', 'pods': 110}
    >>> ClusterSettings(nodes=0)
    Traceback (most recent call last):
    ...
    pytest_simarena.settings.SettingError: nodes=0: expected at least 1
    """

    _groups: ClassVar[tuple[str, ...]] = ("cluster", "kube")

    file: str | None = _row_field("cluster")
    nodes: int | None = _row_field("nodes")
    node_cpu: str | None = _row_field("node_cpu")
    node_memory: str | None = _row_field("node_memory")
    node_pods: int | None = _row_field("node_pods")
    kubernetes_version: str | None = _row_field("kubernetes_version")
    kubeconfig: str | None = _row_field("kubeconfig")
    context: str | None = _row_field("context")
    kube_mode: str = _row_field("kube_mode")

    def __post_init__(self) -> None:
        self._check_fields()
        given = [s.flag for s in _node_rows() if getattr(self, s.field) is not None]
        if self.file is not None and given:
            raise SettingError(
                f"cluster={self.file!r}: a cluster file cannot be combined with {', '.join(given)}"
            )

    @property
    def is_default(self) -> bool:
        """No file and no node option: the trace's own cluster (generated traces), else the default."""
        return self.file is None and self.uniform() is None

    def uniform(self) -> dict[str, Any] | None:
        """The uniform node shape the node options describe (missing ones default), or None if none is set."""
        if all(getattr(self, s.field) is None for s in _node_rows()):
            return None
        given = {
            "nodes": self.nodes,
            "cpu": self.node_cpu,
            "memory": self.node_memory,
            "pods": self.node_pods,
        }
        return {key: DEFAULT_NODES[key] if value is None else value for key, value in given.items()}

    def backend_options(self, backend: str, *, intended: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Keyword options for :func:`~pytest_simarena.backends.registry.make_backend` (without the seed).

        ``intended`` is the cluster a trace was made for (generator metadata); it is used when nothing
        here chooses a cluster.
        """
        options: dict[str, Any] = {}
        if backend == "embedded":
            uniform = self.uniform()
            if self.file is not None:
                options["cluster"] = self.file
            elif uniform is not None:
                options["uniform"] = uniform
            elif intended is not None:
                options["uniform"] = dict(intended)
            if self.kubernetes_version is not None:
                options["kubernetes_version"] = self.kubernetes_version
        elif backend == "kube":
            if self.kubeconfig:
                options["kubeconfig"] = self.kubeconfig
            if self.context:
                options["context"] = self.context
            options["mode"] = self.kube_mode
        return options


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeSettings(_Checked):
    """How the API server over a live cluster listens and charges time (``simarena serve``, agents).

    >>> ServeSettings(port=8443).address
    '127.0.0.1'
    """

    _groups: ClassVar[tuple[str, ...]] = ("serve",)

    address: str = _row_field("address")
    port: int = _row_field("port")
    request_cost: float = _row_field("request_cost")
    watch_seconds: float = _row_field("watch_seconds")
    watch_grace: float = _row_field("watch_grace")
    safeguards: bool = _row_field("safeguards")
    body_limit: int = _row_field("body_limit")

    def __post_init__(self) -> None:
        self._check_fields()
        if self.port > 65535:
            raise SettingError(f"port={self.port!r}: expected a TCP port, 0 to 65535")


@dataclass(frozen=True, slots=True, kw_only=True)
class EpisodeSettings(_Checked):
    """Everything an episode runs with, for :func:`~pytest_simarena.episode.loop.run_episode`, batches and
    the Gymnasium env. Defaults and checks come from the settings table.

    >>> EpisodeSettings(max_steps=3).max_steps
    3
    >>> EpisodeSettings(max_steps=0)
    Traceback (most recent call last):
    ...
    pytest_simarena.settings.SettingError: max_steps=0: expected at least 1

    ``safeguards`` and ``policy_options`` are objects, not table rows: only the Python API sets them.
    """

    _groups: ClassVar[tuple[str, ...]] = ("episode",)

    policy: str = _row_field("policy")
    reward: str = _row_field("reward")
    max_steps: int = _row_field("max_steps")
    step_seconds: float = _row_field("step_seconds")
    hold: int = _row_field("hold")
    seed: int = _row_field("seed")
    workload: str | None = _row_field("workload")
    kind: str | None = _row_field("kind")
    namespace: str | None = _row_field("namespace")
    target: int | None = _row_field("target")
    backend: str = _row_field("backend")
    prefix: str = _row_field("prefix")
    isolated: bool = _row_field("isolated")
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    safeguards: Safeguards | None = None
    policy_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._check_fields()
        if not isinstance(self.cluster, ClusterSettings):
            raise SettingError(f"cluster={self.cluster!r}: expected ClusterSettings(...)")

    @classmethod
    def from_values(cls, values: Mapping[str, Any], **extra: Any) -> EpisodeSettings:
        """Episode and cluster rows from one mapping keyed by setting name."""
        extra.setdefault("cluster", ClusterSettings.from_values(values))
        kwargs = {row.field: values[row.name] for row in cls.rows() if row.name in values}
        return cls(**kwargs, **extra)

    def to_json(self) -> dict[str, Any]:
        return {**_Checked.to_json(self), **self.cluster.to_json()}


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSettings(_Checked):
    """Live episodes and agents: the mode, the llm policy's endpoint, an agent turn's budget.

    >>> AgentSettings(mode="live").mode
    'live'
    >>> AgentSettings(mode="fast")
    Traceback (most recent call last):
    ...
    pytest_simarena.settings.SettingError: mode='fast': 'fast' is not known; use one of replay, live
    """

    _groups: ClassVar[tuple[str, ...]] = ("agents",)

    mode: str = _row_field("mode")
    llm_base_url: str = _row_field("llm_base_url")
    llm_model: str | None = _row_field("llm_model")
    llm_api_key_env: str = _row_field("llm_api_key_env")
    llm_max_tool_calls: int = _row_field("llm_max_tool_calls")
    agent_seconds: float | None = _row_field("agent_seconds")
    agent_writes: int | None = _row_field("agent_writes")
    agent_wall_seconds: float = _row_field("agent_wall_seconds")

    def __post_init__(self) -> None:
        self._check_fields()


@dataclass(frozen=True, slots=True, kw_only=True)
class LearnSettings(_Checked):
    """The learning env's own options (rl/env.py); the episode rows stay in :class:`EpisodeSettings`."""

    _groups: ClassVar[tuple[str, ...]] = ("learn",)

    profile: str = _row_field("profile")
    action_space: str | None = _row_field("action_space")
    observation: str | None = _row_field("observation")
    obs_noise: float = _row_field("obs_noise")
    holdout: tuple[str, ...] = _row_field("holdout")

    def __post_init__(self) -> None:
        self._check_fields()


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainSettings(_Checked):
    """How ``simarena train`` trains (rl/train.py)."""

    _groups: ClassVar[tuple[str, ...]] = ("train",)

    algo: str = _row_field("algo")
    train_steps: int = _row_field("train_steps")
    envs: int = _row_field("envs")
    net: tuple[str, ...] = _row_field("net")
    checkpoints: int = _row_field("checkpoints")
    progress: bool = _row_field("progress")

    def __post_init__(self) -> None:
        self._check_fields()

    @property
    def layers(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.net)


# ------------------------------------------------------------------------------------------ resolution


@dataclass(frozen=True)
class ResolvedSettings:
    """Values of some rows (by setting name) and where each came from (``cli``, ``env``, ``ini``,
    ``default``)."""

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
        return (self.rootpath / str(self.values[name])).resolve()

    def trace_dir_paths(self) -> list[Path]:
        """Folders searched for traces by name: the ``trace_dirs`` under the rootdir, then the packaged."""
        from pytest_simarena.trace.catalog import search_dirs

        return list(search_dirs((self.rootpath / d).resolve() for d in self.values.get("trace_dirs", ())))

    def episode(self, **extra: Any) -> EpisodeSettings:
        """The episode settings these values give (rows not resolved keep their defaults)."""
        return EpisodeSettings.from_values(self.values, **extra)

    def header(self) -> str:
        """``name=value (from source), ...`` in table order."""
        return ", ".join(
            f"{name}={format_value(value)} (from {self.sources[name]})" for name, value in self.values.items()
        )


def resolve_text(
    rows: Sequence[Setting],
    layers: Sequence[tuple[Source, Callable[[Setting], tuple[str, str] | None]]],
    *,
    rootpath: Path | None = None,
) -> ResolvedSettings:
    """Resolve ``rows`` from text layers, first found wins, then the row's default.

    Each layer is ``(source, lookup)``; ``lookup(row)`` returns ``(where, text)`` (``where`` names the
    flag, ini key or variable for the message) or None.

    Raises:
        SettingError: a value is bad; the message names the setting, where it was written and the source.
    """
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    for row in rows:
        for source, lookup in layers:
            found = lookup(row)
            if found is None:
                continue
            where, text = found
            try:
                values[row.name] = row.from_text(text)
            except ValueError as exc:
                raise SettingError(f"setting {row.name} ({where}, from {source}): {exc}") from None
            sources[row.name] = source
            break
        else:
            values[row.name] = row.default
            sources[row.name] = "default"
    return ResolvedSettings(values, sources, rootpath or Path.cwd())


# ------------------------------------------------------------------------------------------------ docs


def markdown_table(rows: Sequence[Setting] = SETTINGS) -> str:
    """The settings table of docs/settings.md, one section per group (generated; a test keeps it true)."""
    out: list[str] = []
    for group, title in GROUPS.items():
        members = [s for s in rows if s.group == group]
        if not members:
            continue
        out.append(f"### {group}: {title}\n")
        out.append("| Setting | Default | Meaning | `simarena` flag | pytest option, ini, env | Faces |")
        out.append("|---|---|---|---|---|---|")
        for s in members:
            faces = [face for face in FACES if s in face_rows(face)]
            commands = [f for f in faces if f not in ("plugin", "env")]
            flag = f"`{s.flag}`" if commands else "-"
            plugin = f"`{s.option}`, `{s.ini}`, `{s.env}`" if "plugin" in faces else "-"
            meaning = s.help.replace("|", "\\|")
            if s.aliases:
                meaning += f" (formerly {', '.join(s.aliases)})"
            used = ", ".join(faces) or "-"
            out.append(f"| `{s.name}` | {s.shown_default} | {meaning} | {flag} | {plugin} | {used} |")
        out.append("")
    return "\n".join(out)


START_MARK = (
    "<!-- settings-table:start (generated by: python -m pytest_simarena.settings docs/settings.md) -->"
)
END_MARK = "<!-- settings-table:end -->"


def update_doc(path: str | Path) -> bool:
    """Rewrite the generated table between the marks in ``path``; True if the file changed."""
    doc = Path(path)
    text = doc.read_text(encoding="utf-8")
    head, start, rest = text.partition(START_MARK)
    _, end, tail = rest.partition(END_MARK)
    if not start or not end:
        raise SettingError(f"{doc}: the marks {START_MARK!r} and {END_MARK!r} are missing")
    new = f"{head}{START_MARK}\n{markdown_table()}{END_MARK}{tail}"
    if new == text:
        return False
    doc.write_text(new, encoding="utf-8")
    return True


if __name__ == "__main__":  # pragma: no cover - the docs generator, run by hand
    import sys

    for name in sys.argv[1:] or ["docs/settings.md"]:
        print(f"{name}: {'updated' if update_doc(name) else 'up to date'}")
