"""What a generated view says about itself: the comment at the top of its text (who sees which rows, and why the
workspace test has its shape) and its one-sentence ``COMMENT``. Text only: no name a reader controls ends a comment."""

from __future__ import annotations

import textwrap

from rls.publish.selfservice import ID_BUCKETS

_WIDTH = 100


def header(source: str, says: list[str], generator: str) -> str:
    """A block comment (the view's text stays one statement however a tool rewraps it) naming, for each way a row is
    shown (``says``: one clause per branch of the filter), who sees it."""
    ways = [f"- {s}{'; or' if i < len(says) - 1 else '.'}" for i, s in enumerate(says)]
    lines = [f"rls view over {source} (generator {generator}). A row is shown when:"]
    lines += [textwrap.fill(w, _WIDTH, subsequent_indent="  ") for w in ways]
    lines += [
        textwrap.fill(
            f"The workspace test reads the reader's workspaces once, as a hash set of {ID_BUCKETS} buckets tested"
            " inside the scan: measured against a semi-join and a flat list on open-source Spark (the project's"
            " BENCHMARKS.md, section 1), not on Photon. Kept by rls: change its configuration, not this view.",
            _WIDTH,
        )
    ]
    text = "\n".join(lines).replace("\n", "\n   ")
    return "/* " + text.replace("*/", "* /") + " */\n"


def comment(source: str, caused: bool = False) -> str:
    """The view's ``COMMENT``: one sentence (``caused``: the ``self`` level, which also shows the reader's own rows)."""
    own = ", and those the reader caused where the reader is assigned" if caused else ""
    kept = "kept by rls (change its configuration, not this view)"
    return f"Rows of {source} whose workspace the reader administers{own}, {kept}."
