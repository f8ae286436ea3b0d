"""``simarena run --mode live`` and ``--policy llm``: the live episode from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_simarena.cli import main


def test_run_live_solves_and_replay_reproduces_the_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    code = main(["run", "mixed", "--mode", "live", "--max-steps", "3", "--out", str(out), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["solved"] is True and doc["stepsToSolve"] == 2
    assert doc["finalTrace"] == str(out / "export.sktrace")
    assert json.loads((out / "episode.json").read_text())["options"]["mode"] == "live"
    assert main(["replay", str(out)]) == 0
    assert "reproduced: live session" in capsys.readouterr().out


def test_run_llm_without_a_model_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "mixed", "--policy", "llm", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        "simarena: error: llm policy: no model name: set the llm_model setting "
        "(--llm-model, --simarena-llm-model or SIMARENA_LLM_MODEL)"
    ]


def test_bad_mode_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "mixed", "--mode", "fast"])
    assert exc.value.code == 2
    assert "replay, live" in capsys.readouterr().err
