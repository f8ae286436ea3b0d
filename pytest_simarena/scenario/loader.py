"""Read a scenario YAML file into plain data, remembering the line of every value.

Errors are :class:`~pytest_simarena.errors.ScenarioError` with ``file:line: field: problem`` (tavern quotes
file and line the same way): YAML syntax, duplicate keys, and anything the JSON schema rejects.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
from collections.abc import Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_simarena.errors import ScenarioError

from .schema import SCHEMA_PATH, validator

FieldPath = tuple[str | int, ...]


@dataclass
class LoadedFile:
    """A parsed scenario file: its data and the 1-based line of every field path."""

    path: Path
    data: dict[str, Any]
    lines: dict[FieldPath, int] = field(default_factory=dict)
    schema_key: str = (
        ""  # what its schema check depends on (:func:`schema_key`); "" when not read by load_file
    )

    def line_of(self, path: FieldPath) -> int:
        """The line of ``path`` or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)

    def error(self, path: FieldPath, problem: str) -> ScenarioError:
        return scenario_error(self.path, self.line_of(path), path, problem)


def format_path(path: FieldPath) -> str:
    """``scenarios[0].expect.solved``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def scenario_error(file: Path | str, line: int, path: FieldPath, problem: str) -> ScenarioError:
    where = f"{file}:{line}"
    dotted = format_path(path)
    return ScenarioError(f"{where}: {dotted}: {problem}" if dotted else f"{where}: {problem}")


def _convert(node: yaml.Node, path: FieldPath, lines: dict[FieldPath, int], file: Path) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, file)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise scenario_error(file, key_node.start_mark.line + 1, (*path, key), "duplicate key")
            out[key] = _convert(value_node, (*path, key), lines, file)
            # A key's own line is better than its value's for block mappings/sequences on the next line.
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), lines, file) for i, item in enumerate(node.value)]
    return _scalar(node, file)


def _scalar(node: yaml.Node, file: Path) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise scenario_error(file, node.start_mark.line + 1, (), "a mapping or list cannot be used as a key")
    try:
        return _LOADER.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise scenario_error(file, node.start_mark.line + 1, (), f"bad value: {exc}") from None
    finally:
        _LOADER.constructed_objects.clear()


# Scalars are constructed one by one (so every value keeps its line); one loader serves them all.
_LOADER = yaml.SafeLoader("")


@functools.cache
def _fast_loader() -> Any:
    """libyaml's loader when PyYAML has it and the nodes it makes are this ``yaml``'s own, else None.

    The C extension is initialized once per process: when the ``yaml`` package is imported again (pytester's
    in-process runs drop the modules a run imported first), it still makes the first import's node classes,
    which are not the ones checked here; the Python parser serves then."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None:
        return None
    try:
        probe = yaml.compose("a: 1", Loader=fast)
    except Exception:  # (a stale extension raises the first import's error classes)
        return None
    return fast if isinstance(probe, yaml.MappingNode) else None


def _compose(text: str) -> list[Any]:
    """The YAML documents as nodes (with their lines): libyaml's parser when PyYAML has it, which is
    several times faster; a file it refuses is parsed again in Python, whose messages the errors quote."""
    fast = _fast_loader()
    if fast is not None:
        try:
            return list(yaml.compose_all(text, Loader=fast))
        except yaml.YAMLError:
            pass
    return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


def parse_yaml(text: str, path: Path) -> LoadedFile:
    """YAML text -> :class:`LoadedFile` (no schema check). One document per file."""
    try:
        docs = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise scenario_error(path, line, (), f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise scenario_error(path, 1, (), f"invalid YAML: {exc}") from None
    docs = [d for d in docs if d is not None]
    if not docs:
        raise scenario_error(path, 1, (), "empty file: a scenario file needs a 'scenarios:' list")
    if len(docs) > 1:
        raise scenario_error(
            path,
            docs[1].start_mark.line + 1,
            (),
            "more than one YAML document; put every scenario under one 'scenarios:' list",
        )
    lines: dict[FieldPath, int] = {}
    data = _convert(docs[0], (), lines, path)
    if not isinstance(data, dict):
        raise scenario_error(
            path, 1, (), f"the file must be a mapping with a 'scenarios:' list, not {type(data).__name__}"
        )
    return LoadedFile(path, data, lines)


def _unexpected_names(message: str) -> list[str]:
    # jsonschema: "Additional properties are not allowed ('sovled' was unexpected)"
    if "(" not in message or "unexpected" not in message:
        return []
    inner = message[message.index("(") + 1 : message.rindex(")")]
    inner = inner.replace(" were unexpected", "").replace(" was unexpected", "")
    return [part.strip().strip("'\"") for part in inner.split(",")]


def _unexpected_hint(message: str, allowed: list[str]) -> str:
    names = _unexpected_names(message)
    if not names:
        return message
    hints = []
    for name in names:
        close = difflib.get_close_matches(name, allowed, n=1)
        hints.append(f"unknown key {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return "; ".join(hints) + (f"; allowed: {', '.join(sorted(allowed))}" if allowed else "")


def _allowed_keys(schema_fragment: dict[str, Any]) -> list[str]:
    from .schema import SCHEMA

    keys: list[str] = list(schema_fragment.get("properties", {}))
    ref = schema_fragment.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        keys += list(SCHEMA["$defs"][ref.rsplit("/", 1)[-1]].get("properties", {}))
    return keys


def check_schema(loaded: LoadedFile) -> None:
    """Validate against ``scenario.schema.json``; raise the most relevant error with its line."""
    import jsonschema.exceptions

    errors = list(validator().iter_errors(loaded.data))
    if not errors:
        return
    best = jsonschema.exceptions.best_match(errors)
    # For oneOf failures, best_match picks a branch; its deepest context usually names the real field.
    while best.context:
        deeper = jsonschema.exceptions.best_match(best.context)
        if deeper is None or deeper is best:
            break
        best = deeper
    path: FieldPath = tuple(best.absolute_path)
    message = best.message
    if best.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(best.schema, dict):
        names = _unexpected_names(message)
        message = _unexpected_hint(message, _allowed_keys(best.schema))
        if names:
            # Point at the offending key's own line, not its parent's.
            return_line = loaded.line_of((*path, names[0]))
            raise scenario_error(loaded.path, return_line, path, message)
    elif best.validator == "required":
        message = message.replace("is a required property", "is required")
    if len(message) > 300:
        message = message[:297] + "..."
    raise loaded.error(path, message)


@functools.cache
def _schema_digest() -> bytes:
    return hashlib.sha256(SCHEMA_PATH.read_bytes()).digest()


def schema_key(text: str) -> str:
    """All a file's schema check depends on: the schema's bytes and the file's text (a sha256, hex)."""
    return hashlib.sha256(_schema_digest() + text.encode("utf-8")).hexdigest()


def load_file(path: Path | str, *, valid: Container[str] = ()) -> LoadedFile:
    """Read and schema-check a scenario file.

    ``valid``: :func:`schema_key` values of texts already found valid (the plugin remembers them in
    pytest's cache); such a file is parsed but not checked again, which spares the process importing
    jsonschema (~0.1 s, paid by a serial run and by every xdist worker) and validating (~3 ms a file).

    Raises:
        ScenarioError: unreadable file, bad YAML, or a schema violation, as ``file:line: field: problem``.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise scenario_error(p, 1, (), f"cannot read: {exc}") from None
    loaded = parse_yaml(text, p)
    loaded.schema_key = schema_key(text)
    if loaded.schema_key not in valid:
        check_schema(loaded)
    return loaded
