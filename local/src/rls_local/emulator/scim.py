"""SCIM 2.0 pieces shared by the account and workspace endpoints: filters, attribute projection, list pages.

Filters follow RFC 7644 §3.4.2.2 for what clients of this API send: ``attr op value`` with ``eq ne co sw ew``,
``attr pr``, ``and`` / ``or`` / ``not (...)`` and parentheses. String comparisons ignore case, as Databricks does for
``userName`` and ``displayName``. Anything else is a 400 ``invalidFilter``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from rls_local.emulator.protocol import ApiError, Request, ScimError

LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
SERVICE_PRINCIPAL_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"

Resource = dict[str, Any]
Predicate = Callable[[Resource], bool]

_TOKEN = re.compile(r'\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()]+)')
_OPS = {"eq", "ne", "co", "sw", "ew"}


def parse_filter(text: str | None) -> Predicate:
    if not text or not text.strip():
        return lambda _r: True
    tokens = _tokenize(text)
    parser = _FilterParser(tokens, text)
    pred = parser.expression()
    if parser.pos != len(tokens):
        raise _invalid(text, f"unexpected {tokens[parser.pos]!r}")
    return pred


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos:].strip():
                raise _invalid(text, "unbalanced quotes")
            break
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


def _invalid(text: str, why: str) -> ScimError:
    return ScimError(400, f"Invalid filter {text!r}: {why}", "invalidFilter")


class _FilterParser:
    """Recursive descent: or-expression of and-expressions of (not) terms; ``and`` binds tighter."""

    def __init__(self, tokens: list[str], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.pos = 0

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _next(self) -> str:
        tok = self._peek()
        if tok is None:
            raise _invalid(self.text, "unexpected end")
        self.pos += 1
        return tok

    def expression(self) -> Predicate:
        terms = [self._conjunction()]
        while (self._peek() or "").lower() == "or":
            self.pos += 1
            terms.append(self._conjunction())
        return terms[0] if len(terms) == 1 else (lambda r: any(t(r) for t in terms))

    def _conjunction(self) -> Predicate:
        terms = [self._term()]
        while (self._peek() or "").lower() == "and":
            self.pos += 1
            terms.append(self._term())
        return terms[0] if len(terms) == 1 else (lambda r: all(t(r) for t in terms))

    def _term(self) -> Predicate:
        tok = self._next()
        if tok.lower() == "not":
            inner = self._term()
            return lambda r: not inner(r)
        if tok == "(":
            inner = self.expression()
            if self._next() != ")":
                raise _invalid(self.text, "missing ')'")
            return inner
        attr = tok
        op = self._next().lower()
        if op == "pr":
            return lambda r: any(v not in (None, "", []) for v in attribute_values(r, attr))
        if op not in _OPS:
            raise _invalid(self.text, f"unsupported operator {op!r}")
        value = _literal(self._next(), self.text)
        return lambda r: any(_compare(op, v, value) for v in attribute_values(r, attr))


def _literal(tok: str, text: str) -> Any:
    try:
        return json.loads(tok)
    except json.JSONDecodeError:
        raise _invalid(text, f"bad value {tok!r}") from None


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        a, e = actual.lower(), expected.lower()
        return {"eq": a == e, "ne": a != e, "co": e in a, "sw": a.startswith(e), "ew": a.endswith(e)}[op]
    if op == "eq":
        return actual == expected
    if op == "ne":
        return actual != expected
    return False


def _get_ci(obj: dict[str, Any], key: str) -> Any:
    for k, v in obj.items():
        if k.lower() == key.lower():
            return v
    return None


def attribute_values(resource: Resource, attr: str) -> list[Any]:
    """Values of a (possibly dotted, multi-valued) attribute, case-insensitively: ``emails.value``."""
    values: list[Any] = [resource]
    for part in attr.split("."):
        nxt: list[Any] = []
        for v in values:
            if isinstance(v, dict):
                got = _get_ci(v, part)
                nxt.extend(got if isinstance(got, list) else [got])
            elif isinstance(v, list):
                nxt.extend(_get_ci(x, part) for x in v if isinstance(x, dict))
        values = nxt
    return values


def project(resource: Resource, attributes: str | None, excluded: str | None) -> Resource:
    """Apply ``attributes`` / ``excludedAttributes`` (top-level names, case-insensitive); ``id`` always stays."""
    out = resource
    if attributes:
        wanted = {a.strip().split(".")[0].lower() for a in attributes.split(",") if a.strip()} | {"id", "schemas"}
        out = {k: v for k, v in out.items() if k.lower() in wanted}
    if excluded:
        dropped = {a.strip().split(".")[0].lower() for a in excluded.split(",") if a.strip()} - {"id"}
        out = {k: v for k, v in out.items() if k.lower() not in dropped}
    return out


def list_page(req: Request, resources: list[Resource], page_size: int) -> dict[str, Any]:
    """One SCIM ListResponse page: filter, then ``startIndex`` (1-based) and ``count`` clamped to ``page_size``."""
    pred = parse_filter(req.query.get("filter"))
    matching = [r for r in resources if pred(r)]
    try:
        start = max(1, req.int_query("startIndex") or 1)
        count = req.int_query("count")
    except ApiError:
        raise ScimError(400, "startIndex and count must be integers", "invalidValue") from None
    count = page_size if count is None else max(0, min(count, page_size))
    page = matching[start - 1 : start - 1 + count]
    attrs, excluded = req.query.get("attributes"), req.query.get("excludedAttributes")
    body: dict[str, Any] = {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": len(matching),
        "startIndex": start,
        "itemsPerPage": len(page),
    }
    # Past the end Databricks leaves "Resources" out entirely; the SDK stops paging on that.
    if page:
        body["Resources"] = [project(r, attrs, excluded) for r in page]
    return body


def member(value: str, display: str, kind: str) -> dict[str, str]:
    """A group member reference; ``kind`` is the SCIM resource type path: Users, Groups or ServicePrincipals."""
    return {"value": value, "display": display, "$ref": f"{kind}/{value}"}


SCIM_KIND = {"user": "Users", "group": "Groups", "service_principal": "ServicePrincipals"}
