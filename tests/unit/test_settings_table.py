"""The one settings table: value objects, checks, docs and every face derived from the same rows."""

from __future__ import annotations

import argparse
import dataclasses
import pickle
from pathlib import Path

import pytest

from pytest_simarena import settings as table
from pytest_simarena.cli import build_parser
from pytest_simarena.cli.options import add_settings, episode_settings
from pytest_simarena.settings import SETTINGS, ClusterSettings, EpisodeSettings, SettingError

ROOT = Path(__file__).resolve().parents[2]


def test_the_docs_table_is_generated_from_the_rows() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    generated = doc.split(table.START_MARK, 1)[1].split(table.END_MARK, 1)[0]
    assert generated.strip() == table.markdown_table().strip(), (
        "docs/settings.md is stale: run python -m pytest_simarena.settings docs/settings.md"
    )


@pytest.mark.parametrize("row", SETTINGS, ids=lambda r: r.name)
def test_every_default_passes_its_own_checks(row: table.Setting) -> None:
    if row.default is None:
        assert row.optional
        return
    for check in row.checks:  # Setting.check skips them for the default, so they are run here
        check(row.default)


def test_value_objects_take_defaults_from_the_rows() -> None:
    episode, cluster = EpisodeSettings(), ClusterSettings()
    for row in SETTINGS:
        holder = episode if row.group == "episode" else cluster if row.group in ("cluster", "kube") else None
        if holder is not None:
            assert getattr(holder, row.field) == row.default, row.name
    rows = {r.field for r in EpisodeSettings.rows()}
    objects = {"cluster", "safeguards", "policy_options"}  # not text settings: only the Python API sets them
    assert {f.name for f in dataclasses.fields(EpisodeSettings)} == rows | objects


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_steps": 0}, "max_steps=0: expected at least 1"),
        ({"max_steps": "3"}, "max_steps='3': expected a whole number, got str"),
        ({"step_seconds": -1}, "step_seconds=-1: expected more than 0"),
        ({"hold": True}, "hold=True: expected a whole number, got bool"),
        ({"reward": "binry"}, "reward='binry': unknown reward 'binry'. Did you mean 'binary'?"),
        ({"policy": "heuristc"}, "policy='heuristc': unknown policy 'heuristc'. Did you mean 'heuristic'?"),
        ({"policy": "nosuchmodule:P"}, "cannot import module 'nosuchmodule'"),
        ({"backend": "kub"}, "backend='kub': 'kub' is not known (did you mean 'kube'?)"),
        ({"target": -1}, "target=-1: expected at least 0"),
    ],
)
def test_bad_python_values_name_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SettingError) as info:
        EpisodeSettings(**kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_cluster_settings() -> None:
    assert ClusterSettings().is_default and ClusterSettings().uniform() is None
    assert ClusterSettings(node_memory="64Gi").uniform() == {
        "nodes": 3,
        "cpu": "16",
        "memory": "64Gi",
        "pods": 110,
    }
    with pytest.raises(SettingError, match="node_cpu='lots': "):
        ClusterSettings(node_cpu="lots")
    with pytest.raises(SettingError, match="a cluster file cannot be combined with --nodes"):
        ClusterSettings(file="c.yaml", nodes=2)
    assert ClusterSettings(file="c.yaml").backend_options("embedded") == {"cluster": "c.yaml"}
    intended = {"nodes": 2, "cpu": "8", "memory": "8Gi", "pods": 110}
    assert ClusterSettings().backend_options("embedded", intended=intended) == {"uniform": intended}
    assert ClusterSettings(context="kind").backend_options("kube") == {"context": "kind", "mode": "simkube"}


def test_settings_replace_and_pickle() -> None:
    base = EpisodeSettings(max_steps=3, cluster=ClusterSettings(nodes=2))
    assert base.replace(seed=4).seed == 4 and base.replace(seed=4).max_steps == 3
    with pytest.raises(SettingError):
        base.replace(hold=0)
    assert pickle.loads(pickle.dumps(base)) == base  # batch ships settings to worker processes
    assert base.to_json()["max_steps"] == 3 and base.to_json()["nodes"] == 2


def test_a_face_is_one_call_and_reads_back_a_value_object() -> None:
    parser = argparse.ArgumentParser()
    add_settings(parser, "run")
    settings = episode_settings(
        parser.parse_args(["--max-steps", "4", "--node-cpu", "8", "--step-seconds", "2m"])
    )
    assert (settings.max_steps, settings.step_seconds, settings.cluster.node_cpu) == (4, 120.0, "8")
    assert episode_settings(parser.parse_args([])) == EpisodeSettings()


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        build_parser().parse_args(argv)
    return " ".join(capsys.readouterr().out.split())


def test_run_help_shows_every_row_with_the_tables_default(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(["run", "--help"], capsys)
    for row in table.face_rows("run"):
        assert f"{row.flag} " in text, row.name
        assert f"(default {row.shown_default})" in " ".join(text.split()), row.name
    assert "--steps" not in text.replace("--max-steps", "")  # older spellings work but are not listed


def test_plugin_help_shows_the_same_defaults(pytester: pytest.Pytester) -> None:
    text = " ".join(pytester.runpytest("--help").stdout.str().split())
    for row in table.face_rows("plugin"):
        assert row.option in text, row.name
        assert f"default {row.shown_default})" in text, row.name
    assert "--simarena-steps" not in text and "--simarena-step-duration" not in text  # older names: unlisted


@pytest.mark.parametrize("row", SETTINGS, ids=lambda r: r.name)
def test_every_help_text_is_in_the_house_style(row: table.Setting) -> None:
    # xdist's rule, as the CLI's parser applies it: capitalised; a single phrase has no period.
    assert row.help[:1].isupper(), row.help
    assert not (row.help.endswith(".") and not row.help.endswith("...")), row.help
    assert row.group in table.GROUPS


def test_the_default_node_is_the_default_clusters_node() -> None:
    from pytest_simarena.backends.embedded import ClusterSpec

    d = table.DEFAULT_NODES
    assert ClusterSpec.uniform(d["nodes"], d["cpu"], d["memory"], d["pods"]) == ClusterSpec.default()
