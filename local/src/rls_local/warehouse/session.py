"""The embedded warehouse's SparkSession: local Spark with a Hive metastore (embedded Derby) inside a work directory.

Everything the warehouse persists lives under ``workdir``: ``metastore_db/`` (Derby), ``warehouse/`` (table files),
``log4j2.properties`` and the name registry (see :mod:`rls_local.warehouse.names`). A later process pointed at the same
workdir sees the same schemas, tables, views and functions. Embedded Derby admits one JVM at a time, so two
processes cannot open the same workdir concurrently (the second gets a :class:`WarehouseError`).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rls.errors import RlsError

logger = logging.getLogger(__name__)

MIN_JAVA = 17
_JAVA_HINT = f"install a JDK {MIN_JAVA} or set JAVA_HOME"

# Spark logs every failed statement twice (JVM and a Python JSON logger); the error reaches the caller as an
# exception anyway, so the warehouse keeps the console quiet.
_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
logger.hive.name = org.apache.hadoop.hive
logger.hive.level = off
logger.derby.name = org.apache.derby
logger.derby.level = off
logger.datanucleus.name = DataNucleus
logger.datanucleus.level = off
logger.analyzer.name = org.apache.spark.sql.catalyst.analysis
logger.analyzer.level = off
# Spark resets the root level to this logger's (default WARN) in a pyspark shell and says so: keep them equal.
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
"""


class WarehouseError(RlsError, RuntimeError):
    """The embedded warehouse cannot do what was asked; the message is one line that says what to do."""


def check_java(env: Mapping[str, str] | None = None) -> str:
    """Return the path of a usable ``java`` (major version >= 17) or raise :class:`WarehouseError`.

    ``env`` defaults to ``os.environ``; pyspark finds Java the same way (``JAVA_HOME`` first, then ``PATH``).
    """
    env = os.environ if env is None else env
    java_home = env.get("JAVA_HOME")
    if java_home:
        java: str | None = str(Path(java_home) / "bin" / "java")
        if not Path(java).is_file():
            raise WarehouseError(f"Java {MIN_JAVA} not found: JAVA_HOME={java_home} has no bin/java; {_JAVA_HINT}")
    else:
        java = shutil.which("java", path=env.get("PATH", ""))
        if java is None:
            raise WarehouseError(f"Java {MIN_JAVA} not found: {_JAVA_HINT}")
    try:
        out = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            [java, "-version"], capture_output=True, text=True, timeout=60, env=dict(env), check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise WarehouseError(f"Java at {java} is not usable ({e.__class__.__name__}): {_JAVA_HINT}") from None
    text = out.stderr + out.stdout
    m = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if out.returncode != 0 or not m:
        raise WarehouseError(f"Java at {java} is not usable (java -version failed): {_JAVA_HINT}")
    major = int(m.group(1))
    if major == 1 and m.group(2):  # "1.8.0_392" style
        major = int(m.group(2))
    if major < MIN_JAVA:
        raise WarehouseError(f"Java {MIN_JAVA} not found: {java} is Java {major}; {_JAVA_HINT}")
    return java


def local_spark(workdir: Path) -> Any:
    """A ``local[2]`` SparkSession whose metastore and table files live in ``workdir``.

    One SparkSession exists per process: asking for a second workdir while one is open raises
    :class:`WarehouseError` (the first one's static settings, such as the metastore location, cannot change).
    """
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    java = check_java()
    from pyspark.sql import SparkSession

    warehouse_dir = workdir / "warehouse"
    active = SparkSession.getActiveSession()
    if active is not None:
        current = active.conf.get("spark.sql.warehouse.dir", "")
        if Path(current.removeprefix("file:")).resolve() != warehouse_dir:
            raise WarehouseError(
                f"a Spark session for another workdir ({current}) is open in this process; use one workdir per process"
            )
        return active

    if _derby_locked(workdir / "metastore_db"):
        raise WarehouseError(
            f"workdir {workdir} is in use by another process (its embedded metastore admits one at a time)"
        )
    log_conf = workdir / "log4j2.properties"
    log_conf.write_text(_LOG4J, encoding="utf-8")
    _quiet_python_loggers()
    # derby.system.home keeps derby.log out of the current directory; the metastore URL pins the Derby database
    # to the workdir, which is what makes the warehouse survive into a later process.
    java_opts = f"-Dderby.system.home={workdir} -Dlog4j2.configurationFile=file:{log_conf}"
    java_opts += f" {os.environ['RLS_LOCAL_JVM_OPTIONS']}" if os.environ.get("RLS_LOCAL_JVM_OPTIONS") else ""
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("rls-local-warehouse")
        .config("spark.sql.catalogImplementation", "hive")
        .config("spark.sql.warehouse.dir", str(warehouse_dir))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={workdir / 'metastore_db'};create=true",
        )
        .config("spark.driver.extraJavaOptions", java_opts)
        .config("spark.sql.shuffle.partitions", "2")
        # Large shuffles (the expansion on a big account) start as 32 partitions, so no task must sort more than
        # its share of the 1 GB heap; adaptive execution coalesces the small ones of every other query to 1-2.
        .config("spark.sql.adaptive.coalescePartitions.initialPartitionNum", "32")
        # The expansion's table function runs in Python workers: this interpreter (the project's environment), with
        # pickled rows, since the local stack installs neither pandas nor pyarrow (Databricks uses Arrow).
        .config("spark.pyspark.python", sys.executable)
        .config("spark.sql.execution.pythonUDTF.arrow.enabled", "false")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        # No SQL on files (`csv.`/path``): Unity Catalog reads a path only with READ FILES on an external location,
        # which nobody holds locally (.authorize refuses it with a clear line; this keeps a stored view from it too).
        .config("spark.sql.runSQLOnFiles", "false")
        # 1 GB keeps the test suite light; the full-size collector benchmark expands 25M memberships and raises it.
        .config("spark.driver.memory", os.environ.get("RLS_LOCAL_SPARK_MEMORY", "1g"))
        .enableHiveSupport()
    )
    env_java_home = str(Path(java).resolve().parent.parent)
    os.environ.setdefault("JAVA_HOME", env_java_home)  # pyspark's launcher must find the same Java we checked
    try:
        _launch_jvm_quietly(builder, workdir)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        # Touch the metastore now: a locked or corrupt Derby database fails here, with a clear message, rather
        # than in the middle of the first statement.
        spark.sql("SHOW DATABASES").collect()
    except Exception as e:  # Py4J/launcher errors carry pages of Java stack; the caller gets one line
        raise WarehouseError(_explain_start_failure(e, workdir)) from None
    logger.info("local warehouse session on %s", workdir)
    return spark


JVM_LOG = "spark-jvm.log"  # the JVM's own stderr/stdout (launcher notices, log4j's start-up lines), unless --verbose


def _launch_jvm_quietly(builder: Any, workdir: Path) -> None:
    """Start Spark's JVM with its stderr and stdout in ``<workdir>/spark-jvm.log``: the launcher and log4j print
    notices before any configuration applies ("Using incubator modules", "Setting default log level"), which are
    noise on an operator's terminal. ``-v`` (an INFO-level rls logger) keeps them on the terminal. A JVM that fails
    to start still raises, and its message names the log."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None or logger.isEnabledFor(logging.INFO):
        return
    conf = SparkConf()
    for key, value in builder._options.items():  # what getOrCreate would hand to the launcher
        conf.set(key, value)
    log = open(workdir / JVM_LOG, "ab")  # noqa: SIM115  # the JVM writes to it for its whole life
    try:
        gateway = launch_gateway(conf, popen_kwargs={"stdout": log, "stderr": log})
    except Exception as e:
        raise RuntimeError(f"{e} (see {workdir / JVM_LOG})") from e
    SparkContext._ensure_initialized(gateway=gateway, conf=conf)
    atexit.register(_wait_for_jvm, gateway)


def _wait_for_jvm(gateway: Any) -> None:
    """At exit, close the JVM's stdin (it exits when that closes: pyspark's launch_gateway) and wait for it.

    Its output goes to a log file, not to this process's pipes, so whoever waits for this process (a shell, a test's
    ``subprocess.run``) would otherwise go on while the JVM is still shutting down with the workdir's embedded
    metastore locked, and the next command on that workdir would be refused as "in use".

    First Py4J's client is marked disconnected. Its finalizer thread tells the JVM about each Java object Python
    dropped and skips that once the client is not connected (py4j ``GatewayClient.garbage_collect_object``); left
    connected, it can send while the JVM exits, and the reset connection is logged at ERROR on the root logger
    (``Exception while sending command.`` and a traceback) on the operator's terminal: seen now and then at the end of
    `rls run`. The JVM answers commands for a while after its stdin closes, so one already on its way still ends.
    Not ``gateway.shutdown()``: closing the JVM's gateway server resets a command in flight at once."""
    proc = getattr(gateway, "proc", None)
    if proc is None:
        return
    client = getattr(gateway, "_gateway_client", None)
    if client is not None:
        client.is_connected = False
    with contextlib.suppress(Exception):
        from pyspark.accumulators import AccumulatorTCPServer

        # The JVM closing its end of the accumulator connection as it exits is the end of the run, not an error:
        # without this, socketserver prints an EOFError traceback to stderr.
        AccumulatorTCPServer.handle_error = lambda *_: None  # type: ignore[method-assign]
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=60)


def _derby_locked(db: Path) -> bool:
    """Whether another JVM has the Derby database open.

    Derby holds an exclusive ``FileChannel`` lock on ``dbex.lck`` while booted (a stale file after a crash is not
    locked). Java file locks are POSIX record locks on Linux and macOS, so Python's ``lockf`` sees them. Checking
    first turns a long Hive retry loop and a Java stack into one line.
    """
    lock = db / "dbex.lck"
    if not lock.exists():
        return False
    try:
        import fcntl
    except ImportError:  # Windows: let Derby report it
        return False
    with open(lock, "rb+") as f:
        try:
            fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.lockf(f, fcntl.LOCK_UN)
    return False


def _explain_start_failure(e: Exception, workdir: Path) -> str:
    text = str(e)
    if "Another instance of Derby" in text or "XSDB6" in text:
        return f"workdir {workdir} is in use by another process (its embedded metastore admits one at a time)"
    if "Java gateway process exited" in text or "JAVA_HOME" in text:
        return f"Spark could not start its JVM: {_JAVA_HINT}"
    first = text.strip().splitlines()[0] if text.strip() else e.__class__.__name__
    return f"local Spark could not start on {workdir}: {first[:300]}"


def _quiet_python_loggers() -> None:
    """pyspark logs each SQL error as a JSON record before raising it; the raised exception is enough."""
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # older pyspark: nothing to quiet
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
