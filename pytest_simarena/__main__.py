"""``python -m pytest_simarena`` runs the ``simarena`` command."""

import sys

from .cli import main

sys.exit(main())
