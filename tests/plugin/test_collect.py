"""Scenario files become test items with stable ids; broken files are collection errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

GOOD = """\
defaults:
  steps: 3
scenarios:
  - name: slightly-bad
    traces: [slightly-bad-cpu]
    policies:
      heuristic: {expect: {solved: true}}
      noop:
        expect: {solved: false}
        marks: [{xfail: "noop never fixes anything"}]
  - name: memory
    traces: [very-bad-memory, very-bad-cpu]
    policies: [vpa]
    seeds: [1, 2]
"""


def _write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.write_text(text)
    return p


def test_items_and_ids(pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str) -> None:
    _write(scenario_dir, "cpu.yaml", GOOD)
    result = pytester.runpytest("--collect-only", "-q", trace_dirs_arg)
    result.stdout.fnmatch_lines(
        [
            "scenarios/cpu.yaml::slightly-bad[[]slightly-bad-cpu-heuristic]",
            "scenarios/cpu.yaml::slightly-bad[[]slightly-bad-cpu-noop]",
            "scenarios/cpu.yaml::memory[[]very-bad-memory-vpa-seed1]",
            "scenarios/cpu.yaml::memory[[]very-bad-memory-vpa-seed2]",
            "scenarios/cpu.yaml::memory[[]very-bad-cpu-vpa-seed1]",
            "scenarios/cpu.yaml::memory[[]very-bad-cpu-vpa-seed2]",
            "6 tests collected*",
        ]
    )
    assert result.ret == 0


def test_all_policies_and_globs(pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str) -> None:
    from pytest_simarena.policies.registry import BUILTIN_POLICIES

    root = Path(__file__).resolve().parents[2]
    _write(
        scenario_dir,
        "all.yaml",
        "scenarios:\n  - name: every\n"
        f"    traces: ['{root}/traces/canonical/*.sktrace']\n    policies: all\n",
    )
    result = pytester.runpytest("--collect-only", "-q", trace_dirs_arg)
    n = 4 * len(BUILTIN_POLICIES)
    result.stdout.fnmatch_lines([f"{n} tests collected*"])
    result.stdout.fnmatch_lines(["scenarios/all.yaml::every[[]mixed-heuristic]"])


def test_marks_from_file(pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str) -> None:
    _write(
        scenario_dir,
        "m.yaml",
        """\
scenarios:
  - name: marked
    traces: [slightly-bad-cpu]
    marks: [slow]
    policies:
      heuristic:
        marks: [{skip: "not today"}]
      vpa: ~
""",
    )
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n")
    result = pytester.runpytest("--collect-only", "-q", "-m", "slow", trace_dirs_arg)
    result.stdout.fnmatch_lines(["*2 tests collected*"])
    result = pytester.runpytest(
        "--collect-only", "-q", "-m", "simarena_scenario and not slow", trace_dirs_arg
    )
    result.stdout.fnmatch_lines(["*no tests collected (2 deselected)*"])


def test_other_yaml_is_not_collected(pytester: pytest.Pytester, trace_dirs_arg: str) -> None:
    # Only scenarios/*.yaml (and *.simarena.yaml) are scenario files by default.
    (pytester.path / "config").mkdir()
    _write(pytester.path / "config", "cluster.yaml", "nodeGroups: []\n")
    _write(pytester.path, "x.simarena.yaml", GOOD)
    result = pytester.runpytest("--collect-only", "-q", trace_dirs_arg)
    result.stdout.fnmatch_lines(
        ["x.simarena.yaml::slightly-bad[[]slightly-bad-cpu-heuristic]", "6 tests collected*"]
    )


BROKEN = [
    pytest.param(
        "scenarios:\n  - name: a\n    traces: [slightly-bad-cpu]\n    expect:\n      sovled: true\n",
        "*scenarios/bad.yaml:5: scenarios[[]0].expect: unknown key 'sovled' (did you mean 'solved'?)*",
        id="unknown-key",
    ),
    pytest.param(
        "scenarios:\n  - name: a\n    traces: [slightly-bad-cpu]\n    steps: many\n",
        "*scenarios/bad.yaml:4: scenarios[[]0].steps: 'many' is not of type 'integer'*",
        id="wrong-type",
    ),
    pytest.param(
        "scenarios:\n  - name: a\n    traces: [slightly-bad-cpu\n",
        "*scenarios/bad.yaml:4: invalid YAML:*",
        id="yaml-syntax",
    ),
    pytest.param(
        "scenarios:\n  - name: a\n    traces: [sligthly-bad-cpu]\n",
        "*scenarios/bad.yaml:3: scenarios[[]0].traces[[]0]: trace 'sligthly-bad-cpu' not found"
        "*did you mean 'slightly-bad-cpu'*",
        id="unknown-trace",
    ),
    pytest.param(
        "scenarios:\n  - name: a\n    traces: [slightly-bad-cpu]\n    policies: [heuristc]\n",
        "*scenarios/bad.yaml:4: scenarios[[]0].policies: unknown policy 'heuristc'. "
        "Did you mean 'heuristic'?*",
        id="unknown-policy",
    ),
    pytest.param(
        "scenarios:\n  - traces: [slightly-bad-cpu]\n",
        "*scenarios/bad.yaml:2: scenarios[[]0]: 'name' is required*",
        id="missing-name",
    ),
    pytest.param(
        "scenarios:\n  - name: a\n    traces: [slightly-bad-cpu]\n  - name: a\n    traces: [mixed]\n",
        "*scenarios/bad.yaml:4: scenarios[[]1].name: duplicate scenario name 'a' (first at line 2)*",
        id="duplicate-name",
    ),
    pytest.param(
        "scenarios:\n  - name: a\n    name: b\n    traces: [mixed]\n",
        "*scenarios/bad.yaml:3: scenarios[[]0].name: duplicate key*",
        id="duplicate-key",
    ),
    pytest.param(
        "scenarios:\n  - name: a\n    traces: [mixed]\n    expect:\n      final: {ready: lots}\n",
        "*scenarios/bad.yaml:5: scenarios[[]0].expect.final.ready: *",
        id="bad-final",
    ),
    pytest.param("", "*scenarios/bad.yaml:1: empty file*", id="empty"),
]


def test_broken_files_are_collection_errors_and_others_still_run(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    """Every broken file is its own collection error naming file:line and field; the good file still runs."""
    expected = []
    for n, param in enumerate(BROKEN):
        text, pattern = param.values
        name = f"bad{n:02d}.yaml"
        _write(scenario_dir, name, str(text))
        expected.append(str(pattern).replace("bad.yaml", name))
    _write(
        scenario_dir,
        "good.yaml",
        "scenarios:\n  - name: ok\n    traces: [slightly-bad-cpu]\n    policies: [noop]\n    steps: 1\n",
    )
    result = pytester.runpytest("-q", trace_dirs_arg)
    for pattern in expected:
        result.stdout.fnmatch_lines([pattern])
    result.stdout.no_fnmatch_line("*Traceback*")
    outcomes = result.parseoutcomes()
    assert outcomes.get("errors") == len(BROKEN)
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 1  # the good file ran
    assert result.ret != 0


def test_a_policy_module_beside_the_scenario_file_imports_without_pythonpath(
    pytester: pytest.Pytester,
) -> None:
    folder = pytester.mkdir("scenarios")
    (folder / "team_policies.py").write_text(
        "from pytest_simarena.policies.registry import make_policy\n"
        "_heuristic = make_policy('heuristic')\n"
        "def fixer(observation):\n"
        "    return _heuristic.act(observation)\n"
    )
    (folder / "own.yaml").write_text(
        "scenarios:\n  - name: own\n    traces: [slightly-bad-cpu]\n"
        "    policies: {team_policies:fixer: {expect: {solved: true}}}\n"
    )
    pytester.chdir()
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_an_unimportable_policy_module_says_how_to_fix_it(pytester: pytest.Pytester) -> None:
    folder = pytester.mkdir("scenarios")
    (folder / "own.yaml").write_text(
        "scenarios:\n  - name: own\n    traces: [slightly-bad-cpu]\n    policies: [nowhere_policies:fixer]\n"
    )
    result = pytester.runpytest("-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*own.yaml:4: scenarios[[]0].policies: policy 'nowhere_policies:fixer': cannot import module "
            "'nowhere_policies' (No module named 'nowhere_policies'); "
            "put nowhere_policies.py in *scenarios or *, install it (pip install -e .) "
            "or add its folder to PYTHONPATH"
        ]
    )


@pytest.mark.parametrize(
    ("defaults", "own", "steps"),
    [
        ("max_steps: 2", "", 2),
        ("steps: 2", "", 2),  # the older name
        ("steps: 2", "max_steps: 3", 3),  # a scenario's own key wins, whatever the spelling
        ("max_steps: 2", "steps: 3", 3),
    ],
)
def test_max_steps_has_one_name_and_the_older_one_still_works(
    pytester: pytest.Pytester, trace_dirs_arg: str, defaults: str, own: str, steps: int
) -> None:
    folder = pytester.mkdir("scenarios")
    (folder / "s.yaml").write_text(
        f"defaults:\n  {defaults}\nscenarios:\n  - name: s\n    traces: [slightly-bad-cpu]\n"
        f"    policies: [noop]\n    {own or 'description: x'}\n"
        f"    expect: {{solved: false}}\n"
    )
    pytester.makeconftest(
        f"""
        def pytest_simarena_case_finished(item, outcome):
            assert len(outcome.result.steps) == {steps}
        """
    )
    pytester.runpytest("-q", trace_dirs_arg).assert_outcomes(passed=1)


def test_both_spellings_of_a_key_is_one_error(pytester: pytest.Pytester, trace_dirs_arg: str) -> None:
    folder = pytester.mkdir("scenarios")
    (folder / "s.yaml").write_text(
        "scenarios:\n  - name: s\n    traces: [slightly-bad-cpu]\n    policies: [noop]\n"
        "    steps: 2\n    max_steps: 3\n"
    )
    result = pytester.runpytest("-q", trace_dirs_arg)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*s.yaml:5: scenarios[[]0].steps: 'steps' is the older name of 'max_steps'*"]
    )


JSONSCHEMA_CONFTEST = """\
import os, sys

def pytest_configure(config):
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    path = os.path.join(str(config.rootpath), f"jsonschema-{worker}.txt")
    config.add_cleanup(lambda: open(path, "w").write(str("jsonschema" in sys.modules)))
"""


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_file_found_valid_is_not_checked_again_until_it_changes(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str, workers: str
) -> None:
    pytester.makeconftest(JSONSCHEMA_CONFTEST)
    _write(scenario_dir, "cpu.yaml", GOOD)
    collect = ("--collect-only", "-q", "-n", workers, trace_dirs_arg)

    def imported() -> set[str]:
        found = {p.read_text() for p in pytester.path.glob("jsonschema-*.txt")}
        for p in pytester.path.glob("jsonschema-*.txt"):
            p.unlink()
        return found

    assert pytester.runpytest_subprocess(*collect).ret == 0
    assert "True" in imported()  # checked, and remembered in .pytest_cache
    assert pytester.runpytest_subprocess(*collect).ret == 0
    assert imported() == {"False"}  # every process: parsed and expanded, not checked
    # Without the cache, or after --cache-clear, it is checked again.
    assert pytester.runpytest_subprocess(*collect, "-p", "no:cacheprovider").ret == 0
    assert "True" in imported()
    # An edit makes an unknown text: the schema error is reported as ever.
    _write(scenario_dir, "cpu.yaml", GOOD.replace("steps: 3", "stepz: 3"))
    result = pytester.runpytest_subprocess(*collect)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*scenarios/cpu.yaml:2: defaults: unknown key 'stepz'*"])
    _write(scenario_dir, "cpu.yaml", GOOD)
    assert pytester.runpytest_subprocess(*collect).ret == 0
    assert imported() == {"False"}
    assert pytester.runpytest_subprocess(*collect, "--cache-clear").ret == 0
    assert "True" in imported()
