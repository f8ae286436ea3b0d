"""Preflight: can this cluster run our steps? Each check says what is wrong and the command that fixes it.

Checks run in order and stop at the first one that makes the rest meaningless (no kubeconfig, no API):

1. ``kubeconfig``: a kubeconfig file and context (or in-cluster config) are found and load;
2. ``api``: the API server answers ``GET /version`` (short timeouts, no retries);
3. ``credentials``: API discovery (``GET /apis``, allowed to every authenticated user) is not 401/403;
4. ``rbac``: a SelfSubjectAccessReview per verb and resource the mode needs;
5. simkube mode: the ``simulations.simkube.io`` CRD, the SimKube controller, cert-manager and its
   ClusterIssuer, and the metrics namespace ``monitoring`` (setup fails without it, simkube.md §3.3);
6. ``nodes``: KWOK virtual nodes labelled ``type=virtual`` (simkube.md §5), as the embedded default has.

Exit codes of ``simarena preflight`` (docs/real-cluster.md): 0 ready; 1 the cluster answers but is not
ready for the mode; 2 bad command-line usage; 3 no usable kubeconfig or context; 4 the API server cannot
be reached or rejects the credentials.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_simarena.backends.protocol import PreflightCheck

from . import simulation as sim
from .config import KubeConfigError, connect
from .labels import selector

if TYPE_CHECKING:
    from .api import KubeApi

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_USAGE = 2
EXIT_NO_CONFIG = 3
EXIT_UNREACHABLE = 4

MODES = ("simkube", "direct")
VIRTUAL_NODE_LABELS = {"type": "virtual"}
KWOK_TAINT_KEY = "kwok-provider"
RBAC_DOC = "docs/real-cluster.md#rbac"


@dataclass(frozen=True)
class Access:
    """One permission we need: ``verb`` on ``resource`` of API ``group`` (cluster-wide when namespace '')."""

    verb: str
    group: str
    resource: str
    namespace: str = ""

    def describe(self) -> str:
        res = f"{self.resource}.{self.group}" if self.group else self.resource
        return f"{self.verb} {res}"

    def can_i(self) -> str:
        res = f"{self.resource}.{self.group}" if self.group else self.resource
        where = f"-n {self.namespace}" if self.namespace else "--all-namespaces"
        return f"kubectl auth can-i {self.verb} {res} {where}"


_WORKLOADS = (
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("", "pods"),
)


def rbac_requirements(mode: str) -> list[Access]:
    """What each mode does on the cluster, as SelfSubjectAccessReview attributes."""
    observe = [Access("list", g, r) for g, r in _WORKLOADS] + [
        Access("list", "", "events"),
        Access("list", "", "nodes"),
        Access("get", "", "namespaces"),
        Access("list", "", "namespaces"),
    ]
    if mode == "direct":
        write = [Access(v, g, r) for g, r in _WORKLOADS for v in ("get", "create", "patch", "delete")]
        # Cleanup fences a namespace with a ResourceQuota and reads every namespaced kind before deleting it.
        fence = [Access(v, "", "resourcequotas") for v in ("create", "delete")]
        spaces = [Access(v, "", "namespaces") for v in ("create", "patch", "delete")]
        return [*observe, *write, *fence, *spaces, Access("list", "*", "*")]
    if mode == "simkube":
        sims = [Access(v, "simkube.io", "simulations") for v in ("get", "list", "create", "delete")]
        return [*observe, *sims, Access("get", "apiextensions.k8s.io", "customresourcedefinitions")]
    raise ValueError(f"mode {mode!r}: expected one of {', '.join(MODES)}")


def access_review_body(access: Access) -> dict[str, Any]:
    attrs: dict[str, Any] = {"verb": access.verb, "group": access.group, "resource": access.resource}
    if access.namespace:
        attrs["namespace"] = access.namespace
    return {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attrs},
    }


@dataclass(frozen=True)
class AccessVerdict:
    access: Access
    allowed: bool
    why: str = ""


def interpret_review(access: Access, review: Mapping[str, Any] | None) -> AccessVerdict:
    """Read a SelfSubjectAccessReview's status: allowed, or denied with the authorizer's reason.

    ``allowed`` false without ``denied`` means no authorizer had an opinion (RBAC never denies explicitly),
    which is still a no; an ``evaluationError`` is reported because it often explains a surprising no.
    """
    status = (review or {}).get("status")
    if not isinstance(status, Mapping):
        return AccessVerdict(access, False, "the API server returned no review status")
    if status.get("allowed") is True and status.get("denied") is not True:
        return AccessVerdict(access, True, str(status.get("reason") or ""))
    parts = [str(status[k]) for k in ("reason", "evaluationError") if status.get(k)]
    why = "; ".join(parts) if parts else "no RBAC rule allows it"
    return AccessVerdict(access, False, why)


def rbac_check(verdicts: Sequence[AccessVerdict]) -> PreflightCheck:
    """One check summarizing the verdicts: which permissions are missing and how to see/grant them."""
    denied = [v for v in verdicts if not v.allowed]
    if not denied:
        return PreflightCheck("rbac", True, f"all {len(verdicts)} permissions the mode needs are granted")
    listing = ", ".join(v.access.describe() for v in denied[:6])
    more = f" and {len(denied) - 6} more" if len(denied) > 6 else ""
    first = denied[0]
    why = f" ({first.why})" if first.why else ""
    return PreflightCheck(
        "rbac",
        False,
        f"not allowed: {listing}{more}{why}",
        f"{first.access.can_i()}; grant the ClusterRole in {RBAC_DOC}",
    )


def _quantity(node: Mapping[str, Any], key: str) -> str:
    alloc = (node.get("status") or {}).get("allocatable") or {}
    return str(alloc.get(key, "?"))


def virtual_nodes_check(nodes: Sequence[Mapping[str, Any]]) -> PreflightCheck:
    """KWOK ``type=virtual`` nodes are present, tainted ``kwok-provider`` and not NotReady (simkube.md §5)."""
    fix = (
        "scripts/kind-up.sh --nodes-only --context CONTEXT "
        "(adds 3 KWOK nodes: 16 cpu / 32Gi / 110 pods, type=virtual)"
    )
    if not nodes:
        return PreflightCheck("nodes", False, "no nodes labelled type=virtual (KWOK virtual nodes)", fix)
    untainted = [
        str((n.get("metadata") or {}).get("name"))
        for n in nodes
        if not any(
            isinstance(t, Mapping) and t.get("key") == KWOK_TAINT_KEY
            for t in (n.get("spec") or {}).get("taints") or []
        )
    ]
    not_ready = []
    for n in nodes:
        conds = (n.get("status") or {}).get("conditions") or []
        ready = [c for c in conds if isinstance(c, Mapping) and c.get("type") == "Ready"]
        if ready and ready[0].get("status") != "True":
            not_ready.append(str((n.get("metadata") or {}).get("name")))
    shapes = sorted(
        {f"{_quantity(n, 'cpu')} cpu / {_quantity(n, 'memory')} / {_quantity(n, 'pods')} pods" for n in nodes}
    )
    summary = f"{len(nodes)} type=virtual node(s): {'; '.join(shapes)}"
    if not_ready:
        return PreflightCheck(
            "nodes",
            False,
            f"{summary}; NotReady: {', '.join(not_ready)} (is the KWOK controller running?)",
            "kubectl -n kube-system get pods -l app=kwok-controller",
        )
    if untainted:
        return PreflightCheck(
            "nodes",
            True,
            f"{summary}; without the kwok-provider taint: {', '.join(untainted)} (real pods may land there)",
        )
    return PreflightCheck("nodes", True, summary)


@dataclass
class PreflightReport:
    """The checks that ran, in order, and the exit code they amount to."""

    mode: str
    checks: list[PreflightCheck] = field(default_factory=list)
    exit_code: int = EXIT_READY

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def fail(self, check: PreflightCheck, code: int) -> PreflightReport:
        self.checks.append(check)
        self.exit_code = max(self.exit_code, code)
        return self


def _exists(api: KubeApi, api_version: str, kind: str, name: str, namespace: str | None = None) -> bool:
    from .api import ApiError

    try:
        return api.get(api_version, kind, name, namespace) is not None
    except ApiError as exc:
        if exc.status == 404:  # the kind itself is not served (e.g. cert-manager's CRDs missing)
            return False
        raise


def simkube_checks(api: KubeApi, settings: sim.SimulationSettings) -> list[PreflightCheck]:
    """The SimKube installation: CRD, controller, cert-manager issuer, metrics namespace."""
    out: list[PreflightCheck] = []
    crd = _exists(api, "apiextensions.k8s.io/v1", "CustomResourceDefinition", sim.CRD_NAME)
    out.append(
        PreflightCheck(
            "simkube-crd",
            crd,
            f"CRD {sim.CRD_NAME} {'installed' if crd else 'not installed'}",
            ""
            if crd
            else "git clone https://github.com/acrlabs/simkube && kubectl apply -k simkube/k8s/kustomize/sim",
        )
    )
    ns, name = sim.DEFAULT_CONTROLLER_DEPLOYMENT
    ctrl = api.get("apps/v1", "Deployment", name, ns)
    ready = int(((ctrl or {}).get("status") or {}).get("readyReplicas") or 0)
    out.append(
        PreflightCheck(
            "simkube-controller",
            ready > 0,
            f"SimKube controller {ns}/{name}: " + ("absent" if ctrl is None else f"{ready} ready replica(s)"),
            ""
            if ready
            else f"kubectl -n {ns} describe deployment {name} (install: see {RBAC_DOC.split('#')[0]})",
        )
    )
    cm = _exists(api, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "certificates.cert-manager.io")
    issuer = cm and _exists(api, "cert-manager.io/v1", "ClusterIssuer", settings.cert_manager_issuer)
    out.append(
        PreflightCheck(
            "cert-manager",
            bool(issuer),
            "cert-manager not installed"
            if not cm
            else f"ClusterIssuer {settings.cert_manager_issuer!r} "
            + ("present" if issuer else "missing (the driver's webhook certificate needs it)"),
            ""
            if issuer
            else (
                "kubectl apply -f https://github.com/cert-manager/cert-manager/releases/download/v1.14.3/cert-manager.yaml"
                if not cm
                else "scripts/kind-up.sh --simkube (creates the selfsigned ClusterIssuer)"
            ),
        )
    )
    monitoring = _exists(api, "v1", "Namespace", sim.DEFAULT_METRICS_NAMESPACE)
    out.append(
        PreflightCheck(
            "metrics-namespace",
            monitoring,
            f"namespace {sim.DEFAULT_METRICS_NAMESPACE} "
            + (
                "exists" if monitoring else "missing: SimKube's setup fails without it, even with metrics off"
            ),
            "" if monitoring else f"kubectl create namespace {sim.DEFAULT_METRICS_NAMESPACE}",
        )
    )
    return out


def run_checks(
    api: KubeApi,
    mode: str,
    settings: sim.SimulationSettings | None = None,
    report: PreflightReport | None = None,
) -> PreflightReport:
    """Every check after the kubeconfig one, against a constructed (not yet contacted) API."""
    from .api import ApiError, Unreachable

    report = report or PreflightReport(mode)
    try:
        version = api.request("GET", "/version", "get /version") or {}
    except Unreachable as exc:
        fix = "kubectl cluster-info  # is the cluster running? (kind get clusters; scripts/kind-up.sh)"
        return report.fail(PreflightCheck("api", False, str(exc), fix), EXIT_UNREACHABLE)
    except ApiError as exc:
        version = {} if exc.status in (401, 403) else {"gitVersion": f"? ({exc.status})"}
    report.checks.append(
        PreflightCheck(
            "api", True, f"API server {api.server} answers ({version.get('gitVersion', 'version hidden')})"
        )
    )
    try:
        api.request("GET", "/apis", "API discovery")
    except ApiError as exc:
        if exc.status in (401, 403):
            what = "rejected (401 Unauthorized)" if exc.status == 401 else "not recognized (403: anonymous?)"
            return report.fail(
                PreflightCheck(
                    "credentials",
                    False,
                    f"the credentials of {api.connection.target.describe()} are {what}",
                    "kubectl auth whoami  # refresh the token or certificate in the kubeconfig",
                ),
                EXIT_UNREACHABLE,
            )
        raise
    report.checks.append(PreflightCheck("credentials", True, "credentials accepted"))
    verdicts = [
        interpret_review(
            a,
            api.post(
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                access_review_body(a),
                f"review {a.describe()}",
            ),
        )
        for a in rbac_requirements(mode)
    ]
    rbac = rbac_check(verdicts)
    checks = [rbac]
    if mode == "simkube":
        checks.extend(simkube_checks(api, settings or sim.SimulationSettings()))
    nodes = api.list("v1", "Node", label_selector=selector(VIRTUAL_NODE_LABELS))
    checks.append(virtual_nodes_check(nodes))
    for check in checks:
        if check.ok:
            report.checks.append(check)
        else:
            report.fail(check, EXIT_NOT_READY)
    return report


def preflight(
    kubeconfig: str | None = None,
    context: str | None = None,
    mode: str = "simkube",
    *,
    settings: sim.SimulationSettings | None = None,
    timeout: tuple[float, float] = (2.0, 10.0),
    environ: Mapping[str, str] | None = None,
) -> PreflightReport:
    """Run every check for ``mode``; never raises for a cluster problem (it becomes a failed check)."""
    from .api import ApiError, KubeApi, Unreachable

    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
    report = PreflightReport(mode)
    try:
        conn = connect(kubeconfig, context, environ=environ)
    except KubeConfigError as exc:
        return report.fail(PreflightCheck("kubeconfig", False, exc.message, exc.fix), EXIT_NO_CONFIG)
    report.checks.append(PreflightCheck("kubeconfig", True, f"{conn.target.describe()} -> {conn.server}"))
    api = KubeApi(conn, timeout=timeout)
    try:
        return run_checks(api, mode, settings, report)
    except Unreachable as exc:
        return report.fail(PreflightCheck("api", False, str(exc), "kubectl cluster-info"), EXIT_UNREACHABLE)
    except ApiError as exc:
        return report.fail(PreflightCheck("api", False, str(exc), "kubectl cluster-info"), EXIT_NOT_READY)
    finally:
        api.close()
