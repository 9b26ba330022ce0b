"""Spark Observatory's hook for classic PySpark (3.5 and 4.x; not Spark Connect), installed by
so_run.py before the user's file runs. It changes no result of the job:

* Every action is tagged with the line that called it. Around each DataFrame, DataFrameWriter and
  RDD action (and spark.sql, whose DDL such as CACHE TABLE runs eagerly) the local properties
  `callSite.short` = "<action> at <abs file>:<line>" and `callSite.long` are set on the calling
  thread and restored afterwards. The JVM reads them when a job starts, so jobs, stages and SQL
  executions in /api/v1 carry the user's line instead of `count at NativeMethodAccessorImpl.java:0`.
  PySpark's own SCCallSiteSync (around collect, toPandas, RDD jobs) is taught the same site.
* Every cached dataset is named after the line that cached it: "<receiver>.cache() at <file>:<line>"
  or "<receiver>.persist(<args>) at <file>:<line>", the contract of parseHookName in
  src/model/cacheMatcher.ts. DataFrames: the CacheManager's entry for the plan,
  lookupCachedData(df._jdf).get().cachedRepresentation().cacheBuilder().cachedColumnBuffers(),
  builds the (not yet computed) RDD that /storage/rdd will list; setName on it before the first
  action. RDDs: setName on the RDD itself. cacheTable and CACHE TABLE keep Spark's own name
  (`In-memory table t`); their line and RDD id are recorded.
* Each cache event is one JSON line appended to the file named by SO_HOOK_EVENTS (if set), and
  one log line on stderr.
* SO_DISABLE_CACHE_AT="<abs path>:<line>[,...]": a cache/persist/cacheTable call from one of
  those lines is skipped and the dataset returned uncached (Measure Cache Impact).
* Anything failing in the hook leaves the job running as it would without it, and logs one line
  per kind of failure. SO_HOOK_FAULT="lookup|action|..." injects a failure (for tests).
"""
import functools
import json
import linecache
import os
import re
import sys
import threading
import time

PREFIX = "[spark-observatory]"
MAX_RECEIVER = 120

_installed = False
_state = threading.local()
_failed = set()
_lock = threading.Lock()
_internal_dirs = []
_disabled = set()
_faults = set()
_events_path = None


# --- logging and events ---------------------------------------------------------------------


def _log(msg):
    try:
        sys.stderr.write("%s %s\n" % (PREFIX, msg))
        sys.stderr.flush()
    except Exception:
        pass


def _event(event_type, **fields):
    if not _events_path:
        return
    rec = {"event": event_type, "time": time.time()}
    rec.update(fields)
    try:
        with _lock:
            with open(_events_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
    except Exception as e:
        _fail("writing events", e, record=False)


def _fail(kind, exc, record=True):
    """One log line per kind of failure; the job goes on. Never raises."""
    try:
        with _lock:
            if kind in _failed:
                return
            _failed.add(kind)
        text = str(exc).strip()
        _log("hook: %s failed (%s%s); the job runs on without it" % (
            kind, type(exc).__name__, ": " + text.splitlines()[0][:300] if text else ""))
        if record:
            _event("failure", kind=kind, error="%s: %s" % (type(exc).__name__, text[:500]))
    except Exception:
        pass


def _fault(kind):
    if kind in _faults:
        raise RuntimeError("injected fault (SO_HOOK_FAULT=%s)" % kind)


def _st():
    s = _state
    if not hasattr(s, "action_depth"):
        s.action_depth = 0
        s.cache_depth = 0
        s.site = None
    return s


# --- where a call comes from ----------------------------------------------------------------


def _is_internal(filename):
    if not filename or filename.startswith("<"):
        return True
    return any(filename.startswith(d) for d in _internal_dirs)


def _user_frame():
    """The innermost frame that is neither PySpark, py4j, this hook nor an interpreter pseudo-file."""
    f = sys._getframe(1)
    while f is not None:
        if not _is_internal(f.f_code.co_filename):
            return f
        f = f.f_back
    return None


def _abs(path):
    return os.path.abspath(path)


def _long_form(first, frame):
    lines = [first]
    f = frame
    while f is not None and len(lines) < 20:
        if not _is_internal(f.f_code.co_filename):
            lines.append("  at %s (%s:%d)" % (f.f_code.co_name, _abs(f.f_code.co_filename), f.f_lineno))
        f = f.f_back
    return "\n".join(lines)


_ast_cache = {}


def _calls_in(filename):
    """The method calls of a file, parsed once:
    (end line, end col, line of the attribute, attribute, receiver text, argument text, start line)."""
    hit = _ast_cache.get(filename)
    if hit is not None:
        return hit
    import ast

    source = "".join(linecache.getlines(filename))
    out = []
    try:
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                recv = ast.get_source_segment(source, node.func.value) or ""
                args = _source_args(source, node)
                # The attribute's own line: where `.cache` is written in a chain over several lines.
                attr_line = getattr(node.func, "end_lineno", node.lineno)
                out.append((node.end_lineno, node.end_col_offset, attr_line, node.func.attr, recv, args, node.lineno))
    except (SyntaxError, ValueError):
        pass
    if len(_ast_cache) > 50:
        _ast_cache.clear()
    _ast_cache[filename] = out
    return out


def _source_args(source, call):
    parts = [_ast_segment(source, a) for a in call.args] + [
        ("%s=%s" % (k.arg, _ast_segment(source, k.value))) if k.arg else "**" + _ast_segment(source, k.value) for k in call.keywords]
    return ", ".join(parts)


def _ast_segment(source, node):
    import ast

    return ast.get_source_segment(source, node) or "?"


def _call_position(frame):
    """(end line, end col in bytes) of the call being executed in `frame` (Python 3.11+)."""
    try:
        positions = list(frame.f_code.co_positions())
        l0, l1, c0, c1 = positions[frame.f_lasti // 2]
        return None if l1 is None or c1 is None else (l1, c1)
    except Exception:
        return None


def _find_call(frame, method):
    """The ast call `<receiver>.<method>(...)` the frame is executing, or None."""
    calls = [c for c in _calls_in(frame.f_code.co_filename) if c[3] == method]
    pos = _call_position(frame)
    if pos is not None:
        # Both ast and co_positions count columns in UTF-8 bytes.
        exact = [c for c in calls if c[0] == pos[0] and c[1] == pos[1]]
        if len(exact) == 1:
            return exact[0]
    n = frame.f_lineno
    near = [c for c in calls if c[2] == n or c[6] <= n <= c[0]]
    return near[0] if len(near) == 1 else None


_ASSIGN = re.compile(r"^\s*[A-Za-z_][\w.\[\]'\"]*\s*(?::[^=]*)?=(?!=)\s*")


class _CacheSite(object):
    __slots__ = ("file", "line", "lines", "call_text")

    def __init__(self, file, line, lines, call_text):
        self.file = file
        self.line = line
        self.lines = lines
        self.call_text = call_text


def _cache_site(method):
    """Where a cache call comes from and its text: `df1.cache()`, `x.persist(StorageLevel.DISK_ONLY)`."""
    frame = _user_frame()
    if frame is None:
        return None
    file = _abs(frame.f_code.co_filename)
    token = "." + method + "("
    receiver, args, line = None, "", frame.f_lineno
    found = _find_call(frame, method)
    if found is not None:
        receiver, args, line = found[4], found[5], found[2]
    else:
        src = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
        i = src.rfind(token)
        if i >= 0:
            receiver = _ASSIGN.sub("", src[:i]).strip()
            j = src.find(")", i)
            args = src[i + len(token):j] if j > i else ""
    receiver = receiver or "?"
    receiver = re.sub(r"\s*\n\s*", "", receiver.strip())
    receiver = re.sub(r"\s+", " ", receiver)
    if len(receiver) > MAX_RECEIVER:
        receiver = receiver[: MAX_RECEIVER - 1] + "\u2026"
    args = re.sub(r"\s+", " ", args.strip())
    call_text = "%s.%s(%s)" % (receiver or "?", method, args)
    lines = {frame.f_lineno, line}
    if found is not None:
        lines.add(found[6])
    return _CacheSite(file, line, lines, call_text)


def _disabled_at(site):
    return site is not None and any((site.file, n) in _disabled for n in site.lines)


# --- action tagging -------------------------------------------------------------------------


def _active_sc():
    from pyspark import SparkContext

    return SparkContext._active_spark_context


def _begin_action(name):
    _fault("action")
    sc = _active_sc()
    if sc is None:
        return None
    frame = _user_frame()
    if frame is None:
        return None
    file = _abs(frame.f_code.co_filename)
    short = "%s at %s:%d" % (name, file, frame.f_lineno)
    prev = (sc.getLocalProperty("callSite.short"), sc.getLocalProperty("callSite.long"))
    sc.setLocalProperty("callSite.short", short)
    sc.setLocalProperty("callSite.long", _long_form(short, frame))
    _st().site = (name, file, frame.f_lineno, short)
    return sc, prev


def _end_action(token):
    _st().site = None
    if token is None:
        return
    sc, (short, long_) = token
    sc.setLocalProperty("callSite.short", short)
    sc.setLocalProperty("callSite.long", long_)


def _action(name, orig):
    @functools.wraps(orig)
    def wrapper(*args, **kwargs):
        st = _st()
        if st.action_depth > 0:
            return orig(*args, **kwargs)
        token = None
        try:
            token = _begin_action(name)
        except Exception as e:
            st.site = None
            _fail("tagging actions with their line", e)
        st.action_depth += 1
        try:
            return orig(*args, **kwargs)
        finally:
            st.action_depth -= 1
            try:
                _end_action(token)
            except Exception as e:
                _fail("restoring the call site after an action", e)

    wrapper.__so_hooked__ = True
    return wrapper


def _patch(cls, names, make):
    done = []
    for name in names:
        orig = cls.__dict__.get(name)
        if orig is None:
            # Inherited: wrap what the class resolves to, on the class itself.
            orig = getattr(cls, name, None)
        if orig is None or isinstance(orig, (property, staticmethod, classmethod)) or not callable(orig):
            continue
        if getattr(orig, "__so_hooked__", False):
            continue
        setattr(cls, name, make(name, orig))
        done.append(name)
    return done


DATAFRAME_ACTIONS = [
    "count", "collect", "show", "take", "first", "head", "toPandas", "toArrow", "toLocalIterator",
    "tail", "foreach", "foreachPartition", "isEmpty", "checkpoint", "localCheckpoint", "toJSON",
]
WRITER_ACTIONS = ["save", "saveAsTable", "insertInto", "parquet", "csv", "json", "orc", "text", "jdbc", "xml"]
WRITER_V2_ACTIONS = ["append", "create", "replace", "createOrReplace", "overwrite", "overwritePartitions"]
RDD_ACTIONS = [
    "collect", "count", "reduce", "fold", "aggregate", "treeReduce", "treeAggregate", "take", "first",
    "foreach", "foreachPartition", "sum", "max", "min", "mean", "variance", "stdev", "sampleStdev",
    "sampleVariance", "stats", "histogram", "countByKey", "countByValue", "takeOrdered", "top",
    "takeSample", "isEmpty", "collectAsMap", "lookup", "saveAsTextFile", "saveAsPickleFile",
    "saveAsHadoopFile", "saveAsNewAPIHadoopFile", "saveAsSequenceFile", "saveAsHadoopDataset",
    "saveAsNewAPIHadoopDataset", "countApprox", "sumApprox", "meanApprox", "countApproxDistinct",
]


def _patch_call_site_sync():
    """PySpark's SCCallSiteSync sets its own site (the hook's wrapper frame would be named):
    make it use the action's site, and put the site back when it clears it."""
    from pyspark import traceback_utils as tu

    orig_first = tu.first_spark_call

    def first_spark_call():
        site = getattr(_state, "site", None)
        if site is not None:
            return tu.CallSite(function=site[0], file=site[1], linenum=site[2])
        return orig_first()

    tu.first_spark_call = first_spark_call
    orig_exit = tu.SCCallSiteSync.__exit__

    def __exit__(self, *exc):
        r = orig_exit(self, *exc)
        site = getattr(_state, "site", None)
        if site is not None and tu.SCCallSiteSync._spark_stack_depth == 0:
            try:
                self._context._jsc.setCallSite(site[3])
            except Exception as e:
                _fail("restoring the call site after an action", e)
        return r

    tu.SCCallSiteSync.__exit__ = __exit__


# --- naming cached datasets -------------------------------------------------------------------


def _hook_named(name):
    return bool(name) and re.search(r"\.(cache\(\)|persist\(.*\)) at .+:\d+$", name) is not None


def _record(kind, site, rdd_id, name, level, **extra):
    _event("cache", kind=kind, rddId=rdd_id, name=name, file=site.file if site else None,
           line=site.line if site else None, storageLevel=level, **extra)
    _log("cached %s: rdd %s named %r (%s)" % (kind, rdd_id, name, level))


def _dataframe_builder(spark, jdf):
    _fault("lookup")
    cm = spark._jsparkSession.sharedState().cacheManager()
    opt = cm.lookupCachedData(jdf)
    if not opt.isDefined():
        raise LookupError("the CacheManager has no entry for this DataFrame")
    return opt.get().cachedRepresentation().cacheBuilder()


def _name_dataframe(df, site):
    builder = _dataframe_builder(df.sparkSession, df._jdf)
    loaded = builder.isCachedColumnBuffersLoaded()
    rdd = builder.cachedColumnBuffers()
    rdd_id = rdd.id()
    old = rdd.name()
    name = "%s at %s:%d" % (site.call_text, site.file, site.line)
    if loaded or _hook_named(old):
        # Equal plans share one cache entry: the first line that cached it keeps the name.
        _event("cache", kind="dataframe", rddId=rdd_id, name=old, file=site.file, line=site.line,
               storageLevel=rdd.getStorageLevel().description(), sharedWith=old)
        _log("%s at %s:%d shares cached rdd %d (%r)" % (site.call_text, site.file, site.line, rdd_id, old))
        return
    rdd.setName(name)
    _record("dataframe", site, rdd_id, name, rdd.getStorageLevel().description())


def _name_rdd(rdd, site):
    jrdd = rdd._jrdd
    old = jrdd.name()
    rdd_id = jrdd.id()
    level = jrdd.getStorageLevel().description()
    if old and not _hook_named(old):
        # A name set in code (rdd.setName) is the user's: keep it, record the line.
        _record("rdd", site, rdd_id, old, level, userName=True)
        return
    name = "%s at %s:%d" % (site.call_text, site.file, site.line)
    jrdd.setName(name)
    _record("rdd", site, rdd_id, name, level)


def _record_table(spark, table, site, how):
    builder = _dataframe_builder(spark, spark.table(table)._jdf)
    rdd = builder.cachedColumnBuffers()
    _record(how, site, rdd.id(), rdd.name(), rdd.getStorageLevel().description(), table=table)


def _cache_wrapper(kind, method, orig, after):
    @functools.wraps(orig)
    def wrapper(self, *args, **kwargs):
        st = _st()
        if st.cache_depth > 0:
            return orig(self, *args, **kwargs)
        site = None
        try:
            site = _cache_site(method)
        except Exception as e:
            _fail("finding the line of a cache call", e)
        if _disabled_at(site):
            _log("%s at %s:%d switched off by SO_DISABLE_CACHE_AT: not cached" % (site.call_text, site.file, site.line))
            _event("disabled", kind=kind, file=site.file, line=site.line, call=site.call_text)
            return None if kind == "table" else self
        st.cache_depth += 1
        try:
            result = orig(self, *args, **kwargs)
        finally:
            st.cache_depth -= 1
        if site is not None:
            try:
                after(self, site, args, kwargs)
            except Exception as e:
                _fail("naming a cached %s after its line" % ("DataFrame" if kind == "dataframe" else kind), e)
        return result

    wrapper.__so_hooked__ = True
    return wrapper


_CACHE_TABLE_SQL = re.compile(r"^\s*CACHE\s+(LAZY\s+)?TABLE\s+((?:`[^`]+`|[\w]+)(?:\.(?:`[^`]+`|[\w]+))*)", re.I)


def _sql_wrapper(orig):
    tagged = _action("sql", orig)

    @functools.wraps(orig)
    def wrapper(self, sqlQuery, *args, **kwargs):
        m = None
        site = None
        try:
            m = _CACHE_TABLE_SQL.match(sqlQuery) if isinstance(sqlQuery, str) else None
            if m:
                site = _cache_site("sql")
                if site is not None:
                    site.call_text = "CACHE TABLE %s" % m.group(2)
                    if _disabled_at(site):
                        _fail("switching off CACHE TABLE (not supported; it runs)", RuntimeError(site.call_text))
        except Exception as e:
            _fail("finding the line of a CACHE TABLE", e)
        result = tagged(self, sqlQuery, *args, **kwargs)
        if m and site is not None:
            try:
                _record_table(self, m.group(2).replace("`", ""), site, "sqlCacheTable")
            except Exception as e:
                _fail("recording a CACHE TABLE", e)
        return result

    wrapper.__so_hooked__ = True
    return wrapper


# --- installation -----------------------------------------------------------------------------


def _parse_disabled(spec):
    out = set()
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        path, _, line = part.rpartition(":")
        if path and line.isdigit():
            out.add((_abs(path), int(line)))
    return out


def _classes():
    """The classic PySpark classes, wherever this version keeps them."""
    import pyspark
    from pyspark.sql import readwriter, catalog, session

    try:
        from pyspark.sql.classic.dataframe import DataFrame  # 4.x
    except ImportError:
        from pyspark.sql.dataframe import DataFrame  # 3.5
    try:
        from pyspark.core.rdd import RDD  # 4.x
    except ImportError:
        from pyspark.rdd import RDD  # 3.5
    return pyspark, DataFrame, RDD, readwriter, catalog.Catalog, session.SparkSession


def install(user_file=None):
    """Patches classic PySpark in this interpreter; idempotent. Never raises."""
    global _installed, _events_path, _disabled, _faults
    if _installed:
        return
    _installed = True
    _events_path = os.environ.get("SO_HOOK_EVENTS") or None
    _disabled = _parse_disabled(os.environ.get("SO_DISABLE_CACHE_AT"))
    _faults = set(x.strip() for x in os.environ.get("SO_HOOK_FAULT", "").split(",") if x.strip())
    try:
        pyspark, DataFrame, RDD, readwriter, Catalog, SparkSession = _classes()
        import py4j

        _internal_dirs[:] = [
            os.path.dirname(os.path.abspath(pyspark.__file__)) + os.sep,
            os.path.dirname(os.path.abspath(py4j.__file__)) + os.sep,
            os.path.dirname(os.path.abspath(__file__)) + os.sep,
        ]
    except Exception as e:
        _fail("finding PySpark's classes", e)
        return
    steps = [
        ("tagging DataFrame actions", lambda: _patch(DataFrame, DATAFRAME_ACTIONS, _action)),
        ("tagging writes", lambda: _patch(readwriter.DataFrameWriter, WRITER_ACTIONS, _action)),
        ("tagging v2 writes", lambda: _patch(readwriter.DataFrameWriterV2, WRITER_V2_ACTIONS, _action)),
        ("tagging RDD actions", lambda: _patch(RDD, RDD_ACTIONS, _action)),
        ("PySpark's own call sites", _patch_call_site_sync),
        ("DataFrame.cache/persist", lambda: _patch(DataFrame, ["cache", "persist"], lambda n, o: _cache_wrapper(
            "dataframe", n, o, lambda df, site, a, k: _name_dataframe(df, site)))),
        ("RDD.cache/persist", lambda: _patch(RDD, ["cache", "persist"], lambda n, o: _cache_wrapper(
            "rdd", n, o, lambda rdd, site, a, k: _name_rdd(rdd, site)))),
        ("Catalog.cacheTable", lambda: _patch(Catalog, ["cacheTable"], lambda n, o: _cache_wrapper(
            "table", n, o, lambda cat, site, a, k: _record_table(cat._sparkSession, (list(a) + [k.get("tableName")])[0], site, "cacheTable")))),
        ("SparkSession.sql", lambda: _patch(SparkSession, ["sql"], lambda n, o: _sql_wrapper(o))),
    ]
    for what, step in steps:
        try:
            step()
        except Exception as e:
            _fail("installing the hook for %s" % what, e)
    version = getattr(pyspark, "__version__", "?")
    _event("ready", pysparkVersion=version, file=_abs(user_file) if user_file else None,
           disabled=["%s:%d" % d for d in sorted(_disabled)])
    _log("hook installed (pyspark %s): actions tagged with their line, cached datasets named after theirs" % version)
