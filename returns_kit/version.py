"""The kit's version (the Parquet cache is rebuilt when it changes)."""

__version__ = "0.1.0"
