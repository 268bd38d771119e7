"""The ``sapiens2`` command line."""
