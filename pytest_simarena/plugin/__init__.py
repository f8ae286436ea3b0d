"""The pytest plugin (entry point ``pytest11: simarena``); kept import-light."""
