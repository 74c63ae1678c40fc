"""What a statement is, from Spark's own parser (nothing runs): the kind of its root, the nodes of its plan, and the
name it is about, read from the plan's objects (never from its printed text, which a string literal can imitate).

Used by :mod:`.authorize` to decide who may run a statement before Spark runs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Spark's file data sources: `<format>.`<path>`` reads the path (Spark ResolveSQLOnFile); Databricks adds delta.
FILE_FORMATS = frozenset(
    {"csv", "json", "parquet", "orc", "text", "avro", "binaryfile", "delta", "xml", "libsvm", "image", "file"}
)
PATH_FUNCTIONS = frozenset({"read_files", "read_kafka", "read_pubsub", "read_kinesis", "read_pulsar", "cloud_files"})
# Databricks' identity and security functions (SQL reference, "Built-in functions"), plus the emulated one.
PLATFORM_BUILTINS = frozenset(
    {
        "is_account_group_member",
        "is_member",
        "current_user",
        "session_user",
        "user",
        "current_recipient",
        "current_metastore",
        "current_catalog",
        "current_schema",
        "current_database",
    }
)
# Nodes of a parsed plan that only read (a plan made of these alone is a query, run lazily and checked on analysis).
QUERY_NODES = frozenset(
    {
        "Project", "Filter", "Aggregate", "Sort", "GlobalLimit", "LocalLimit", "Limit", "Offset", "Tail", "Union",
        "Join", "Distinct", "UnresolvedWith", "CTE", "WithCTE", "CTERelationDef", "CTERelationRef", "SubqueryAlias",
        "LocalRelation", "OneRowRelation", "UnresolvedRelation", "Window", "Except", "Intersect", "Generate",
        "Pivot", "Unpivot", "Sample", "Deduplicate", "UnresolvedHint", "RepartitionByExpression", "Repartition",
        "WithWindowDefinition", "UnresolvedInlineTable", "UnresolvedTableValuedFunction", "LateralJoin", "Expand",
        "UnresolvedSubqueryColumnAliases", "UnresolvedHaving", "Range", "UnresolvedTVFAliases", "LateralSubquery",
        "UnresolvedPolymorphicPythonUDTF", "UnresolvedTableValuedFunctionCall", "RebalancePartitions",
    }
)  # fmt: skip
# Commands a non-admin may run that change nothing (listing, describing, the current namespace).
READ_ONLY = frozenset(
    {
        "ShowTables", "ShowViews", "ShowTablesExtended", "ShowNamespaces", "ShowNamespacesCommand", "ShowFunctions",
        "DescribeFunction", "DescribeRelation", "ShowColumns", "ShowCreateTable", "ShowTableProperties",
        "DescribeNamespace", "ShowCatalogsCommand", "ShowCurrentNamespaceCommand", "SetCatalogAndNamespace",
        "DescribeColumn",
    }
)  # fmt: skip
# Spark's calls into the JVM (any static Java method: System.getenv, System.exit, …). Databricks does not expose them
# to SQL readers; here they would read the warehouse process's environment. Matched on the parsed plan's text, where
# a call prints as 'name(…) whatever case or qualification it was written with (a literal can only add a match).
REFLECTION = re.compile(r"'(?:[\w`]+\.)*`?(?:reflect|java_method|try_reflect)`?\(", re.IGNORECASE)
# Commands that read or write files at a path (or load code from one): nobody holds an external location locally.
PATH_COMMANDS = frozenset(
    {"SetTableLocation", "LoadData", "InsertIntoDir", "AddJarsCommand", "AddFilesCommand", "AddArchivesCommand"}
)
WRITES = frozenset({"InsertIntoStatement", "DeleteFromTable", "UpdateTable", "MergeIntoTable", "TruncateTable"})
# A child node's line: its tree prefix, then the node. A string literal with line breaks can add lines that look like
# nodes (a stricter answer only: the statement then counts as a command); it can never hide a real node.
_CHILD = re.compile(r"^[ :|]*[+:]- '?(?P<name>[A-Za-z_$][\w$]*)")
RELATIONS = re.compile(r"'?UnresolvedRelation \[(?P<n>.*?)\]")
TABLE_FUNCTIONS = re.compile(r"'?UnresolvedTableValuedFunction \[(?P<n>.*?)\]")


@dataclass(frozen=True)
class Parsed:
    kind: str  # the class of the parsed plan's root
    tree: str  # Spark's treeString of the parsed plan
    nodes: tuple[str, ...]
    plan: Any  # the parsed plan (a JVM object), analyzed without running by Enforcer.check_statement_reads

    @property
    def is_query(self) -> bool:
        return all(n in QUERY_NODES for n in self.nodes)

    def target(self) -> list[str] | None:
        """The name the statement is about: the first name among the root's own fields (a DROP's or CREATE's
        identifier, an INSERT's or MERGE's target table, a namespace), aliases unwrapped; None if it names none."""
        fields = self.plan.productIterator()
        while fields.hasNext():
            found = _name_of(fields.next())
            if found is not None:
                return found
        return None


def _name_of(value: Any, depth: int = 0) -> list[str] | None:
    if not hasattr(value, "getClass") or depth > 3:
        return None  # a Python value (py4j converts strings and numbers) or nested too deep to be a target
    cls = str(value.getClass().getSimpleName())
    if cls == "UnresolvedIdentifier":
        return _strings(value.nameParts())
    if cls in ("UnresolvedRelation", "UnresolvedTable", "UnresolvedView", "UnresolvedTableOrView"):
        return _strings(value.multipartIdentifier())
    if cls == "UnresolvedNamespace":
        return _strings(value.multipartIdentifier())
    if cls == "SubqueryAlias":
        return _name_of(value.child(), depth + 1)
    return None


def _strings(seq: Any) -> list[str]:
    return [str(seq.apply(i)) for i in range(seq.length())]


def parse(spark: Any, prepared: str) -> Parsed | None:
    """Spark's parsed plan of ``prepared`` (names already mapped), or None when Spark cannot parse it."""
    try:
        plan = spark._jsparkSession.sessionState().sqlParser().parsePlan(prepared)
    except Exception:  # Databricks-only syntax (handled by the warehouse itself) or a syntax error Spark reports
        return None
    tree = str(plan.treeString())
    lines = tree.splitlines()
    kind = str(plan.getClass().getSimpleName())
    nodes = (kind, *(m.group("name") for line in lines[1:] if (m := _CHILD.match(line))))
    return Parsed(kind, tree, nodes, plan)


# ---- reading a plan's JVM objects (what a statement creates, and where) ----------------------------------------
def temporary_function(plan: Any) -> list[str] | None:
    """``CREATE TEMPORARY FUNCTION``'s name: a ``FunctionIdentifier`` field (``identifier`` or ``name``)."""
    for field in ("identifier", "name"):
        if has_method(plan, field):
            value = getattr(plan, field)()
            if hasattr(value, "funcName"):
                return [str(value.funcName())]
    return None


def at_a_path(plan: Any) -> bool:
    """The plan's table spec names a location or a ``path`` option (read from the plan's objects, not its text)."""
    spec = plan.tableSpec() if has_method(plan, "tableSpec") else None
    if spec is not None:
        if spec.location().isDefined():
            return True
        options = spec.optionExpression().options() if has_method(spec, "optionExpression") else None
        keys = [str(options.apply(i)._1()).lower() for i in range(options.length())] if options is not None else []
        return "path" in keys or any(str(k).lower() == "path" for k in map_keys(spec.properties()))
    if has_method(plan, "fileFormat"):  # CREATE TABLE … LIKE … LOCATION
        return bool(plan.fileFormat().locationUri().isDefined())
    return False


def has_method(obj: Any, method: str) -> bool:
    """Whether a JVM plan object has the public method ``method`` (plan classes differ between Spark versions)."""
    cls = obj.getClass()
    name = str(cls.getName())
    if name not in _methods:
        _methods[name] = frozenset(str(m.getName()) for m in cls.getMethods())
    return method in _methods[name]


_methods: dict[str, frozenset[str]] = {}
"""Per JVM class name: its public methods' names. Listing them costs a Py4J call per method (hundreds for a plan
node): read once per class, not for every statement."""


def map_keys(scala_map: Any) -> list[str]:
    """A Scala map's keys, as strings."""
    keys = scala_map.keys().toSeq()
    return [str(keys.apply(i)) for i in range(keys.length())]
