"""Spark Observatory's runner: spark-submit runs this file instead of the user's, it installs the
hook (spark_observatory_hook.py, next to it) and then runs the user's file unchanged, as
`python file.py args...` would: __name__ == "__main__", sys.argv = [file, *args], sys.path[0] =
the file's folder. The user's file is never edited.

    spark-submit [options] so_run.py /abs/path/job.py [job args...]
"""
import os
import runpy
import sys


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("[spark-observatory] usage: so_run.py FILE.py [ARGS...]\n")
        sys.exit(2)
    here = os.path.dirname(os.path.abspath(__file__))
    user_file = os.path.abspath(sys.argv[1])
    try:
        sys.path.insert(0, here)
        import spark_observatory_hook

        spark_observatory_hook.install(user_file)
    except Exception as e:  # the job runs whatever happens to the hook
        sys.stderr.write("[spark-observatory] hook not installed: %s: %s\n" % (type(e).__name__, e))
    try:  # Spark Connect sessions: client-side job tags (it imports nothing until Connect is used)
        import spark_observatory_connect

        spark_observatory_connect.install(user_file)
    except Exception as e:
        sys.stderr.write("[spark-observatory] Connect hook not installed: %s: %s\n" % (type(e).__name__, e))
    finally:
        # The user's file sees the interpreter as if it had been started on it.
        while here in sys.path:
            sys.path.remove(here)
    sys.argv = [user_file] + sys.argv[2:]
    sys.path.insert(0, os.path.dirname(user_file))
    runpy.run_path(user_file, run_name="__main__")


if __name__ == "__main__":
    main()
