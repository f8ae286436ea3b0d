"""Root conftest: lets pytest find the shared traces (``../shared/traces``) from any test."""
