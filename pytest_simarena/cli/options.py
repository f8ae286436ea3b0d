"""``simarena`` flags derived from the settings table (:mod:`pytest_simarena.settings`).

A command offers the rows of its face in one call, ``add_settings(parser, "run")``, and reads them back
as value objects with :func:`episode_settings` / :func:`cluster_settings`. Flags are checked while the
command line is parsed, so a bad value is a usage error before anything runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import Any

from pytest_simarena import settings as table
from pytest_simarena.settings import ClusterSettings, EpisodeSettings, Setting

_FACE = "_simarena_face"


def arg_type(row: Setting) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return row.from_text(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = row.name  # argparse names the type in some messages
    return parse


def add_settings(
    parser: argparse.ArgumentParser,
    face: str,
    *,
    multiple: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> None:
    """Add a flag for every row ``face`` offers (see ``settings.FACES``), grouped as the docs group them.

    ``multiple`` names rows that take one or more values (``batch --policy a b``).
    """
    many = set(multiple)
    skip = set(exclude)
    groups: dict[str, argparse._ArgumentGroup] = {}
    for row in table.face_rows(face):
        if row.name in skip:
            continue
        if row.group not in groups:
            groups[row.group] = parser.add_argument_group(f"{row.group} settings")
        group = groups[row.group]
        shown = row.shown_default if row.name not in many else f"{row.shown_default}"
        help_text = f"{row.help} (default {shown})"
        kwargs: dict[str, Any]
        if row.type is bool:
            kwargs = {"action": argparse.BooleanOptionalAction}
        else:
            kwargs = {"type": arg_type(row), "metavar": row.metavar or row.name.upper()}
            if row.name in many:
                kwargs["nargs"] = "+"
        group.add_argument(row.flag, dest=row.name, default=None, help=help_text, **kwargs)
        for alias in row.aliases:
            # Older spellings keep working, unlisted (one name per setting in --help and the docs).
            flag = "--" + alias.replace("_", "-")
            group.add_argument(
                flag, dest=row.name, default=argparse.SUPPRESS, help=argparse.SUPPRESS, **kwargs
            )
    parser.set_defaults(**{_FACE: face})


def setting_values(args: argparse.Namespace) -> dict[str, Any]:
    """Setting name -> value for every row of the command's face: the flag's value or the row's default."""
    face = getattr(args, _FACE)
    values: dict[str, Any] = {}
    for row in table.face_rows(face):
        value = getattr(args, row.name, None)
        values[row.name] = row.default if value is None else value
    return values


def cluster_settings(args: argparse.Namespace) -> ClusterSettings:
    """The cluster the command's flags describe (a usage mistake raises SettingError naming the flag)."""
    return ClusterSettings.from_values(setting_values(args))


def episode_settings(args: argparse.Namespace, **extra: Any) -> EpisodeSettings:
    """The episode settings the command's flags give; ``extra`` sets fields the flags do not have."""
    return EpisodeSettings.from_values(setting_values(args), **extra)
