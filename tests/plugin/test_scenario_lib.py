"""The scenario library without pytest's machinery: the shipped suite's coverage, merging, expectations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_simarena.episode.results import EpisodeResult
from pytest_simarena.policies.registry import BUILTIN_POLICIES
from pytest_simarena.scenario.expectations import _message_texts, _step_texts, check
from pytest_simarena.scenario.model import (
    Context,
    Expectations,
    ScenarioCase,
    derive_seed,
    load_scenarios,
    merge_policies,
)
from pytest_simarena.scenario.naming import namespace_name
from pytest_simarena.scenario.run import ClusterPool, RunConfig, is_live, run_case
from pytest_simarena.scenario.schema import SCHEMA, SCHEMA_PATH

ROOT = Path(__file__).resolve().parents[2]
TRACE_DIRS = (ROOT / "traces" / "canonical", ROOT / "traces" / "generated", ROOT / "traces" / "extra")
# Families added later (issue 15): at least the policies that can repair them, and noop (must not).
EXTRA_POLICIES = {"heuristic", "noop", "vpa"}
CTX = Context(rootpath=ROOT, trace_dirs=TRACE_DIRS, builtin_policies=tuple(BUILTIN_POLICIES))


def test_shipped_suite_covers_every_trace_and_policy_once() -> None:
    cases = [
        c
        for f in sorted((ROOT / "scenarios").glob("*.yaml"))
        for s in load_scenarios(f, CTX)
        for c in s.cases
    ]
    # The replay suite covers every pair once; agents.yaml runs agents live on top of it.
    pairs = [(c.trace.name, c.policy) for c in cases if not is_live(c)]
    assert {c.policy for c in cases if is_live(c)} == {"command", "heuristic", "noop"}
    traces = sorted(p.name for d in TRACE_DIRS[:2] for p in d.glob("*.sktrace"))
    extra = sorted(p.name for p in TRACE_DIRS[2].glob("*.sktrace"))
    assert len(traces) >= 104 and len(extra) >= 20
    assert len(pairs) == len(set(pairs))
    first = [pair for pair in pairs if pair[0] in traces]
    assert sorted(first) == sorted((t, p) for t in traces for p in BUILTIN_POLICIES)
    for name in extra:
        assert {p for t, p in pairs if t == name} >= EXTRA_POLICIES, name
    # Honest expectations: nothing in the suite is xfailed or skipped.
    assert not [c.test_id for c in cases if any(m.name in ("xfail", "skip") for m in c.marks)]
    # Every repairing run states its outcome; only the random baseline makes no claim.
    silent = {c.policy for c in cases if c.expect.solved is None}
    assert silent == {"random"}


def test_schema_is_published_and_documented() -> None:
    assert SCHEMA_PATH.name == "scenario.schema.json"
    assert json.loads(SCHEMA_PATH.read_text())["$schema"].endswith("2020-12/schema")
    import jsonschema

    # validator() trusts the schema; this is where it is checked against the 2020-12 meta-schema.
    jsonschema.validators.validator_for(SCHEMA).check_schema(SCHEMA)
    docs = (ROOT / "docs" / "scenarios.md").read_text()
    for key in [*SCHEMA["$defs"]["expect"]["properties"], *SCHEMA["$defs"]["settings"]["properties"]]:
        assert f"`{key}`" in docs, key


def test_policies_merge_per_policy() -> None:
    base = {"heuristic": {"expect": {"solved": True, "final": {"ready": "target"}}}, "noop": None}
    merged = merge_policies(
        base, {"heuristic": {"expect": {"within": 1, "final": {"pending": 0}}}, "vpa": None}
    )
    assert merged["heuristic"] == {
        "expect": {"solved": True, "within": 1, "final": {"ready": "target", "pending": 0}}
    }
    assert set(merged) == {"heuristic", "noop", "vpa"}
    assert set(merge_policies(base, ["noop"])) == {"noop"}


def test_seeds_and_names_are_stable() -> None:
    a = derive_seed("cpu.yaml::s[t-heuristic]", 0)
    assert a == derive_seed("cpu.yaml::s[t-heuristic]", 0)
    assert a != derive_seed("cpu.yaml::s[t-heuristic]", 1) != derive_seed("cpu.yaml::s[t-vpa]", 0)
    name = namespace_name("x.yaml::" + "very-long-scenario-name" * 5 + "[p]", "gw12")
    assert len(name) <= 40 and name.startswith("sa-gw12-")


def _result(trace: str, policy: str, folder: Path = TRACE_DIRS[0]) -> EpisodeResult:
    case = ScenarioCase(
        file=Path("lib.yaml"),
        scenario="s",
        line=1,
        param_id=f"{trace}-{policy}",
        trace=folder / f"{trace}.sktrace",
        policy=policy,
    )
    outcome = run_case(case, pool=ClusterPool(), config=RunConfig(steps=3), prefix="lib")
    assert outcome.result is not None, outcome.error
    return outcome.result


@pytest.fixture(scope="module")
def fixed() -> EpisodeResult:
    return _result("slightly-bad-cpu", "heuristic")


@pytest.fixture(scope="module")
def stuck() -> EpisodeResult:
    return _result("very-bad-memory", "always_bump_memory")


@pytest.mark.parametrize(
    ("which", "expect", "failures"),
    [
        ("fixed", {"solved": True, "within": 1, "final": {"ready": "target", "pending": 0}}, []),
        ("fixed", {"solved": False}, ["expect.solved: expected NOT solved, but solved at step 1"]),
        ("fixed", {"within": 0}, ["expect.within: expected solved within 0 steps, took 1"]),
        ("fixed", {"final": {"total": 4}}, ["expect.final.total: expected 4, got 3"]),
        ("fixed", {"min_total_reward": 1, "max_total_reward": 1}, []),
        ("fixed", {"min_total_reward": 2}, ["expect.min_total_reward: expected >= 2, got 1"]),
        (
            "fixed",
            {"blocked": True},
            ["expect.blocked: expected a safeguard to block an action, but none was"],
        ),
        ("fixed", {"events": {"present": ["Insufficient cpu"], "absent": ["OOMKilled"]}}, []),
        (
            "fixed",
            {"events": {"present": ["Insufficient memory"]}},
            ["no event contains 'Insufficient memory'"],
        ),
        ("fixed", {"hold": 1}, []),
        ("fixed", {"hold": 2}, ["expect.hold: expected the last 2 observations healthy, 1 of 2 were"]),
        ("fixed", {"error": True}, ["expect.error: expected the episode to fail"]),
        ("stuck", {"solved": False, "blocked": True, "final": {"ready": 0, "pending": "target"}}, []),
        ("stuck", {"solved": True}, ["expect.solved: expected solved, but not solved after 3 steps"]),
        ("stuck", {"within": 3}, ["expect.within: expected solved within 3 steps, but never solved"]),
        (
            "stuck",
            {"blocked": False},
            ["expect.blocked: expected no blocked action, but 3 were (steps [0, 1, 2])"],
        ),
    ],
)
def test_expectations(
    request: pytest.FixtureRequest, which: str, expect: dict[str, object], failures: list[str]
) -> None:
    result: EpisodeResult = request.getfixturevalue(which)
    got = check(Expectations.from_mapping(expect), result)
    assert len(got) == len(failures), got
    for text, wanted in zip(got, failures, strict=True):
        assert wanted in text


def test_all_entry_in_policies_mapping(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "scenarios:\n  - name: s\n    traces: [mixed]\n    policies:\n"
        "      all: {expect: {blocked: false}}\n      noop: {expect: {solved: false}}\n"
    )
    (scenario,) = load_scenarios(path, CTX)
    by_policy = {c.policy: c.expect for c in scenario.cases}
    assert set(by_policy) == set(BUILTIN_POLICIES)
    assert by_policy["noop"] == Expectations(blocked=False, solved=False)
    assert by_policy["vpa"] == Expectations(blocked=False)


def test_docs_example_runs(pytester: pytest.Pytester) -> None:
    """The example file in docs/scenarios.md is collected and passes as documented."""
    docs = (ROOT / "docs" / "scenarios.md").read_text()
    section = docs[docs.index("## A small file") :]
    example = section[
        section.index("```yaml\n") + len("```yaml\n") : section.index("```\n", section.index("```yaml"))
    ]
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "cpu.yaml").write_text(example)
    result = pytester.runpytest("-v", f"--simarena-trace-dirs={TRACE_DIRS[0]}")
    result.stdout.fnmatch_lines(
        [
            "scenarios/cpu.yaml::slightly-bad[[]slightly-bad-cpu-heuristic] PASSED*",
            "scenarios/cpu.yaml::slightly-bad[[]slightly-bad-cpu-vpa] PASSED*",
            "scenarios/cpu.yaml::slightly-bad[[]slightly-bad-cpu-noop] PASSED*",
            "scenarios/cpu.yaml::slightly-bad[[]slightly-bad-cpu-always_bump_cpu] PASSED*",
        ]
    )
    result.assert_outcomes(passed=4)


def test_events_present_reads_events_only_when_the_messages_lack_a_text() -> None:
    # noop on a fast-path trace: each observation's events are made by replaying the step in the engine
    # when first read; "Insufficient cpu" is in the failed-scheduling message, "FailedScheduling" is the
    # reason of the event that message comes from, "Preempted" nowhere.
    result = _result("slightly-bad-cpu", "noop")

    def events_read() -> bool:
        observations = [r.observation for r in result.steps if r.observation is not None]
        return any(getattr(o.events, "_make", None) is None for o in observations)

    assert not events_read()
    assert check(Expectations.from_mapping({"events": {"present": ["Insufficient cpu"]}}), result) == []
    assert check(Expectations.from_mapping({"events": {"present": ["FailedScheduling"]}}), result) == []
    assert not events_read()
    wanted = {"events": {"present": ["Insufficient cpu", "FailedScheduling", "Preempted"]}}
    got = check(Expectations.from_mapping(wanted), result)
    assert got == ["expect.events.present: no event contains 'Preempted'"]
    assert events_read()


@pytest.mark.parametrize(
    ("trace", "policy", "folder"),
    [
        ("slightly-bad-cpu", "noop", TRACE_DIRS[0]),  # the fast path: pending pods
        ("very-bad-memory", "always_bump_memory", TRACE_DIRS[0]),
        ("mixed", "heuristic", TRACE_DIRS[0]),
        ("multi-deployment-039", "noop", TRACE_DIRS[1]),  # the engine: pending pods, several Deployments
        ("multi-container-008", "noop", TRACE_DIRS[1]),  # the engine: a sidecar killed for memory
        ("priority-preemption-002", "noop", TRACE_DIRS[2]),  # the engine: preemption
    ],
)
def test_the_message_texts_are_step_texts(trace: str, policy: str, folder: Path) -> None:
    # events.present looks in these first and reads the events only for a text they lack: each must be
    # one of the episode's event texts, or the verdict could differ from reading every event.
    result = _result(trace, policy, folder)
    messages, texts = _message_texts(result), _step_texts(result)
    assert messages and set(messages) <= set(texts)


def test_scenario_files_parse_after_yaml_is_imported_again(tmp_path: Path) -> None:
    # pytester's in-process runs drop the modules a run imported first; libyaml's C parser is initialized
    # once per process and keeps making the first import's node classes. Parsing must not depend on them.
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        import yaml
        yaml.compose("a: 1", Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        for name in [m for m in sys.modules if m == "yaml" or m.startswith(("yaml.", "pytest_simarena"))]:
            del sys.modules[name]
        from pytest_simarena.scenario.loader import parse_yaml
        print(parse_yaml("scenarios:\\n  - name: x\\n    traces: [a]\\n", Path("s.yaml")).data)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'scenarios': [{'name': 'x', 'traces': ['a']}]}"
