"""Process exit codes of every `rls` command (documented in the README)."""

OK = 0
ERROR = 1  # could not run: bad config, auth, unreachable API, malformed answer on an account-wide call
USAGE = 2  # wrong command-line arguments
# some workspaces (or views, or the share for other regions) failed; the rest was published, failed ones kept their
# previous rows
PARTIAL = 3
REFUSED = 4  # circuit breaker: the admin count dropped too far; nothing published (use --force to override)
UNRESTORED = 5  # an elevation could not be undone; the ledger keeps it and the next run repairs it
CHECK_FAILED = 6  # `rls verify` found a failing check
BUSY = 7  # another collector holds the elevation ledger's lease: this run did nothing (collect.on_lease_held)
