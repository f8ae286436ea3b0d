"""Finding and loading the cluster's credentials: a kubeconfig file and context, or in-cluster config.

Resolution follows kubectl: ``--kubeconfig FILE`` if given, else the files of ``$KUBECONFIG`` (joined by
``os.pathsep``; missing ones skipped), else ``~/.kube/config``; with none of them, the in-cluster service
account when ``KUBERNETES_SERVICE_HOST`` is set. Every problem is a :class:`KubeConfigError` with one line
saying what is wrong and a ``fix`` command, so ``simarena preflight`` and the pytest skip reason can show it.

The client is made fast-failing on purpose: no urllib3 retries and a short connect timeout, so a closed
port or an unreachable server is reported in about a second instead of after minutes of retries.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pytest_simarena.errors import BackendUnavailable

from .client import load_client

DEFAULT_KUBECONFIG = Path("~/.kube/config")
SERVICE_ACCOUNT_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
SETUP_FIX = "scripts/kind-up.sh (creates a kind cluster with KWOK nodes), or pass --kubeconfig FILE"


class KubeConfigError(BackendUnavailable):
    """No usable kubeconfig or context; ``fix`` is the command that fixes it."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class KubeTarget:
    """Which file and context were chosen (before connecting), for messages and lock names."""

    files: tuple[str, ...]
    context: str | None
    in_cluster: bool = False

    def describe(self) -> str:
        if self.in_cluster:
            return "in-cluster service account"
        return f"context {self.context!r} of {os.pathsep.join(self.files)}"


@dataclass(frozen=True)
class Connection:
    """A configured ApiClient (not yet contacted) and where it points."""

    api_client: Any
    server: str
    target: KubeTarget


def candidate_files(kubeconfig: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> list[Path]:
    """The kubeconfig files kubectl would consider, in order (explicit file, $KUBECONFIG, ~/.kube/config)."""
    if kubeconfig:
        return [Path(kubeconfig).expanduser()]
    env = environ.get("KUBECONFIG", "")
    if env:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    home = environ.get("HOME")
    default = Path(home) / ".kube" / "config" if home else DEFAULT_KUBECONFIG.expanduser()
    return [default]


def in_cluster_available(environ: Mapping[str, str], token: Path = SERVICE_ACCOUNT_TOKEN) -> bool:
    """True when running in a pod with a service account (the in-cluster config's requirements)."""
    return bool(environ.get("KUBERNETES_SERVICE_HOST") and environ.get("KUBERNETES_SERVICE_PORT")) and (
        token.is_file()
    )


def _read_kubeconfig(path: Path) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KubeConfigError(f"kubeconfig {path}: cannot be read ({exc.strerror})", SETUP_FIX) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise KubeConfigError(
            f"kubeconfig {path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})",
            f"kubectl config view --kubeconfig {path}",
        ) from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise KubeConfigError(f"kubeconfig {path}: expected a mapping, got {type(data).__name__}", SETUP_FIX)
    return data


def contexts_of(files: list[Path]) -> tuple[list[str], str | None]:
    """Context names (first file wins, as kubectl merges) and the current-context of ``files``."""
    names: list[str] = []
    current: str | None = None
    for path in files:
        data = _read_kubeconfig(path)
        for entry in data.get("contexts") or []:
            if (
                isinstance(entry, Mapping)
                and isinstance(entry.get("name"), str)
                and entry["name"] not in names
            ):
                names.append(entry["name"])
        if current is None and data.get("current-context"):
            current = str(data["current-context"])
    return names, current


def resolve_target(
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    token: Path = SERVICE_ACCOUNT_TOKEN,
) -> KubeTarget:
    """Which kubeconfig files and context to use; KubeConfigError with a fix when there is none."""
    env = os.environ if environ is None else environ
    files = candidate_files(kubeconfig, env)
    if kubeconfig and not files[0].is_file():
        raise KubeConfigError(
            f"kubeconfig {files[0]} does not exist",
            "pass an existing file to --kubeconfig, or run scripts/kind-up.sh to create a kind cluster",
        )
    existing = [p for p in files if p.is_file()]
    if not existing:
        if context is None and in_cluster_available(env, token):
            return KubeTarget((), None, in_cluster=True)
        where = " or ".join(str(p) for p in files)
        source = "$KUBECONFIG" if env.get("KUBECONFIG") and not kubeconfig else "the default location"
        raise KubeConfigError(
            f"no kubeconfig: {where} ({source}) does not exist and this is not a pod with a service account",
            SETUP_FIX,
        )
    names, current = contexts_of(existing)
    shown = os.pathsep.join(str(p) for p in existing)
    if context is not None and context not in names:
        close = difflib.get_close_matches(context, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listing = ", ".join(names) if names else "none"
        raise KubeConfigError(
            f"context {context!r} is not in kubeconfig {shown} (its contexts: {listing}){hint}",
            f"kubectl config get-contexts --kubeconfig {shown}",
        )
    chosen = context if context is not None else current
    if chosen is None:
        raise KubeConfigError(
            f"kubeconfig {shown} has no current-context and no --context was given",
            f"kubectl config use-context NAME --kubeconfig {shown}, or pass --context NAME",
        )
    if chosen not in names:
        raise KubeConfigError(
            f"kubeconfig {shown}: current-context {chosen!r} is not among its contexts",
            f"kubectl config use-context NAME --kubeconfig {shown}",
        )
    return KubeTarget(tuple(str(p) for p in existing), chosen)


def connect(
    kubeconfig: str | os.PathLike[str] | None = None,
    context: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Connection:
    """An ApiClient for the chosen kubeconfig/context (or in-cluster), retries off; makes no request."""
    target = resolve_target(kubeconfig, context, environ=environ)
    k8s = load_client()
    cfg = k8s.client.Configuration()
    try:
        if target.in_cluster:
            k8s.config.load_incluster_config(client_configuration=cfg)
        else:
            k8s.config.load_kube_config(
                config_file=os.pathsep.join(target.files),
                context=target.context,
                client_configuration=cfg,
                persist_config=False,
            )
    except k8s.config.ConfigException as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise KubeConfigError(
            f"{target.describe()}: cannot be loaded ({first})",
            f"kubectl config view --minify --context {target.context}" if target.context else SETUP_FIX,
        ) from None
    # No retries: urllib3 would otherwise retry a refused connection 3 times with back-off.
    cfg.retries = 0
    return Connection(k8s.client.ApiClient(configuration=cfg), str(cfg.host), target)
