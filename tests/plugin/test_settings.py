"""One settings table: --simarena-* > SIMARENA_* env > simarena_* ini > default; the source in the header."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_simarena.plugin.settings import SETTINGS, resolve_raw


def test_every_setting_has_option_ini_and_env() -> None:
    names = {s.name for s in SETTINGS}
    # The list: backend, kubeconfig, context, seed, steps, step duration, reward, trace folders,
    # keep namespaces, report folder.
    assert {
        "backend",
        "kubeconfig",
        "context",
        "seed",
        "max_steps",
        "step_seconds",
        "reward",
        "trace_dirs",
    } <= names
    assert {"keep_namespaces", "report_dir"} <= names
    seed = next(s for s in SETTINGS if s.name == "seed")
    assert (seed.option, seed.ini, seed.env) == ("--simarena-seed", "simarena_seed", "SIMARENA_SEED")


@pytest.mark.parametrize(
    ("cli", "env", "ini", "value", "source"),
    [
        (None, None, None, 0, "default"),
        (None, None, "5", 5, "ini"),
        (None, "7", "5", 7, "env"),
        ("9", "7", "5", 9, "cli"),
        ("9", None, None, 9, "cli"),
    ],
)
def test_precedence(cli: str | None, env: str | None, ini: str | None, value: int, source: str) -> None:
    resolved = resolve_raw(
        {"seed": cli}, {"SIMARENA_SEED": env} if env else {}, {"seed": ini}, rootpath=Path.cwd()
    )
    assert resolved.seed == value
    assert resolved.sources["seed"] == source


def test_bad_values_name_the_option_and_the_source() -> None:
    with pytest.raises(
        ValueError, match=r"setting seed \(SIMARENA_SEED, from env\): 'x' is not a whole number"
    ):
        resolve_raw({}, {"SIMARENA_SEED": "x"}, {}, rootpath=Path.cwd())
    with pytest.raises(ValueError, match=r"'kubee' is not known \(did you mean 'kube'\?\)"):
        resolve_raw({"backend": "kubee"}, {}, {}, rootpath=Path.cwd())
    with pytest.raises(ValueError, match=r"'maybe' is not a boolean"):
        resolve_raw({}, {}, {"keep_namespaces": "maybe"}, rootpath=Path.cwd())
    with pytest.raises(ValueError, match=r"not a duration"):
        resolve_raw({"step_seconds": "2 minutes"}, {}, {}, rootpath=Path.cwd())
    assert resolve_raw({"step_seconds": "2m"}, {}, {}, rootpath=Path.cwd()).step_seconds == 120.0


def test_older_names_still_resolve_and_are_reported_by_their_spelling() -> None:
    resolved = resolve_raw({"steps": "4"}, {"SIMARENA_STEP_DURATION": "1m"}, {}, rootpath=Path.cwd())
    assert (resolved.max_steps, resolved.step_seconds) == (4, 60.0)
    assert resolved.sources["max_steps"] == "cli" and resolved.sources["step_seconds"] == "env"
    with pytest.raises(
        ValueError, match=r"setting max_steps \(simarena_steps, from ini\): expected at least 1"
    ):
        resolve_raw({}, {}, {"steps": "0"}, rootpath=Path.cwd())


def test_header_shows_each_source(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeini("[pytest]\nsimarena_reward = shaped\nsimarena_max_steps = 4\n")
    monkeypatch.setenv("SIMARENA_MAX_STEPS", "6")
    monkeypatch.setenv("SIMARENA_SEED", "3")
    pytester.makepyfile(
        """
        def test_values(simarena_settings, simarena_seed, simarena_max_steps, simarena_reward):
            assert (simarena_seed, simarena_max_steps, simarena_reward) == (11, 6, "shaped")
            assert simarena_settings.sources["backend"] == "default"
        """
    )
    result = pytester.runpytest("--simarena-seed=11", "--simarena-keep-namespaces")
    result.stdout.fnmatch_lines(
        [
            "simarena: reward=shaped (from ini), max_steps=6 (from env),*seed=11 (from cli), "
            "backend=embedded (from default),*keep_namespaces=true (from cli)*"
        ]
    )
    result.assert_outcomes(passed=1)


def test_bad_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--simarena-max-steps=0")
    result.stderr.fnmatch_lines(["*setting max_steps (--simarena-max-steps, from cli): expected at least 1*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["--simarena-reward=foo"],
            {},
            "ERROR: setting reward (--simarena-reward, from cli): unknown reward 'foo'.*",
        ),
        (
            [],
            {"SIMARENA_REWARD": "binry"},
            "*(SIMARENA_REWARD, from env): unknown reward 'binry'. Did you mean 'binary'?*",
        ),
        (["--simarena-backend=kub"], {}, "*'kub' is not known (did you mean 'kube'?)*"),
    ],
)
def test_an_unknown_name_is_one_usage_error_before_collection(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    pytester.makepyfile(
        test_a="def test_x(): pass", conftest="def pytest_collect_file(): raise SystemExit(99)"
    )
    result = pytester.runpytest(*args)
    assert (
        result.ret == pytest.ExitCode.USAGE_ERROR
    )  # 4, and nothing was collected (the conftest hook exits 99)
    result.stderr.fnmatch_lines([message])
    assert len([ln for ln in result.stderr.lines if ln.strip()]) == 1, result.stderr.lines
    assert "collected" not in result.stdout.str()
