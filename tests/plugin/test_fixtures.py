"""Fixture scopes and behaviour: one cluster per session, a fresh cleaned namespace per test, trace copies."""

from __future__ import annotations

from pathlib import Path

import pytest

CANONICAL = Path(__file__).resolve().parents[2] / "traces" / "canonical"


def test_scopes_and_namespace_names(pytester: pytest.Pytester, trace_dirs_arg: str) -> None:
    pytester.makepyfile(
        """
        import re
        seen = {}

        def test_a(simarena_cluster, simarena_namespace):
            seen["cluster"] = simarena_cluster
            seen["ns"] = simarena_namespace.name
            # DNS-1123 label; "<prefix>-<namespace>" still fits in 63 characters.
            assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", simarena_namespace.name)
            assert len(simarena_namespace.virtual("default")) <= 63
            assert simarena_namespace.name.startswith("sa-master-test-a-")
            assert simarena_namespace.labels["app.kubernetes.io/managed-by"] == "pytest-simarena"

        def test_b(simarena_cluster, simarena_namespace):
            assert simarena_cluster is seen["cluster"]          # session scope
            assert simarena_namespace.name != seen["ns"]        # function scope
            assert simarena_cluster.name == "embedded"

        def test_very_long_name_is_still_a_label_padding_padding_padding_padding_padding(simarena_namespace):
            assert len(simarena_namespace.name) <= 40
        """
    )
    result = pytester.runpytest("-q", trace_dirs_arg)
    result.assert_outcomes(passed=3)


NAMESPACE_CLEANUP = """
import pytest
from pytest_simarena.trace import load_trace

state = {}

def test_start_something(simarena_cluster, simarena_namespace, simarena_trace):
    trace = simarena_trace("slightly-bad-cpu")
    simarena_cluster.start(trace, simarena_namespace.name)
    simarena_cluster.advance(60)
    assert simarena_cluster.observe(simarena_namespace.name).pods
    state["prefix"] = simarena_namespace.name

def test_after(simarena_cluster):
    left = simarena_cluster.observe(state["prefix"]).pods
    print("LEFT", len(left))
"""


@pytest.mark.parametrize(("flag", "left"), [(None, "LEFT 0"), ("--simarena-keep-namespaces", "LEFT 3")])
def test_namespace_cleaned_unless_kept(
    pytester: pytest.Pytester, trace_dirs_arg: str, flag: str | None, left: str
) -> None:
    pytester.makepyfile(NAMESPACE_CLEANUP)
    args = ["-q", "-s", "-p", "no:randomly", trace_dirs_arg, *([flag] if flag else [])]
    result = pytester.runpytest(*args)
    result.stdout.fnmatch_lines([f"*{left}*"])
    result.assert_outcomes(passed=2)


def test_trace_factory_copies(pytester: pytest.Pytester, trace_dirs_arg: str) -> None:
    pytester.makepyfile(
        """
        from pathlib import Path
        from pytest_simarena.trace import dump_trace
        from pytest_simarena.actions import Action, apply_action

        def test_edit_copy(simarena_trace, tmp_path):
            trace = simarena_trace("slightly-bad-cpu")
            assert Path(trace.path).parent.parent == tmp_path       # a per-test copy
            original = Path(trace.path).read_bytes()
            edited = apply_action(trace, Action("reduce_cpu", "web")).trace
            dump_trace(edited, trace.path)
            assert Path(trace.path).read_bytes() != original

        def test_original_untouched(simarena_trace):
            from tests_root import CANONICAL
            trace = simarena_trace("slightly-bad-cpu")
            assert Path(trace.path).read_bytes() == (CANONICAL / "slightly-bad-cpu.sktrace").read_bytes()

        def test_unknown_name(simarena_trace):
            import pytest
            from pytest_simarena.errors import TraceError
            with pytest.raises(TraceError, match="did you mean 'slightly-bad-cpu'"):
                simarena_trace("slightly-bad-cpuu")
        """
    )
    pytester.makepyfile(tests_root=f"from pathlib import Path\nCANONICAL = Path({str(CANONICAL)!r})\n")
    result = pytester.runpytest("-q", trace_dirs_arg)
    result.assert_outcomes(passed=3)


def test_episode_fixture_and_overridable_config(pytester: pytest.Pytester, trace_dirs_arg: str) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def simarena_steps():
            return 2   # a user's override of a config fixture
        """
    )
    pytester.makepyfile(
        """
        def test_heuristic(simarena_episode):
            result = simarena_episode("slightly-bad-cpu", "heuristic")
            assert result.max_steps == 2
            assert result.solved and result.final.ready == result.target == 3

        def test_noop(simarena_episode):
            result = simarena_episode("slightly-bad-cpu", "noop", steps=3)
            assert not result.solved and len(result.steps) == 3
            assert result.final.pending == 3
        """
    )
    result = pytester.runpytest("-q", trace_dirs_arg)
    result.assert_outcomes(passed=2)


def test_unreachable_real_cluster_skips_with_the_reason(
    pytester: pytest.Pytester, trace_dirs_arg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(pytester.path / "missing-kubeconfig"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "s.yaml").write_text(
        "scenarios:\n  - name: s\n    traces: [mixed]\n    policies: [vpa]\n"
    )
    pytester.makepyfile("def test_x(simarena_episode):\n    raise AssertionError('not reached')\n")
    result = pytester.runpytest("-rs", trace_dirs_arg, "--simarena-backend=kube")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED*simarena backend unavailable: *missing-kubeconfig*"])
