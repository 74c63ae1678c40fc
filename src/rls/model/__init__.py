"""Pure model: account directory, group flattening and effective access. No I/O here."""
