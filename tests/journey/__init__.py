"""journey tests."""
