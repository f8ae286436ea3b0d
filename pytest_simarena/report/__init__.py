"""Report helpers shared by the pytest plugin and the CLI (charts)."""
