"""Spark Observatory's hook for classic PySpark (3.5 and 4.x; not Spark Connect), installed by
so_run.py before the user's file runs. It changes no result of the job and starts no Spark work:
with it, a job runs the same Spark jobs and stages, in the same order, as without it.

* Every action is tagged with the line that called it. Around each DataFrame, DataFrameWriter and
  RDD action (and spark.sql, whose DDL such as CACHE TABLE runs eagerly) the local properties
  `callSite.short` = "<action> at <abs file>:<line>" and `callSite.long` are set on the calling
  thread and restored afterwards. The JVM reads them when a job starts, so jobs, stages and SQL
  executions in /api/v1 carry the user's line instead of `count at NativeMethodAccessorImpl.java:0`.
  PySpark's own SCCallSiteSync (around collect, toPandas, RDD jobs) is taught the same site.
* Every cached dataset is named after the line that cached it, the contract of parseHookName in
  src/model/datasetNames.ts:
      "<receiver>.cache() at <file>:<line>"  or  "<receiver>.persist(<args>) at <file>:<line>"
  followed by " called from <file>:<line>" when the cache call sits in a function of the user's
  files called from another line of them (a helper), and with " in <module>" after the call text
  when the call sits in library code: the dataset is then placed on the line of the user's files
  that led there. "The user's files" are all but the standard library, site-packages and
  dist-packages, PySpark, py4j and this hook.
  DataFrames: Spark names the cached RDD itself, with CachedRDDBuilder.cachedName, when the first
  action that scans the cache builds it; the hook only replaces that text in the CacheManager's
  entry (lookupCachedData(df._jdf) reuses the plan the cache call analysed). Building the RDD
  itself (cachedColumnBuffers()) would execute an adaptive plan's shuffle and broadcast stages at
  the cache line: never done. RDDs: setName on the RDD. cacheTable and CACHE TABLE keep Spark's own
  name (`In-memory table t`); their line is recorded.
* Events, one JSON line each, go to the file named by SO_HOOK_EVENTS (if set): "ready" (first,
  with the status line), "cache" at each cache call, "cacheRdd" when the dataset's RDD id is known
  (at the call for RDDs and eager tables, after the action that built it otherwise), "disabled",
  "disableNotReached" and "exit" (at exit, with the time the hook's own code took in the job's
  threads), "failure".
* SO_DISABLE_CACHE_AT='[{"file": "<abs path>", "line": <n>}, ...]': a cache/persist/cacheTable call
  on one of those lines is skipped and the dataset returned uncached (Measure Cache Impact).
* Its first line on stderr says what is active ("hook active (pyspark 4.3.0, classic): lines on
  actions and cached datasets", or what is not and why). Anything failing later leaves the job
  running as it would without the hook, and logs one line per kind of failure.
  SO_HOOK_FAULT="lookup|action|..." injects a failure (for tests).
"""
import ast
import atexit
import collections
import functools
import json
import linecache
import os
import re
import sys
import sysconfig
import threading
import time

PREFIX = "[spark-observatory]"
MAX_RECEIVER = 120
# How far above a cache call its statement may start (a method chain over many lines).
MAX_STATEMENT_LINES = 40

_installed = False
_status = None
_state = threading.local()
_failed = set()
_lock = threading.RLock()
_hook_dir = os.path.dirname(os.path.abspath(__file__)) + os.sep
_internal_dirs = [_hook_dir]  # PySpark, py4j and the hook: never where a call was written
_foreign_dirs = []  # the standard library and installed packages: never the user's files
_user_files = {}
_disabled = []
_disabled_hits = set()
# The hook's own cost in the user's threads: seconds spent in its code around actions and cache
# calls (not in theirs), and how many of each; written at exit.
_cost = {"seconds": 0.0, "actions": 0, "cacheCalls": 0}
_pending = []
_fields = {}
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


# --- whose code a frame runs ------------------------------------------------------------------


def _abs(path):
    return os.path.abspath(path)


def _dir_variants(path):
    out = set()
    for p in (os.path.abspath(path), os.path.realpath(path)):
        out.add(p.rstrip(os.sep) + os.sep)
    return out


def _foreign_roots():
    """The standard library and every installed-packages folder this interpreter knows."""
    roots = set()
    schemes = [sysconfig.get_paths()]
    try:
        schemes.append(sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix}))
    except Exception:
        pass
    for paths in schemes:
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            if paths.get(key):
                roots |= _dir_variants(paths[key])
    roots |= _dir_variants(os.path.dirname(os.__file__))
    return sorted(roots)


def _is_internal(filename):
    if not filename or filename.startswith("<"):
        return True
    return any(filename.startswith(d) for d in _internal_dirs)


def _is_user_file(filename):
    """Not the standard library, site-packages or dist-packages, PySpark, py4j, the hook, nor an
    interpreter pseudo-file (`<frozen runpy>`). Decided once per file."""
    hit = _user_files.get(filename)
    if hit is None:
        if _is_internal(filename):
            hit = False
        else:
            path = _abs(filename)
            parts = path.split(os.sep)
            hit = not ("site-packages" in parts or "dist-packages" in parts
                       or any(path.startswith(d) for d in _foreign_dirs + _internal_dirs))
        _user_files[filename] = hit
    return hit


def _user_frame(frame):
    """The innermost frame of the user's own files, from `frame` outward."""
    f = frame
    while f is not None:
        if _is_user_file(f.f_code.co_filename):
            return f
        f = f.f_back
    return None


def _long_form(first, frame):
    lines = [first]
    f = frame
    while f is not None and len(lines) < 20:
        if _is_user_file(f.f_code.co_filename):
            lines.append("  at %s (%s:%d)" % (f.f_code.co_name, _abs(f.f_code.co_filename), f.f_lineno))
        f = f.f_back
    return "\n".join(lines)


# --- the call a frame is executing ------------------------------------------------------------
# Python 3.11+ gives each instruction's source span (co_positions). Only the text of that one
# statement is read and parsed, never the whole file, so the cost does not grow with the file.


_positions = {}


def _span(frame):
    """(first line, last line, first col, end col) of the call `frame` executes; columns in UTF-8
    bytes. None before Python 3.11."""
    code = frame.f_code
    get = getattr(code, "co_positions", None)
    if get is None:
        return None
    pos = _positions.get(code)
    if pos is None:
        if len(_positions) > 256:
            _positions.clear()
        pos = _positions[code] = list(get())
    i = frame.f_lasti // 2
    if i < 0 or i >= len(pos) or None in pos[i]:
        return None
    return pos[i]


# A method call read from the source: `<receiver>.<attr>(<args>)`, the line of `.attr`, the
# line the statement starts on.
_Call = collections.namedtuple("_Call", "attr receiver args attr_line start_line")


def _cut(lines, l0, c0, l1, c1):
    """Source from (l0, c0) to (l1, c1), lines 1-based, columns in UTF-8 bytes."""
    chunk = [ln.encode("utf-8") for ln in lines[l0 - 1:l1]]
    if len(chunk) == 1:
        chunk[0] = chunk[0][c0:c1]
    else:
        chunk[0] = chunk[0][c0:]
        chunk[-1] = chunk[-1][:c1]
    return b"".join(chunk).decode("utf-8", "replace")


_OPEN = {"(": ")", "[": "]", "{": "}"}


def _scan(text):
    """`text` without its comments, and the brackets that close what it leaves open ("" if none;
    None when it closes more than it opens: it starts inside a bracket). Strings are skipped."""
    stack = []
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if ch in "'\"":
            quote = text[i:i + 3] if text[i:i + 3] in ("'''", '"""') else ch
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + len(quote)])
            i = j + len(quote)
            continue
        if ch in _OPEN:
            stack.append(_OPEN[ch])
        elif ch in ")]}" and (not stack or stack.pop() != ch):
            return "".join(out), None
        out.append(ch)
        i += 1
    return "".join(out), "".join(reversed(stack))


def _segment(src, node):
    return ast.get_source_segment(src, node) or "?"


def _args_text(src, call):
    parts = [_segment(src, a) for a in call.args] + [
        ("%s=%s" % (k.arg, _segment(src, k.value))) if k.arg else "**" + _segment(src, k.value) for k in call.keywords]
    return ", ".join(parts)


def _as_call(src, node, first_line, line_offset):
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    attr_line = first_line + getattr(node.func, "end_lineno", node.lineno) - 1 - line_offset
    return _Call(node.func.attr, _segment(src, node.func.value), _args_text(src, node), attr_line, first_line)


def _call_at(frame):
    """The method call `frame` is executing: its attribute, receiver and argument texts and lines.
    None when it is not a method call or cannot be read."""
    span = _span(frame)
    if span is None:
        return None
    l0, l1, c0, c1 = span
    lines = linecache.getlines(frame.f_code.co_filename)
    if not lines or l1 > len(lines) or l0 < 1:
        return None
    if not lines[l0 - 1].encode("utf-8")[:c0].rstrip().endswith(b"."):
        # The span is the whole call expression.
        try:
            src = "(" + _cut(lines, l0, c0, l1, c1) + ")"
            return _as_call(src, ast.parse(src, mode="eval").body, l0, 0)
        except (SyntaxError, ValueError):
            return None
    # A receiver over earlier lines (a method chain): Python starts the call's span at the
    # attribute (`.cache()` on its own line). Read back to the statement's first line.
    for k in range(l0 - 1, max(0, l0 - MAX_STATEMENT_LINES), -1):
        first = lines[k - 1]
        head = first.lstrip()
        if not head or head[0] in ".)]},=+*/%&|^<>!":
            continue
        text = _cut(lines, k, 0, l1, c1)
        closers = _scan(text)[1]
        if closers is None:
            continue
        indented = first[:1] in (" ", "\t")
        src = ("if 1:\n" if indented else "") + text + closers
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError):
            continue
        end_line = l1 - k + 1 + (1 if indented else 0)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.end_lineno == end_line and node.end_col_offset == c1:
                return _as_call(src, node, k, 1 if indented else 0)
    return None


_ASSIGN = re.compile(r"^\s*[A-Za-z_][\w.\[\]'\"]*\s*(?::[^=]*)?=(?!=)\s*")


def _call_on_line(frame, method):
    """Before Python 3.11: `<receiver>.<method>(<args>)` read from the frame's current line."""
    src = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    token = "." + method + "("
    i = src.rfind(token)
    if i < 0:
        return None
    j = src.find(")", i)
    receiver = _ASSIGN.sub("", src[:i]).strip() or "?"
    return _Call(method, receiver, src[i + len(token):j] if j > i else "", frame.f_lineno, frame.f_lineno)


def _squeeze(text, limit=None):
    """One line of code: comments out, line breaks and runs of spaces squeezed."""
    text = re.sub(r"\s*\n\s*", "", _scan(text)[0].strip())
    text = re.sub(r"\s+", " ", text)
    if limit and len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return text


class _CacheSite(object):
    """Where a cache call places its dataset: the user's line, the text of the call, the line
    that called the user's function (if any), the library module the call was written in."""

    __slots__ = ("file", "line", "lines", "call_text", "caller", "library")

    def __init__(self, file, line, lines, call_text, caller=None, library=None):
        self.file = file
        self.line = line
        self.lines = lines
        self.call_text = call_text
        self.caller = caller
        self.library = library

    def name(self):
        text = self.call_text if not self.library else "%s in %s" % (self.call_text, self.library)
        name = "%s at %s:%d" % (text, self.file, self.line)
        if self.caller:
            name += " called from %s:%d" % self.caller
        return name

    def fields(self):
        out = {"file": self.file, "line": self.line, "call": self.call_text}
        if self.caller:
            out["caller"] = {"file": self.caller[0], "line": self.caller[1]}
        if self.library:
            out["library"] = self.library
        return out


def _caller_of(frame, file, line):
    """The next line of the user's files out from `frame` (the line that called its function)."""
    outer = _user_frame(frame.f_back)
    if outer is None:
        return None
    where = (_abs(outer.f_code.co_filename), outer.f_lineno)
    return None if where == (file, line) else where


def _cache_site(method):
    """Where a cache call comes from: `df1.cache()` on a line of the user's files; or a call in
    library code, placed on the line of the user's files that led to it."""
    writer = sys._getframe(1)
    while writer is not None and writer.f_code.co_filename.startswith(_hook_dir):
        writer = writer.f_back
    user = _user_frame(writer)
    if user is None:
        return None
    file = _abs(user.f_code.co_filename)
    call = _call_at(user) if _span(user) is not None else _call_on_line(user, method)
    if writer is user and (call is None or call.attr != method):
        # Written on this line but not readable from the source (a file changed since): the line still holds.
        call = _call_on_line(user, method) or _Call(method, "?", "", user.f_lineno, user.f_lineno)
    if call is not None and call.attr == method:
        text = "%s.%s(%s)" % (_squeeze(call.receiver, MAX_RECEIVER), method, _squeeze(call.args))
        site = _CacheSite(file, call.attr_line, {user.f_lineno, call.attr_line, call.start_line}, text)
    else:
        # Library code (or PySpark on a library's behalf) made the call.
        lib_call = _call_at(writer) if writer is not user else None
        text = ("%s.%s(%s)" % (_squeeze(lib_call.receiver, MAX_RECEIVER), method, _squeeze(lib_call.args))
                if lib_call is not None and lib_call.attr == method else "?.%s()" % method)
        library = writer.f_globals.get("__name__") if writer is not None else None
        site = _CacheSite(file, user.f_lineno, {user.f_lineno}, text, library=library or "?")
    site.caller = _caller_of(user, file, site.line)
    return site


def _disabled_at(site):
    """The SO_DISABLE_CACHE_AT entry a cache call written on a user's line matches, if any."""
    if site is None or site.library:
        return None
    for entry in _disabled:
        if entry[0] == site.file and entry[1] in site.lines:
            return entry
    return None


# --- action tagging -------------------------------------------------------------------------


def _active_sc():
    from pyspark import SparkContext

    return SparkContext._active_spark_context


def _begin_action(name):
    _fault("action")
    sc = _active_sc()
    if sc is None:
        return None
    frame = _user_frame(sys._getframe(1))
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
        t0 = time.perf_counter()
        token = None
        try:
            token = _begin_action(name)
        except Exception as e:
            st.site = None
            _fail("tagging actions with their line", e)
        st.action_depth += 1
        spent = time.perf_counter() - t0
        try:
            return orig(*args, **kwargs)
        finally:
            t1 = time.perf_counter()
            st.action_depth -= 1
            try:
                _end_action(token)
            except Exception as e:
                _fail("restoring the call site after an action", e)
            _check_pending()
            _count("actions", spent + time.perf_counter() - t1)

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
    return bool(name) and re.search(r"\.(cache\(\)|persist\(.*\))( in [\w.?]+)? at .+:\d+( called from .+:\d+)?$", name) is not None


def _field(obj, name):
    """A private field of a JVM object (Java reflection through py4j), looked up once: each name
    read here belongs to one class (CachedRDDBuilder, CacheManager), and a py4j call costs about a
    millisecond."""
    f = _fields.get(name)
    if f is None:
        f = obj.getClass().getDeclaredField(name)
        f.setAccessible(True)
        _fields[name] = f
    return f


def _built_rdd(builder):
    """The cached RDD of a CacheManager entry if an action has built it already, else None.
    Reads the builder's field: asking cachedColumnBuffers() would build it, running Spark jobs."""
    try:
        return _field(builder, "_cachedColumnBuffers").get(builder)
    except Exception:
        # Not this field in some version: a fully loaded entry is free to read.
        return builder.cachedColumnBuffers() if builder.isCachedColumnBuffersLoaded() else None


def _dataframe_builder(spark, jdf):
    _fault("lookup")
    cm = spark._jsparkSession.sharedState().cacheManager()
    opt = cm.lookupCachedData(jdf)
    if not opt.isDefined():
        raise LookupError("the CacheManager has no entry for this DataFrame")
    return opt.get().cachedRepresentation().cacheBuilder()


def _pend(builder, site, name):
    with _lock:
        _pending.append((builder, site, name))


def _record_rdd(site, rdd_id, name):
    _event("cacheRdd", rddId=rdd_id, name=name, **site.fields())


def _check_pending():
    """After an action: the RDD ids of cached datasets that action built. Never raises."""
    if not _pending:
        return
    try:
        with _lock:
            for item in list(_pending):
                rdd = _built_rdd(item[0])
                if rdd is not None:
                    _pending.remove(item)
                    _record_rdd(item[1], rdd.id(), rdd.name())
    except Exception as e:
        _fail("reading the RDD ids of cached datasets", e)


def _name_dataframe(df, site):
    builder = _dataframe_builder(df.sparkSession, df._jdf)
    level = builder.storageLevel().description()
    rdd = _built_rdd(builder)
    if rdd is not None:
        # Cached and built before this call (an equal plan): its name is final.
        _event("cache", kind="dataframe", name=rdd.name(), rddId=rdd.id(), storageLevel=level, sharedWith=rdd.name(), **site.fields())
        _log("%s shares cached rdd %d (%r)" % (site.name(), rdd.id(), rdd.name()))
        return
    current = builder.cachedName()
    if _hook_named(current) or builder.tableName().isDefined():
        # Equal plans share one entry: the first line that cached it keeps the name.
        _event("cache", kind="dataframe", name=current, rddId=None, storageLevel=level, sharedWith=current, **site.fields())
        _log("%s shares the cached dataset %r" % (site.name(), current))
        return
    name = site.name()
    # Spark calls setName(cachedName) when the first action that scans the cache builds its RDD.
    _field(builder, "cachedName").set(builder, name)
    _event("cache", kind="dataframe", name=name, rddId=None, storageLevel=level, **site.fields())
    _log("cached DataFrame named %r (%s)" % (name, level))
    _pend(builder, site, name)


def _name_rdd(rdd, site):
    jrdd = rdd._jrdd
    old = jrdd.name()
    rdd_id = jrdd.id()
    level = jrdd.getStorageLevel().description()
    if old and not _hook_named(old):
        # A name set in code (rdd.setName) is the user's: keep it, record the line.
        _event("cache", kind="rdd", name=old, rddId=rdd_id, storageLevel=level, userName=True, **site.fields())
        _record_rdd(site, rdd_id, old)
        return
    name = site.name()
    jrdd.setName(name)
    _event("cache", kind="rdd", name=name, rddId=rdd_id, storageLevel=level, **site.fields())
    _record_rdd(site, rdd_id, name)
    _log("cached RDD %d named %r (%s)" % (rdd_id, name, level))


def _table_key(name):
    return name.replace("`", "").strip().lower()


def _table_builder(spark, table):
    """The CacheManager's entry of a cached table, found by the name Spark gave it (resolving the
    table again could list its files)."""
    cm = spark._jsparkSession.sharedState().cacheManager()
    entries = _field(cm, "cachedData").get(cm)
    want = _table_key(table)
    fallback = None
    for i in range(entries.size()):
        builder = entries.apply(i).cachedRepresentation().cacheBuilder()
        opt = builder.tableName()
        if not opt.isDefined():
            continue
        have = _table_key(opt.get())
        if have == want:
            return builder
        if fallback is None and have.split(".")[-1] == want.split(".")[-1]:
            fallback = builder
    if fallback is None:
        raise LookupError("the CacheManager has no entry for table %s" % table)
    return fallback


def _record_table(spark, table, site, how):
    builder = _table_builder(spark, table)
    name = builder.cachedName()
    rdd = _built_rdd(builder)
    _event("cache", kind=how, table=table, name=name, rddId=rdd.id() if rdd is not None else None,
           storageLevel=builder.storageLevel().description(), **site.fields())
    if rdd is not None:
        # CACHE TABLE (not LAZY): Spark computed it inside spark.sql.
        _record_rdd(site, rdd.id(), name)
    else:
        _pend(builder, site, name)


def _cache_wrapper(kind, method, orig, after):
    @functools.wraps(orig)
    def wrapper(self, *args, **kwargs):
        st = _st()
        if st.cache_depth > 0:
            return orig(self, *args, **kwargs)
        t0 = time.perf_counter()
        site = None
        try:
            site = _cache_site(method)
        except Exception as e:
            _fail("finding the line of a cache call", e)
        entry = _disabled_at(site)
        if entry is not None:
            _disabled_hits.add(entry)
            _log("%s at %s:%d switched off by SO_DISABLE_CACHE_AT: not cached" % (site.call_text, site.file, site.line))
            _event("disabled", kind=kind, listed={"file": entry[0], "line": entry[1]}, **site.fields())
            _count("cacheCalls", time.perf_counter() - t0)
            return None if kind == "table" else self
        spent = time.perf_counter() - t0
        st.cache_depth += 1
        try:
            result = orig(self, *args, **kwargs)
        finally:
            st.cache_depth -= 1
        t1 = time.perf_counter()
        if site is not None:
            try:
                after(self, site, args, kwargs)
            except Exception as e:
                _fail("naming a cached %s after its line" % ("DataFrame" if kind == "dataframe" else kind), e)
        _count("cacheCalls", spent + time.perf_counter() - t1)
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
                _record_table(self, m.group(2), site, "sqlCacheTable")
            except Exception as e:
                _fail("recording a CACHE TABLE", e)
        return result

    wrapper.__so_hooked__ = True
    return wrapper


# --- installation -----------------------------------------------------------------------------


def _parse_disabled(spec):
    """SO_DISABLE_CACHE_AT: a JSON list of {"file", "line"}; the older "<path>:<line>,..." form
    (no commas in paths) is still read."""
    spec = (spec or "").strip()
    out = []
    if spec.startswith("["):
        for item in json.loads(spec):
            if isinstance(item, dict) and isinstance(item.get("file"), str) and isinstance(item.get("line"), int):
                out.append((_abs(item["file"]), item["line"]))
        return out
    for part in spec.split(","):
        path, _, line = part.strip().rpartition(":")
        if path and line.isdigit():
            out.append((_abs(path), int(line)))
    return out


def _count(what, seconds):
    _cost[what] += 1
    _cost["seconds"] += seconds


def _at_exit():
    """A listed call that never ran was not switched off: say so, for Measure Cache Impact. And
    what the hook cost the job's threads."""
    for entry in _disabled:
        if entry not in _disabled_hits:
            _log("SO_DISABLE_CACHE_AT: no cache call ran at %s:%d, nothing was switched off there" % entry)
            _event("disableNotReached", file=entry[0], line=entry[1])
    _event("exit", hookSeconds=round(_cost["seconds"], 6), actions=_cost["actions"], cacheCalls=_cost["cacheCalls"])


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


LINES = "lines on actions"
DATASETS = "cached datasets"


def _connect_env():
    """A Spark Connect session that the environment asks for, whatever the file does."""
    if os.environ.get("SPARK_REMOTE"):
        return "SPARK_REMOTE=%s" % os.environ["SPARK_REMOTE"]
    if os.environ.get("SPARK_CONNECT_MODE_ENABLED") == "1":
        return "SPARK_CONNECT_MODE_ENABLED=1"
    if (os.environ.get("SPARK_API_MODE") or "").lower() == "connect":
        return "SPARK_API_MODE=connect"
    return None


def install(user_file=None):
    """Patches classic PySpark in this interpreter; idempotent; never raises. Returns what is
    active, for announce(): {"hook": "classic", "pyspark", "active": [...], "inactive": {what: why}}."""
    global _installed, _events_path, _disabled, _faults, _status
    if _installed:
        return _status
    _installed = True
    _events_path = os.environ.get("SO_HOOK_EVENTS") or None
    _faults = set(x.strip() for x in os.environ.get("SO_HOOK_FAULT", "").split(",") if x.strip())
    status = {"hook": "classic", "pyspark": None, "file": _abs(user_file) if user_file else None,
              "active": [], "inactive": {}, "connect": _connect_env()}
    _status = status
    try:
        _disabled = _parse_disabled(os.environ.get("SO_DISABLE_CACHE_AT"))
    except Exception as e:
        status["inactive"]["switching caches off"] = "SO_DISABLE_CACHE_AT unreadable: %s" % e
    atexit.register(_at_exit)
    try:
        pyspark, DataFrame, RDD, readwriter, Catalog, SparkSession = _classes()
        import py4j

        status["pyspark"] = getattr(pyspark, "__version__", "?")
        _internal_dirs[:] = [
            _hook_dir,
            os.path.dirname(os.path.abspath(pyspark.__file__)) + os.sep,
            os.path.dirname(os.path.abspath(py4j.__file__)) + os.sep,
        ]
        _foreign_dirs[:] = _foreign_roots()
        if user_file:
            # The file Run File runs is the user's, wherever it lies.
            _user_files[_abs(user_file)] = True
    except Exception as e:
        reason = "no classic PySpark here (%s: %s)" % (type(e).__name__, e)
        status["inactive"] = {LINES: reason, DATASETS: reason}
        return status
    steps = [
        (LINES, "DataFrame actions", lambda: _patch(DataFrame, DATAFRAME_ACTIONS, _action)),
        (LINES, "writes", lambda: _patch(readwriter.DataFrameWriter, WRITER_ACTIONS, _action)),
        (LINES, "v2 writes", lambda: _patch(readwriter.DataFrameWriterV2, WRITER_V2_ACTIONS, _action)),
        (LINES, "RDD actions", lambda: _patch(RDD, RDD_ACTIONS, _action)),
        (LINES, "PySpark's own call sites", _patch_call_site_sync),
        (DATASETS, "DataFrame.cache/persist", lambda: _patch(DataFrame, ["cache", "persist"], lambda n, o: _cache_wrapper(
            "dataframe", n, o, lambda df, site, a, k: _name_dataframe(df, site)))),
        (DATASETS, "RDD.cache/persist", lambda: _patch(RDD, ["cache", "persist"], lambda n, o: _cache_wrapper(
            "rdd", n, o, lambda rdd, site, a, k: _name_rdd(rdd, site)))),
        (DATASETS, "Catalog.cacheTable", lambda: _patch(Catalog, ["cacheTable"], lambda n, o: _cache_wrapper(
            "table", n, o, lambda cat, site, a, k: _record_table(cat._sparkSession, (list(a) + [k.get("tableName")])[0], site, "cacheTable")))),
        (LINES, "SparkSession.sql", lambda: _patch(SparkSession, ["sql"], lambda n, o: _sql_wrapper(o))),
    ]
    for feature, what, step in steps:
        try:
            step()
        except Exception as e:
            status["inactive"].setdefault(feature, "installing the hook for %s failed (%s: %s)" % (what, type(e).__name__, e))
    status["active"] = [f for f in (LINES, DATASETS) if f not in status["inactive"]]
    return status


def status_line(classic, connect=None):
    """What the hook says first: what is active, or what is not and why. `connect` is the Spark
    Connect hook's status when one was installed next to this one."""
    version = (classic or {}).get("pyspark") or (connect or {}).get("pyspark") or "?"
    connect_part = "Spark Connect sessions: lines on actions and cached datasets (the Connect hook)" if connect and connect.get("active") else None
    if classic and classic.get("connect"):
        # The environment makes this a Spark Connect run: the classic hook has nothing to do.
        if connect_part:
            return "hook active (pyspark %s, Spark Connect, %s): lines on actions and cached datasets (the Connect hook)" % (version, classic["connect"])
        why = (connect or {}).get("reason") or "no Connect hook is installed"
        return "hook not active (pyspark %s): a Spark Connect session (%s), and %s" % (version, classic["connect"], why)
    active = (classic or {}).get("active") or []
    inactive = (classic or {}).get("inactive") or {}
    if not active:
        reason = "; ".join(sorted(set(inactive.values()))) or "not installed"
        if connect_part:
            return "hook active (pyspark %s): %s; classic PySpark not active: %s" % (version, connect_part, reason)
        return "hook not active (pyspark %s): %s" % (version, reason)
    text = "hook active (pyspark %s, classic): %s" % (version, " and ".join(active))
    off = ["%s not %s (%s)" % (f, "named" if f == DATASETS else "tagged", why) for f, why in sorted(inactive.items())]
    return "; ".join([text] + off + ([connect_part] if connect_part else []))


def announce(classic, connect=None):
    """The first line on stderr and the first event: what the hook does in this run."""
    line = status_line(classic, connect)
    _log(line)
    _event("ready", status=line, pysparkVersion=(classic or {}).get("pyspark"), file=(classic or {}).get("file"),
           active=(classic or {}).get("active") or [], inactive=(classic or {}).get("inactive") or {},
           disabled=[{"file": f, "line": n} for f, n in _disabled])
    return line
