"""Not one verdict changed: today's outputs against the recorded goldens (``golden_kit.py`` regenerates).

A failure lists each trace / case / fidelity row whose output changed (event logs by line range) and the
text diff of the readable files. A deliberate change (a fidelity fix) regenerates the goldens with
``.venv/bin/python tests/golden/golden_kit.py`` and says why, with its Kubernetes source, in the commit.
"""

from __future__ import annotations

import pytest
from golden_kit import SECTIONS, differences, load_golden, readable_diff

REGENERATE = "regenerate with: .venv/bin/python tests/golden/golden_kit.py (only for a deliberate change)"


@pytest.mark.parametrize("section", list(SECTIONS))
def test_outputs_match_the_goldens(section: str) -> None:
    expected = load_golden()[section]
    actual, texts = SECTIONS[section]()
    problems = differences(section, expected, actual)
    diff = readable_diff(texts)
    assert not problems and not diff, "\n".join([*problems[:40], *diff, REGENERATE])
