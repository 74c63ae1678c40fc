"""The one seam for SQL execution: business code talks to :class:`SqlBackend`, never to Spark directly."""

from rls.sql.backend import SqlBackend, Statement
from rls.sql.quoting import quote_identifier, quote_name, quote_string

__all__ = ["SqlBackend", "Statement", "quote_identifier", "quote_name", "quote_string"]
