"""Row-level security for Databricks system tables."""

__version__ = "0.1.0"
