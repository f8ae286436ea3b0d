"""The trace layer: SimKube v2 traces as plain data, their I/O, validation, edits and generator."""
