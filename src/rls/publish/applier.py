"""One view brought to its configured state: body, grants and fingerprints, then the owner (see :mod:`.publisher`).

:class:`Applier` decides the statements from what exists (:mod:`.state`) and runs them; ``rls publish --dry-run``
(:mod:`.dryrun`) asks the same object what it would run, so the plan cannot drift from a real publish.
"""

from __future__ import annotations

import logging
import time

from rls.config import RlsConfig
from rls.publish.plan import body_matches
from rls.publish.report import Status, ViewResult, first_line
from rls.publish.selfservice import INVOKER
from rls.publish.state import ExistingView
from rls.publish.viewsql import FINGERPRINT_PROPERTY, GRANTS_PROPERTY, ViewDefinition, grants_fingerprint
from rls.sql.backend import SqlBackend

logger = logging.getLogger(__name__)


def job_identity(backend: SqlBackend) -> str:
    """Who the job runs as: what ``session_user()`` returns in its session (an SP's application id), the same
    function the views compare with (:data:`rls.publish.selfservice.INVOKER`)."""
    return str(backend.fetch(f"SELECT {INVOKER} AS u")[0]["u"])


class Applier:
    """Runs the statements of one view; shared, read-only settings live here so worker threads need no globals."""

    def __init__(self, backend: SqlBackend, cfg: RlsConfig, identity: str) -> None:
        self.backend = backend
        self.identity = identity
        self.owner = cfg.publish.owner or identity
        self.grants = sorted(set(cfg.publish.grant_select_to))
        self.grants_fp = grants_fingerprint(self.grants)

    def body_changed(self, d: ViewDefinition, existing: ExistingView | None) -> bool:
        return existing is not None and body_matches(self.backend, d.query, existing.text) is False

    def statements(self, d: ViewDefinition, existing: ExistingView | None) -> list[str]:
        """The statements that bring ``d``'s body, grants and properties from ``existing`` to its configured state,
        in order ([] = unchanged). The owner is :meth:`owner_statement`'s."""
        def_changed = existing is None or existing.fingerprint != d.fingerprint or self.body_changed(d, existing)
        grants_changed = existing is None or existing.grants_fingerprint != self.grants_fp
        if not def_changed and not grants_changed:
            return []
        out: list[str] = []
        props: dict[str, str] = {}
        if existing is None:
            # with no grants to run, the grants fingerprint can go in with the CREATE (one statement less)
            out.append(d.create_sql({} if self.grants else {GRANTS_PROPERTY: self.grants_fp}))
            if self.grants:
                props[GRANTS_PROPERTY] = self.grants_fp
        else:
            if def_changed:
                out.append(d.alter_sql())
                if existing.fingerprint != d.fingerprint:
                    props[FINGERPRINT_PROPERTY] = d.fingerprint
            if grants_changed:
                props[GRANTS_PROPERTY] = self.grants_fp
        if grants_changed:  # GRANT is idempotent: re-granting an existing grant is a no-op
            out += [d.grant_sql(principal) for principal in self.grants]
        # Fingerprints after the body and the grants: if one of those fails, the old fingerprint stays and the next
        # run retries.
        if props:
            out.append(d.set_properties_sql(props))
        return out

    def current_owner(self, existing: ExistingView | None) -> str | None:
        return self.identity if existing is None else existing.owner

    def owner_statement(self, d: ViewDefinition, existing: ExistingView | None) -> str | None:
        """``OWNER TO`` only when the view's owner is known to differ (the creator owns a new view), or is unknown
        while the intended owner is not the job's own identity."""
        current = self.current_owner(existing)
        if current is not None and current.lower() == self.owner.lower():
            return None
        if current is None and self.owner.lower() == self.identity.lower():
            return None
        return d.owner_sql(self.owner)

    def apply(self, d: ViewDefinition, existing: ExistingView | None) -> ViewResult:
        start = time.perf_counter()
        done = 0

        def result(status: Status, reason: str | None = None, owner_note: str | None = None) -> ViewResult:
            return ViewResult(d.source.key, d.display, status, reason, time.perf_counter() - start, done, owner_note)

        if existing is not None and not existing.is_view:
            return result("failed", "a table (not a view) has this name: left alone")
        try:
            sqls = self.statements(d, existing)
            for sql in sqls:
                done += 1
                self.backend.execute(sql)
        except Exception as e:  # one view's failure is reported, never raised: the others go on
            logger.warning("view %s failed: %s", d.display, first_line(e))
            return result("failed", first_line(e))
        reasons = self.reasons(d, existing) if sqls else []
        owner_note = None
        owner_sql = self.owner_statement(d, existing)
        if owner_sql is not None:
            # Owner last: handing the view to another principal may take away our right to alter or grant.
            done += 1
            try:
                if self.backend.execute(owner_sql).applied and existing is not None:
                    reasons.append(f"owner was {self.current_owner(existing) or 'unknown'}")
            except Exception as e:  # the body is as generated: only the ownership is not what was configured
                owner_note = (
                    f"owner stays {self.current_owner(existing) or 'unknown'}: OWNER TO {self.owner} refused"
                    f" ({first_line(e)}); needs metastore admin unless the new owner is {self.identity} or a group"
                    " it belongs to"
                )
                logger.warning("view %s: %s", d.display, owner_note)
        if existing is None:
            return result("created", None, owner_note)
        if not reasons:
            return result("unchanged", None, owner_note)
        return result("altered", "; ".join(reasons), owner_note)

    def reasons(self, d: ViewDefinition, existing: ExistingView | None) -> list[str]:
        """Why ``existing`` is altered (what a publish reports, and what a dry run shows)."""
        if existing is None:
            return []
        reasons = []
        if existing.fingerprint != d.fingerprint:
            reasons.append(
                "definition changed" if existing.fingerprint else "adopted a view without an rls fingerprint"
            )
        elif self.body_changed(d, existing):
            reasons.append("body differed from the generated SQL (changed outside rls): restored")
        if existing.grants_fingerprint != self.grants_fp:
            reasons.append("grants changed")
        return reasons
