"""Traces by name: the project's folders first, then the packaged traces; one did-you-mean line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_simarena.cli import main
from pytest_simarena.errors import TraceError
from pytest_simarena.trace.catalog import find_trace, names, packaged_dirs, project_dirs, search_dirs


def test_canonical_and_generated_traces_ship_in_the_package() -> None:
    canonical, generated, extra = packaged_dirs()
    assert "pytest_simarena" in canonical.parts and canonical.is_dir() and generated.is_dir()
    assert {"slightly-bad-cpu", "very-bad-cpu", "very-bad-memory", "mixed"} <= set(names([canonical]))
    assert len(names([generated])) == 100
    # Families added later (issue 15) ship beside them, outside the 100-trace default cycle.
    assert {"priority-preemption-000", "quota-bound-000", "limitrange-bound-000"} <= set(names([extra]))


def test_a_name_resolves_to_the_packaged_trace_outside_a_project(tmp_path: Path) -> None:
    found = find_trace("slightly-bad-cpu", root=tmp_path)
    assert found.parent == packaged_dirs()[0] and found.name == "slightly-bad-cpu.sktrace"


def test_the_projects_trace_wins_over_the_packaged_one(tmp_path: Path) -> None:
    own = tmp_path / "traces" / "slightly-bad-cpu.sktrace"
    own.parent.mkdir()
    shutil.copy(packaged_dirs()[0] / "very-bad-cpu.sktrace", own)
    assert find_trace("slightly-bad-cpu", root=tmp_path) == own
    assert search_dirs(project_dirs(tmp_path))[-3:] == packaged_dirs()


def test_an_existing_path_is_taken_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "mixed"  # a file named like a packaged trace, without a suffix
    shutil.copy(packaged_dirs()[0] / "very-bad-cpu.sktrace", path)
    assert find_trace(str(path)) == path


def test_an_unknown_name_is_one_line_with_close_names(tmp_path: Path) -> None:
    with pytest.raises(TraceError) as info:
        find_trace("slighty-bad-cpu", root=tmp_path)
    message = str(info.value)
    assert "did you mean 'slightly-bad-cpu'" in message and "\n" not in message


def test_simarena_run_takes_a_trace_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no traces/ here: the packaged trace is used
    assert main(["run", "slightly-bad-cpu", "--out", str(tmp_path / "run")]) == 0
    assert "solved in 1 step(s)" in capsys.readouterr().out
    assert main(["run", "slighty-bad-cpu", "--out", str(tmp_path / "run2")]) == 2
    err = capsys.readouterr().err
    assert err.count("did you mean 'slightly-bad-cpu'") == 1 and len(err.strip().splitlines()) == 1
