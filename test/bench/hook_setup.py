"""Measures the hook's set-up for one PySpark file, without Spark: install() (PySpark imported
first, as the user's file would), then the first cache call the file makes, whose line and call
text the hook reads from the file. Prints one JSON object. Used by test/bench/hook.bench.ts, and by
test/integration/hookCallSites.test.ts for the names alone.

    python hook_setup.py HOOK_DIR FILE.py

FILE.py is run with runpy and the globals `probe`, whose cache() and persist() go through the
hook's own cache wrapper (its naming step left out: there is no JVM), `_clock()` (wall and CPU time) and
`_report(*clocks)`: the file calls probe.cache() as a user's file calls df.cache() and reads the
clock around each call. Times are reported wall and CPU (this process's), in ms.
"""
import json
import os
import runpy
import sys
import time

hook_dir, target = sys.argv[1], os.path.abspath(sys.argv[2])
# What a PySpark file imports itself (the hook's install() imports the same modules earlier).
from pyspark.sql import SparkSession, functions  # noqa: E402,F401

sys.path.insert(0, hook_dir)
t0, c0 = time.perf_counter(), time.process_time()
import spark_observatory_hook as hook  # noqa: E402

hook.install(target)
t_install, c_install = time.perf_counter() - t0, time.process_time() - c0
sys.path.remove(hook_dir)
# This driver stands where so_run.py stands: not one of the user's files.
hook._internal_dirs.append(os.path.abspath(__file__))

sites = []
timings = []


class Probe(object):
    def cache(self):
        return self

    def persist(self, *args):
        return self


def _named(obj, site, args, kwargs):
    # (An older hook's site has no name(): the bench can measure it too, for a before/after.)
    sites.append(site.name() if hasattr(site, "name") else "%s at %s:%d" % (site.call_text, site.file, site.line))


for _method in ("cache", "persist"):
    setattr(Probe, _method, hook._cache_wrapper("probe", _method, getattr(Probe, _method), _named))
runpy.run_path(target, run_name="__main__", init_globals={
    "probe": Probe(), "_clock": lambda: (time.perf_counter(), time.process_time()),
    "_report": lambda *clocks: timings.extend(zip(clocks, clocks[1:]))})
print(json.dumps({"installMs": t_install * 1000, "installCpuMs": c_install * 1000,
                  "cacheCallsMs": [(b[0] - a[0]) * 1000 for a, b in timings],
                  "cacheCallsCpuMs": [(b[1] - a[1]) * 1000 for a, b in timings], "names": sites}))
