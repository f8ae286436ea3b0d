"""The plugin's --simarena-kubernetes-version and a scenario's cluster kubernetesVersion, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SCENARIO = """\
scenarios:
  - name: plain
    traces: [slightly-bad-cpu]
    policies: {noop: {expect: {solved: false}}}
  - name: pinned
    cluster: {kubernetesVersion: "1.35"}
    traces: [slightly-bad-cpu]
    policies: {noop: {expect: {solved: false}}}
"""


def _runs(root: Path) -> dict[str, tuple[str, str]]:
    """scenario name -> (the run's kubernetesVersion, its first FailedScheduling text)."""
    found = {}
    for summary in root.rglob("summary.json"):
        doc = json.loads(summary.read_text())
        steps = (summary.parent / "steps.jsonl").read_text().splitlines()
        message = json.loads(steps[0])["observation"]["failedScheduling"]
        name = "pinned" if "pinned" in str(summary.parent) else "plain"
        found[name] = (doc["options"]["clusterSpec"]["kubernetesVersion"], message)
    return found


def test_the_option_sets_the_version_a_case_does_not_name(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    (scenario_dir / "versions.yaml").write_text(SCENARIO)
    runs = pytester.path / "runs"
    result = pytester.runpytest(
        "-q",
        "-p",
        "no:randomly",
        trace_dirs_arg,
        "--simarena-kubernetes-version=1.33",
        f"--simarena-run-dir={runs}",
    )
    result.assert_outcomes(passed=2)
    seen = _runs(runs)
    # slightly-bad-cpu asks 17 cpu of 16-cpu nodes: 1.33 has no DRA reason and counts the nodes as
    # preemption candidates; 1.35 (the case's own) says both differently (versions.py RULES).
    assert seen["plain"] == (
        "1.33",
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod.",
    )
    assert seen["pinned"] == (
        "1.35",
        "0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: "
        "0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    )


def test_an_unsupported_version_is_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--simarena-kubernetes-version=1.32")
    result.stderr.fnmatch_lines(
        [
            "*setting kubernetes_version (--simarena-kubernetes-version, from cli): Kubernetes 1.32 is not "
            "supported; use one of 1.33, 1.34, 1.35, 1.36, 1.37*"
        ]
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_a_bad_version_in_a_scenario_names_the_file_and_field(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    (scenario_dir / "bad.yaml").write_text(SCENARIO.replace('"1.35"', '"1.20"'))
    result = pytester.runpytest("-q", trace_dirs_arg)
    result.stdout.fnmatch_lines(["*bad.yaml*cluster*kubernetesVersion: Kubernetes 1.20 is not supported*"])
