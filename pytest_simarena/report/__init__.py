"""Reports of scenario runs, no pytest: results files (``results``), the HTML blocks (``html``), the
comparison charts (``summary``) and the per-episode pod timeline (``timeline``), drawn as inline SVG."""
