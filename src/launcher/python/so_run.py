"""Spark Observatory's runner: spark-submit runs this file instead of the user's, it installs the
hooks (spark_observatory_hook.py for classic PySpark, next to it), says in one line what they do,
and then runs the user's file unchanged, as `python file.py args...` would: __name__ ==
"__main__", sys.argv = [file, *args], sys.path[0] = the file's folder. The user's file is never
edited.

    spark-submit [options] so_run.py /abs/path/job.py [job args...]
"""
import os
import runpy
import sys


def install_hooks(user_file):
    """Installs every hook; the first line the run prints says what is active. Never raises."""
    classic = None
    connect = None
    try:
        import spark_observatory_hook

        classic = spark_observatory_hook.install(user_file)
        try:
            # Spark Connect sessions have their own hook (client side, job tags); it imports
            # nothing until the program imports Spark Connect. Its status joins the first line.
            import spark_observatory_connect

            connect = spark_observatory_connect.install(user_file)
        except Exception as e:
            connect = {"active": False, "reason": "%s: %s" % (type(e).__name__, e)}
        spark_observatory_hook.announce(classic, connect)
    except Exception as e:  # the job runs whatever happens to the hooks
        sys.stderr.write("[spark-observatory] hook not active: %s: %s\n" % (type(e).__name__, e))


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("[spark-observatory] usage: so_run.py FILE.py [ARGS...]\n")
        sys.exit(2)
    here = os.path.dirname(os.path.abspath(__file__))
    user_file = os.path.abspath(sys.argv[1])
    try:
        sys.path.insert(0, here)
        install_hooks(user_file)
    finally:
        # The user's file sees the interpreter as if it had been started on it.
        while here in sys.path:
            sys.path.remove(here)
    sys.argv = [user_file] + sys.argv[2:]
    sys.path.insert(0, os.path.dirname(user_file))
    runpy.run_path(user_file, run_name="__main__")


if __name__ == "__main__":
    main()
