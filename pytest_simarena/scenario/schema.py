"""The published JSON schema of scenario files (``scenario.schema.json`` beside this module)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("scenario.schema.json")
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))

# Keys of the ``expect`` block, in the order failures are reported.
EXPECT_KEYS: tuple[str, ...] = tuple(SCHEMA["$defs"]["expect"]["properties"])
FINAL_KEYS: tuple[str, ...] = tuple(SCHEMA["$defs"]["expect"]["properties"]["final"]["properties"])
SCENARIO_KEYS: tuple[str, ...] = ("name", *SCHEMA["$defs"]["settings"]["properties"])


@functools.cache
def validator() -> Any:
    """A Draft 2020-12 validator for the schema (jsonschema imported on first use).

    The schema itself is checked against its meta-schema by the tests, not in every process that
    collects scenario files (that costs more than validating all of a suite's files).
    """
    import jsonschema

    return jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
