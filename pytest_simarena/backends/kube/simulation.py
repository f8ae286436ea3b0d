"""The SimKube Simulation we create for a step, where its driver reads the trace, and what its state means.

Facts from simkube.md §3 (sk-api/src/v1/simulations.rs, sk-ctrl/src/controller.rs):

- ``simkube.io/v1`` ``Simulation``, cluster-scoped; ``spec.driver`` needs ``image``, ``namespace``,
  ``port`` and ``tracePath``; ``spec.lifecycleParams`` is required even when empty (no serde default).
- ``tracePath`` ``file:///...`` must exist on the node running the driver (mounted as a hostPath);
  ``s3://``, ``gs://``, ``azure://`` are read by the driver with ``spec.driver.secrets`` credentials.
- ``spec.duration`` (``"+5m"``) cuts or extends the replay relative to the trace start. The driver deletes
  its SimulationRoot, and with it every simulated object, when the replay ends: the duration must cover
  the whole step or the pods are gone before we observe them.
- ``status.state``: Blocked, Initializing, Finished, Failed, Paused, Retrying, Running.
"""

from __future__ import annotations

import math
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_simarena.errors import BackendError

Obj = dict[str, Any]

API_VERSION = "simkube.io/v1"
KIND = "Simulation"
CRD_NAME = "simulations.simkube.io"
DEFAULT_DRIVER_IMAGE = "quay.io/appliedcomputing/sk-driver:v2.7.0"  # skctl's default for SimKube v2.7.0
DEFAULT_DRIVER_NAMESPACE = "simkube"
DEFAULT_DRIVER_PORT = 8888
DEFAULT_CERT_ISSUER = "selfsigned"
DEFAULT_METRICS_NAMESPACE = "monitoring"  # setup fails without it, even with metrics off (§3.3)
DEFAULT_CONTROLLER_DEPLOYMENT = ("simkube", "sk-ctrl-depl")  # SimKube's kustomize install (installation.md)
SKIP_MOUNT_ANNOTATION = "controller.simkube.io/skip-local-volume-mount"

STATES = ("Blocked", "Initializing", "Finished", "Failed", "Paused", "Retrying", "Running")


@dataclass(frozen=True)
class SimulationSettings:
    """What the Simulation's spec says besides the trace: driver, speed, how long the replay lasts."""

    driver_image: str = DEFAULT_DRIVER_IMAGE
    driver_namespace: str = DEFAULT_DRIVER_NAMESPACE
    driver_port: int = DEFAULT_DRIVER_PORT
    driver_args: tuple[str, ...] = ("--verbosity", "info")  # what skctl sends
    driver_secrets: tuple[str, ...] = ()
    cert_manager_issuer: str = DEFAULT_CERT_ISSUER
    speed: float = 1.0
    duration_seconds: float = 600.0
    lifecycle_params: Mapping[str, int] = field(default_factory=dict)
    skip_local_volume_mount: bool = False


def format_duration(seconds: float) -> str:
    """SimKube's relative duration: whole minutes, rounded up (``"+5m"``, the form its docs use)."""
    if seconds <= 0:
        raise ValueError(f"duration {seconds!r}: expected a positive number of seconds")
    return f"+{max(1, math.ceil(seconds / 60))}m"


def simulation_body(
    name: str,
    trace_url: str,
    prefix: str,
    labels: Mapping[str, str],
    settings: SimulationSettings | None = None,
) -> Obj:
    """The Simulation to create: driver config, ``virtualNsPrefix`` = our run prefix, speed, duration."""
    s = settings or SimulationSettings()
    if s.speed <= 0:
        raise BackendError(f"speed {s.speed!r}: expected a positive factor")
    driver: Obj = {
        "image": s.driver_image,
        "namespace": s.driver_namespace,
        "port": int(s.driver_port),
        "tracePath": trace_url,
        "virtualNsPrefix": prefix,
        "certManagerIssuer": s.cert_manager_issuer,
    }
    if s.driver_args:
        driver["args"] = list(s.driver_args)
    if s.driver_secrets:
        driver["secrets"] = list(s.driver_secrets)
    metadata: Obj = {"name": name, "labels": dict(labels)}
    if s.skip_local_volume_mount:
        metadata["annotations"] = {SKIP_MOUNT_ANNOTATION: "true"}
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "spec": {
            "driver": driver,
            # Required even when empty: the field has no serde default (§3.2).
            "lifecycleParams": {k: int(v) for k, v in s.lifecycle_params.items()},
            "speed": float(s.speed),
            "repetitions": 1,
            "duration": format_duration(s.duration_seconds),
        },
    }


@dataclass(frozen=True)
class SimulationState:
    """A Simulation's ``status.state`` read for the wait loop."""

    state: str  # "" before the controller has written a status
    running: bool  # the driver Job exists and replays
    terminal: bool  # Finished or Failed: it will not change any more
    failed: bool
    explanation: str

    def describe(self) -> str:
        return f"state {self.state or '(none yet)'}: {self.explanation}"


_EXPLAIN = {
    "": "the controller has not picked it up yet (is sk-ctrl running?)",
    "Initializing": "the controller is setting up the driver, its certificate and webhook",
    "Running": "the driver is replaying the trace",
    "Finished": "the replay finished and the simulated objects were deleted",
    "Failed": "the driver Job failed (see: kubectl logs -n <driver ns> job/sk-<name>-driver)",
    "Paused": "spec.pausedTime is set (skctl resume <name>)",
    "Retrying": "the controller hit an error and is retrying (see the sk-ctrl logs)",
    "Blocked": "another simulation holds the controller's Lease sk-lease; SimKube runs one at a time",
}


def simulation_state(sim: Mapping[str, Any] | None) -> SimulationState:
    """Interpret a Simulation object (None: it does not exist) per sk-ctrl's ``fetch_driver_state`` (§3.3)."""
    if sim is None:
        return SimulationState("Absent", False, True, True, "the Simulation does not exist (deleted?)")
    status = sim.get("status") if isinstance(sim.get("status"), Mapping) else {}
    state = str((status or {}).get("state") or "")
    if state and state not in STATES:
        return SimulationState(state, False, False, False, "an unknown state for this SimKube version")
    return SimulationState(
        state,
        running=state == "Running",
        terminal=state in ("Finished", "Failed"),
        failed=state == "Failed",
        explanation=_EXPLAIN[state],
    )


def masked(text: str, secrets: list[str]) -> str:
    """``text`` with every occurrence of each of ``secrets`` (longest first) replaced by ``***``."""
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class TraceDelivery:
    """Where the driver reads traces and how a trace file gets there.

    ``file``: we write to ``host_dir`` (a folder mounted into the kind node at ``node_dir``, see
    scripts/kind-up.sh); the driver reads ``file://<node_dir>/<file>``. ``url``: ``base_url`` is an
    object-store prefix (``s3://bucket/traces/``) and ``upload`` a command with ``{file}`` and ``{url}``
    placeholders that puts the file there (``aws s3 cp {file} {url}``).
    """

    host_dir: Path = Path("/tmp/simarena-traces")
    node_dir: str = "/data/simarena"
    base_url: str | None = None
    upload: str | None = None

    def url_for(self, file_name: str) -> str:
        if self.base_url:
            return self.base_url.rstrip("/") + "/" + file_name
        return f"file://{self.node_dir.rstrip('/')}/{file_name}"

    def deliver(self, data: bytes, file_name: str, *, timeout: float = 120.0) -> str:
        """Put ``data`` where the driver reads it; returns the ``tracePath`` URL."""
        self.host_dir.mkdir(parents=True, exist_ok=True)
        local = self.host_dir / file_name
        tmp = local.with_name(local.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(local)  # atomic: the driver never reads half a trace
        url = self.url_for(file_name)
        if self.base_url:
            if not self.upload:
                raise BackendError(
                    f"trace URL {url} is an object store but no upload command is configured "
                    "(SIMARENA_TRACE_UPLOAD, e.g. 'aws s3 cp {file} {url}')"
                )
            command = [part.format(file=str(local), url=url) for part in shlex.split(self.upload)]
            # The command may carry a secret (a token, a signed URL): messages name the program only, and
            # the tool's own last output line is shown with every argument of the command masked out.
            program = f"{Path(command[0]).name if command else '(empty)'} (SIMARENA_TRACE_UPLOAD)"
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                raise BackendError(
                    f"uploading the trace with {program} timed out after {timeout:g} s"
                ) from None
            except OSError as exc:
                raise BackendError(
                    f"uploading the trace with {program} failed: {exc.strerror or exc}"
                ) from None
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
                raise BackendError(
                    f"uploading the trace with {program} failed "
                    f"(exit {done.returncode}): {masked(tail[0], command[1:])}"
                )
        return url
