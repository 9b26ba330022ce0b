"""Spark Observatory's hook for Spark Connect clients (pyspark 4.x with its `connect` extra,
`pyspark-client`, `spark.api.mode=connect`; tried on 4.3.0). The client has no py4j and no SparkContext, so the
classic hook's call sites and RDD names cannot reach the server; this hook works on the client
side only and changes no result of the job:

* Every ExecutePlan request (DataFrame actions, writes, spark.sql commands, catalog commands)
  carries a job tag naming the user's line:
      spark-observatory:action:<line>:<function>:<path>
  The server stores it on every job of the operation, prefixed
  (`SparkConnect_SessionTag_User_<user>_Session_<session>_Tag_<tag>`), and /api/v1/.../jobs lists
  it in `jobTags`. The tag is added to that one request, never to the session's tags, so nothing
  is left behind after the action.
* Every `.cache()`/`.persist()` call is recorded with its line and the DataFrame's client-side
  plan id. The first request whose plan contains that plan id (the action that materialises
  the cached data) carries one more tag:
      spark-observatory:cache:<line>:<n>:<call text>:<path>
  (n counts the cache calls of this process, so a cache call in a loop gives one tag per
  DataFrame). The extension reads that operation's jobs, their stages' `rddIds` and
  /storage/rdd to tell which cached dataset the call made (src/model/connectSites.ts).
* Tags may not hold commas (Spark's separator); the hook percent-encodes `%`, `,`, control
  characters, and `:` in every field but the last (the path, which may hold a drive letter).
* SO_DISABLE_CACHE_AT (a JSON list of {"file", "line"}, or the older `path:line,...`): a
  cache/persist/cacheTable call from one of those lines is skipped on the client and the
  DataFrame returned uncached (Measure Cache Impact).
* SO_HOOK_EVENTS names a file that gets one JSON line per event (session, action, cache,
  first use, disabled, failure).
* No Spark work of its own: no AnalyzePlan (schema, explain) and no ExecutePlan. Once per session
  it reads a few settings (Config RPC, not a job) to say which application and UI serve it.

Run File installs it through so_run.py. In a session you start yourself against an existing
server (a notebook, a REPL, a script run without Run File):

    import sys; sys.path.insert(0, "<extension>/dist/python")
    import spark_observatory_connect; spark_observatory_connect.install()

before or after the session is created. Nothing is imported from PySpark until the program
imports Spark Connect itself, so installing it costs nothing in a classic program.
"""
import functools
import importlib.abc
import json
import linecache
import os
import re
import sys
import sysconfig
import threading
import time

PREFIX = "[spark-observatory]"
TAG = "spark-observatory"
MAX_CALL_TEXT = 120
# Spark Connect's modules that, once executed, let every class this hook wraps be imported.
TRIGGER_MODULE = "pyspark.sql.connect.session"

_installed = False
_patched = False
_lock = threading.RLock()
_internal_dirs = []
_disabled = set()
_caches = []
_seq = [0]
_sessions = set()


# --- what the hook says: stderr, the events file, one line per kind of failure ---------------


class _Journal(object):
    """The hook's voice. Nothing it does may stop the job, so nothing here raises."""

    def __init__(self):
        self.path = None
        self.failed = set()

    def say(self, msg):
        try:
            sys.stderr.write("%s %s\n" % (PREFIX, msg))
            sys.stderr.flush()
        except Exception:
            pass

    def record(self, event_type, **fields):
        """One JSON line in SO_HOOK_EVENTS (when set)."""
        if not self.path:
            return
        fields.update(event=event_type, time=time.time())
        try:
            line = json.dumps(fields) + "\n"
            with _lock, open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
        except Exception as e:
            self.failure("writing events", e, record=False)

    def failure(self, kind, exc, record=True):
        """Said once per kind of failure; the job goes on without that part of the hook."""
        with _lock:
            first = kind not in self.failed
            self.failed.add(kind)
        if not first:
            return
        text = (str(exc).strip().splitlines() or [""])[0][:300]
        self.say("Connect hook: %s failed (%s%s); the job runs on without it" % (kind, type(exc).__name__, ": " + text if text else ""))
        if record:
            self.record("failure", kind=kind, error="%s: %s" % (type(exc).__name__, text))


_journal = _Journal()
_log = _journal.say
_event = _journal.record
_fail = _journal.failure


# --- tags -----------------------------------------------------------------------------------


def _encode(text, last):
    """Percent-encodes what a tag field may not hold: `%`, `,` (Spark's tag separator), control
    characters, and `:` except in the last field."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch == "%" or ch == "," or o < 0x20 or o == 0x7F or (ch == ":" and not last):
            out.append("".join("%%%02X" % b for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def action_tag(line, fn, path):
    return "%s:action:%d:%s:%s" % (TAG, line, _encode(fn, False), _encode(path, True))


def cache_tag(line, seq, call_text, path):
    return "%s:cache:%d:%d:%s:%s" % (TAG, line, seq, _encode(call_text, False), _encode(path, True))


# --- where a call comes from ----------------------------------------------------------------


def _is_internal(filename):
    if not filename or filename.startswith("<"):
        return True
    return any(filename.startswith(d) for d in _internal_dirs)


_GENERIC = {"wrapper", "wrapped", "inner", "_wrapper", "decorator", "<genexpr>", "<lambda>"}


def _user_site():
    """(innermost user frame, name of the API function it called) or (None, None): frames of
    PySpark, site-packages, the standard library and this hook are not the user's."""
    f = sys._getframe(1)
    callee = None
    names = []
    while f is not None:
        if not _is_internal(f.f_code.co_filename):
            # The API function the user called: the outermost internal frame; a decorator's
            # wrapper names nothing, so the next one in is taken.
            fn = next((n for n in reversed(names) if n not in _GENERIC), None)
            return f, fn or (callee.f_code.co_name if callee is not None else "?")
        callee = f
        names.append(f.f_code.co_name)
        f = f.f_back
    return None, None


def _call_end(frame):
    """(line, column in UTF-8 bytes) where the call running in `frame` ends (Python 3.11+), or None."""
    try:
        span = list(frame.f_code.co_positions())[frame.f_lasti // 2]
        return None if span[1] is None or span[3] is None else (span[1], span[3])
    except Exception:
        return None


def _squeeze(text):
    text = re.sub(r"\s+", " ", re.sub(r"\s*\n\s*", "", text.strip()))
    return text if len(text) <= MAX_CALL_TEXT else text[: MAX_CALL_TEXT - 1] + "\u2026"


_trees = {}


def _method_calls(filename):
    """({(end line, end col): ast.Call} of every `<receiver>.<method>(...)`, source) of a file, parsed once."""
    hit = _trees.get(filename)
    if hit is None:
        import ast

        source = "".join(linecache.getlines(filename))
        try:
            nodes = ast.walk(ast.parse(source))
            calls = {(n.end_lineno, n.end_col_offset): n for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
        except (SyntaxError, ValueError):
            calls = {}
        if len(_trees) > 50:
            _trees.clear()
        hit = _trees[filename] = (calls, source)
    return hit


def _cache_site(frame, methods):
    """(path, line of the `.cache`/`.persist` token, lines that may name the call, call text),
    lines counted as the extension's scanner does: the method's own line in a chain over several
    lines. The running call is found in the file's syntax tree by where it ends (ast and
    co_positions both count columns in UTF-8 bytes)."""
    import ast

    filename = frame.f_code.co_filename
    path = os.path.abspath(filename)
    line = frame.f_lineno
    end = _call_end(frame)
    calls, source = _method_calls(filename)
    node = calls.get(end) if end is not None else None
    if node is None or node.func.attr not in methods:
        return path, line, {line}, "?.%s()" % methods[0]
    args = [ast.get_source_segment(source, a) or "?" for a in node.args]
    args += ["%s=%s" % (k.arg, ast.get_source_segment(source, k.value) or "?") if k.arg else "**?" for k in node.keywords]
    receiver = _squeeze(ast.get_source_segment(source, node.func.value) or "") or "?"
    call_text = "%s.%s(%s)" % (receiver, node.func.attr, _squeeze(", ".join(args)))
    at = node.func.end_lineno
    return path, at, {line, at, node.lineno}, call_text


def _disabled_at(path, lines):
    return any((path, n) in _disabled for n in lines)


def parse_disabled(spec):
    """SO_DISABLE_CACHE_AT: a JSON list of {"file", "line"}, or the older `path:line,...`."""
    out = set()
    spec = (spec or "").strip()
    if not spec:
        return out
    if spec.startswith("["):
        try:
            for item in json.loads(spec):
                if isinstance(item, dict) and isinstance(item.get("file"), str) and int(item.get("line", 0)) > 0:
                    out.add((os.path.abspath(item["file"]), int(item["line"])))
            return out
        except (ValueError, TypeError) as e:
            _fail("reading SO_DISABLE_CACHE_AT", e)
            return out
    for part in spec.split(","):
        path, _, line = part.strip().rpartition(":")
        if path and line.isdigit():
            out.add((os.path.abspath(path), int(line)))
    return out


# --- the plans a request runs ---------------------------------------------------------------


def _repeated(fd):
    flag = getattr(fd, "is_repeated", None)
    return flag if flag is not None else fd.label == fd.LABEL_REPEATED


def _plan_ids(client, req):
    """Client-side plan ids of every relation in the request's plan (the plan may be compressed)."""
    plan = req.plan
    which = plan.WhichOneof("op_type")
    if which == "root":
        msg = plan.root
    elif which == "command":
        msg = plan.command
    elif which == "compressed_operation":
        from pyspark.sql.connect.proto import base_pb2, commands_pb2, relations_pb2

        op = plan.compressed_operation
        data = client._zstd_module.decompress(op.data)
        is_rel = op.op_type == base_pb2.Plan.CompressedOperation.OpType.OP_TYPE_RELATION
        msg = (relations_pb2.Relation if is_rel else commands_pb2.Command).FromString(data)
    else:
        return set()
    ids = set()
    stack = [msg]
    while stack:
        m = stack.pop()
        if m.DESCRIPTOR.name == "RelationCommon" and m.HasField("plan_id"):
            ids.add(m.plan_id)
        for fd, value in m.ListFields():
            if fd.message_type is None:
                continue
            if fd.message_type.GetOptions().map_entry:
                value_fd = fd.message_type.fields_by_name["value"]
                if value_fd.message_type is not None:
                    stack.extend(value.values())
            elif _repeated(fd):
                stack.extend(value)
            else:
                stack.append(value)
    return ids


# --- sessions -------------------------------------------------------------------------------


def _note_session(client):
    """Once per session: which application and Spark UI serve it (a Config RPC, not a job)."""
    sid = getattr(client, "_session_id", None)
    with _lock:
        if sid in _sessions:
            return
        _sessions.add(sid)
    keys = ("spark.app.id", "spark.app.name", "spark.ui.port", "spark.driver.host", "spark.master")
    values = client.get_config_with_defaults(*[(k, None) for k in keys])
    facts = dict(zip(("appId", "appName", "uiPort", "driverHost", "master"), values))
    builder = getattr(client, "_builder", None)
    endpoint = getattr(builder, "endpoint", None) if builder is not None else None
    _event("connect-session", sessionId=sid, endpoint=endpoint, **facts)
    _log("Spark Connect session %s on %s: application %s, Spark UI port %s" % (
        sid, endpoint or "?", facts["appId"], facts["uiPort"]))


# --- tagging requests -----------------------------------------------------------------------


class _Cached(object):
    __slots__ = ("plan_id", "path", "line", "seq", "call_text", "done")

    def __init__(self, plan_id, path, line, seq, call_text):
        self.plan_id = plan_id
        self.path = path
        self.line = line
        self.seq = seq
        self.call_text = call_text
        self.done = False


def _tag_request(client, req):
    """Adds this request's tags; returns the cached DataFrames it is the first use of."""
    frame, fn = _user_site()
    if frame is None:
        return []
    path = os.path.abspath(frame.f_code.co_filename)
    tags = [action_tag(frame.f_lineno, fn, path)]
    with _lock:
        pending = [c for c in _caches if not c.done]
    first = []
    if pending:
        ids = _plan_ids(client, req)
        first = [c for c in pending if c.plan_id in ids]
        tags.extend(cache_tag(c.line, c.seq, c.call_text, c.path) for c in first)
    req.tags.extend(tags)
    _event("action", fn=fn, file=path, line=frame.f_lineno, operationId=req.operation_id, tags=tags)
    return first


def _before(client, req):
    try:
        _note_session(client)
    except Exception as e:
        _fail("reading the session's application and UI port", e)
    try:
        return _tag_request(client, req)
    except Exception as e:
        _fail("tagging an action with its line", e)
        return []


def _after(req, first):
    for c in first:
        c.done = True
        _event("cache-first-use", file=c.path, line=c.line, seq=c.seq, operationId=req.operation_id)


def _hooked(fn):
    """Marks a wrapper, so that installing twice never wraps twice."""
    fn.__so_hooked__ = True
    return fn


def _request_of(args, kwargs):
    return args[0] if args else kwargs.get("req")


def _wrap_execute(orig):
    @_hooked
    @functools.wraps(orig)
    def _execute(self, *args, **kwargs):
        req = _request_of(args, kwargs)
        first = _before(self, req)
        result = orig(self, *args, **kwargs)
        _after(req, first)
        return result

    return _execute


def _wrap_iterator(orig):
    @_hooked
    @functools.wraps(orig)
    def _execute_and_fetch_as_iterator(self, *args, **kwargs):
        # A generator as the original is: the request is tagged when the caller starts to
        # iterate, from the frame that iterates (toLocalIterator's for loop is the user's line).
        req = _request_of(args, kwargs)
        first = _before(self, req)
        try:
            for item in orig(self, *args, **kwargs):
                yield item
        except GeneratorExit:
            _after(req, first)
            raise
        _after(req, first)

    return _execute_and_fetch_as_iterator


# --- cache calls ----------------------------------------------------------------------------

def _switched_off(methods, kind):
    """The site of the cache call being made, and whether SO_DISABLE_CACHE_AT switches it off."""
    try:
        frame, _ = _user_site()
        site = _cache_site(frame, methods) if frame is not None else None
    except Exception as e:
        _fail("finding the line of a %s call" % "/".join(methods), e)
        return None, False
    if site is None or not _disabled_at(site[0], site[2]):
        return site, False
    _log("%s at %s:%d switched off by SO_DISABLE_CACHE_AT: not cached" % (site[3], site[0], site[1]))
    _event("disabled", kind=kind, file=site[0], line=site[1], call=site[3])
    return site, True


def _remember(df, site):
    """A cached DataFrame, by its client-side plan id, until the action that first uses it."""
    with _lock:
        _seq[0] += 1
        c = _Cached(df._plan._plan_id, site[0], site[1], _seq[0], site[3])
        _caches.append(c)
    _event("cache", kind="dataframe", file=c.path, line=c.line, seq=c.seq, planId=c.plan_id, call=c.call_text)
    _log("cached DataFrame %s at %s:%d (plan %d): matched through its first action" % (c.call_text, c.path, c.line, c.plan_id))


def _wrap_persist(orig):
    # Only persist is wrapped: Connect's cache() is persist() with the default level, and the
    # call's own text tells which of the two the user wrote.
    @_hooked
    @functools.wraps(orig)
    def persist(self, *args, **kwargs):
        site, off = _switched_off(("cache", "persist"), "dataframe")
        if off:
            return self
        result = orig(self, *args, **kwargs)
        if site is not None:
            try:
                _remember(self, site)
            except Exception as e:
                _fail("recording a cached DataFrame", e)
        return result

    return persist


def _wrap_cache_table(orig):
    @_hooked
    @functools.wraps(orig)
    def cacheTable(self, *args, **kwargs):
        # Its entry is named `In-memory table <t>` by Spark: the extension matches it by name.
        if _switched_off(("cacheTable",), "table")[1]:
            return None
        return orig(self, *args, **kwargs)

    return cacheTable


# --- installation ---------------------------------------------------------------------------


def _set(cls, name, make):
    orig = cls.__dict__.get(name) or getattr(cls, name, None)
    if orig is None or getattr(orig, "__so_hooked__", False):
        return
    setattr(cls, name, make(orig))


def _patch():
    """Wraps the Connect client's classes; idempotent. Never raises."""
    global _patched
    with _lock:
        if _patched:
            return
        _patched = True
    try:
        import pyspark
        from pyspark.sql.connect.client.core import SparkConnectClient
        from pyspark.sql.connect.dataframe import DataFrame
        from pyspark.sql.connect.catalog import Catalog
    except Exception as e:
        _fail("finding Spark Connect's classes", e)
        return
    wrappers = (
        (SparkConnectClient, "_execute", _wrap_execute),  # UDF and data source registrations
        (SparkConnectClient, "_execute_and_fetch_as_iterator", _wrap_iterator),  # every query and command
        (DataFrame, "persist", _wrap_persist),
        (Catalog, "cacheTable", _wrap_cache_table),
    )
    for cls, name, wrap in wrappers:
        try:
            _set(cls, name, wrap)
        except Exception as e:
            _fail("wrapping %s.%s" % (cls.__name__, name), e)
    version = getattr(pyspark, "__version__", "?")
    _event("connect-ready", pysparkVersion=version, disabled=["%s:%d" % d for d in sorted(_disabled)])
    _log("Spark Connect hook installed (pyspark %s): each action tagged with its line (job tags), "
         "each cached DataFrame with the action that first uses it" % version)


class _LoaderProxy(object):
    """Runs the real loader, then patches: Spark Connect is wrapped the moment it is imported."""

    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _patch()


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname != TRIGGER_MODULE or _patched:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _LoaderProxy(spec.loader)
                return spec
        return None


def _internal():
    dirs = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            dirs.add(os.path.abspath(p) + os.sep)
    try:
        import site

        for p in site.getsitepackages() + [site.getusersitepackages()]:
            dirs.add(os.path.abspath(p) + os.sep)
    except Exception:
        pass
    dirs.add(os.path.dirname(os.path.abspath(__file__)) + os.sep)
    # pyspark's own folder, wherever it is (spark-submit runs it from python/lib/pyspark.zip).
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    if spec is not None and spec.origin:
        dirs.add(os.path.dirname(os.path.abspath(spec.origin)) + os.sep)
    return sorted(dirs)


def install(user_file=None):
    """Wraps Spark Connect's client now if it is imported, else the moment it is; idempotent.
    Never raises. `user_file` is only recorded. Returns its status for the first line:
    {"active": True} once ready, {"active": False, "reason": ...} when it could not be."""
    global _installed, _disabled
    with _lock:
        if _installed:
            return {"active": True}
        _installed = True
    try:
        _journal.path = os.environ.get("SO_HOOK_EVENTS") or None
        _disabled = parse_disabled(os.environ.get("SO_DISABLE_CACHE_AT"))
        _internal_dirs[:] = _internal()
        if TRIGGER_MODULE in sys.modules:
            _patch()
        else:
            sys.meta_path.insert(0, _Finder())
    except Exception as e:
        _fail("installing the Connect hook", e)
        return {"active": False, "reason": "installing the Connect hook failed (%s: %s)" % (type(e).__name__, e)}
    return {"active": True}
