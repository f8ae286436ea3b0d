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
        "steps",
        "step_duration",
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
        ValueError, match=r"simarena setting seed \(SIMARENA_SEED, from env\): 'x' is not an integer"
    ):
        resolve_raw({}, {"SIMARENA_SEED": "x"}, {}, rootpath=Path.cwd())
    with pytest.raises(ValueError, match=r"'kubee' is not a backend \(did you mean 'kube'\?\)"):
        resolve_raw({"backend": "kubee"}, {}, {}, rootpath=Path.cwd())
    with pytest.raises(ValueError, match=r"'maybe' is not a boolean"):
        resolve_raw({}, {}, {"keep_namespaces": "maybe"}, rootpath=Path.cwd())
    with pytest.raises(ValueError, match=r"not a duration"):
        resolve_raw({"step_duration": "2 minutes"}, {}, {}, rootpath=Path.cwd())
    assert resolve_raw({"step_duration": "2m"}, {}, {}, rootpath=Path.cwd()).step_duration == 120.0


def test_header_shows_each_source(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeini("[pytest]\nsimarena_reward = shaped\nsimarena_steps = 4\n")
    monkeypatch.setenv("SIMARENA_STEPS", "6")
    monkeypatch.setenv("SIMARENA_SEED", "3")
    pytester.makepyfile(
        """
        def test_values(simarena_settings, simarena_seed, simarena_steps, simarena_reward):
            assert (simarena_seed, simarena_steps, simarena_reward) == (11, 6, "shaped")
            assert simarena_settings.sources["backend"] == "default"
        """
    )
    result = pytester.runpytest("--simarena-seed=11", "--simarena-keep-namespaces")
    result.stdout.fnmatch_lines(
        [
            "simarena: backend=embedded (from default),*seed=11 (from cli), steps=6 (from env),"
            "*reward=shaped (from ini),*keep_namespaces=True (from cli)*"
        ]
    )
    result.assert_outcomes(passed=1)


def test_bad_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--simarena-steps=0")
    result.stderr.fnmatch_lines(
        ["*simarena setting steps (--simarena-steps, from cli): '0' must be a positive integer*"]
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
