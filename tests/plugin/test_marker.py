"""The Python face: @scenarios / @pytest.mark.simarena parametrize a test over traces x policies."""

from __future__ import annotations

import sys

import pytest


def test_mark_parametrizes_and_passes_the_result(pytester: pytest.Pytester, trace_dirs_arg: str) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_simarena.plugin import scenarios

        @scenarios(["slightly-bad-cpu", "very-bad-memory"], ["heuristic", "noop"], steps=3)
        def test_fix(simarena_result, simarena_case):
            if simarena_case.policy == "noop":
                assert not simarena_result.solved
            else:
                assert simarena_result.solved

        @pytest.mark.simarena("mixed", ["noop"], expect={"solved": True})
        def test_expectation_in_mark_fails(simarena_result):
            raise AssertionError("the body must not run: the mark's expectation fails first")
        """
    )
    result = pytester.runpytest("-v", trace_dirs_arg, "--junitxml=j.xml")
    result.stdout.fnmatch_lines(
        [
            "*::test_fix[[]slightly-bad-cpu-heuristic] PASSED*",
            "*::test_fix[[]slightly-bad-cpu-noop] PASSED*",
            "*::test_fix[[]very-bad-memory-heuristic] PASSED*",
            "*::test_fix[[]very-bad-memory-noop] PASSED*",
            "*::test_expectation_in_mark_fails[[]mixed-noop] FAILED*",
        ]
    )
    result.stdout.fnmatch_lines(["*expect.solved: expected solved, but not solved after 10 steps*"])
    result.stdout.no_fnmatch_line("*the body must not run*")
    junit = (pytester.path / "j.xml").read_text()
    assert '<property name="policy" value="heuristic"' in junit
    result.assert_outcomes(passed=4, failed=1)


def test_mark_misuse_is_explained(pytester: pytest.Pytester, trace_dirs_arg: str) -> None:
    pytester.makepyfile(
        test_typo="""
        import pytest

        @pytest.mark.simarena(["slightly-bad-cpu"], ["heuristc"])
        def test_typo(simarena_result):
            pass
        """,
        test_nofixture="""
        import pytest

        @pytest.mark.simarena(["slightly-bad-cpu"], ["noop"])
        def test_no_fixture():
            pass
        """,
    )
    result = pytester.runpytest("-q", trace_dirs_arg)
    result.stdout.fnmatch_lines(
        ["*simarena mark: policies: unknown policy 'heuristc'. Did you mean 'heuristic'?*"]
    )
    result.stdout.fnmatch_lines(
        ["*test_no_fixture: the simarena mark needs the test to take the simarena_result*"]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    assert result.parseoutcomes().get("errors") == 2


def test_trace_names_work_without_a_traces_folder(pytester: pytest.Pytester) -> None:
    # No --simarena-trace-dirs and no traces/ in the project: the packaged traces answer the names.
    pytester.makepyfile(
        """
        from pytest_simarena.plugin import scenarios

        @scenarios(["slightly-bad-cpu"], ["heuristic"])
        def test_fix(simarena_result):
            assert simarena_result.solved
        """
    )
    pytester.runpytest("-q").assert_outcomes(passed=1)


def test_an_unknown_trace_name_is_reported_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from pytest_simarena.plugin import scenarios

        @scenarios(["slighty-bad-cpu"], ["heuristic"])
        def test_fix(simarena_result):
            pass
        """
    )
    # -rN: no short summary, which repeats the error in full when CI is set (pytest does not truncate there)
    result = pytester.runpytest("-q", "-rN")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = result.stdout.str()
    assert out.count("did you mean 'slightly-bad-cpu'") == 1, out
    assert "During handling" not in out


def test_a_plain_install_needs_neither_numpy_nor_gymnasium(pytester: pytest.Pytester) -> None:
    # pip install pytest-simarena without extras: the plugin, policy names and episodes must still work.
    pytester.makepyfile(
        test_plain="""
        from pytest_simarena.plugin import scenarios

        @scenarios(["slightly-bad-cpu"], ["heuristic"])
        def test_fix(simarena_result):
            assert simarena_result.solved
        """
    )
    runner = pytester.makepyfile(
        run_plain="""
        import sys

        for name in ("numpy", "gymnasium", "torch", "stable_baselines3"):
            sys.modules[name] = None  # importing it fails, as without the extras
        import pytest

        sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "test_plain.py"]))
        """
    )
    result = pytester.run(sys.executable, str(runner))
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*1 passed*"])
