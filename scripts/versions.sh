# Pinned versions of everything the scripts install. Sourced by the other scripts.
# The heavy, versioned installs live in a per-user cache keyed by version, so a fresh
# clone (what CI runs) reuses them.
SO_CACHE="${SPARK_OBSERVATORY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spark-observatory}"
PYSPARK_VERSION="${PYSPARK_VERSION:-4.3.0}"      # latest 4.x
PYSPARK_COMPAT_VERSION="3.5.9"                    # latest 3.5.x, for compatibility runs
CODE_SERVER_VERSION="4.100.3"                     # newest that runs on Node 20 (VS Code 1.100.3)
APT_PACKAGES="prometheus chromium libkrb5-dev ripgrep"
PYSPARK_CONNECT_VERSION="4.3.0"                   # pyspark[connect]: the Spark Connect client and server
# Real event logs of Spark 1.2–3.3 written by Spark's own tests (spark-events/ in the tests jar
# of spark-core on Maven Central), for the findings and compare tests over a History Server.
SPARK_EVENT_LOGS_VERSION="4.0.1"
SPARK_EVENT_LOGS_URL="https://repo1.maven.org/maven2/org/apache/spark/spark-core_2.13/$SPARK_EVENT_LOGS_VERSION/spark-core_2.13-$SPARK_EVENT_LOGS_VERSION-tests.jar"
SPARK_EVENT_LOGS_SHA1="ff4dc6f85b2301440f6a72b0f795844e018a9627"   # as Maven Central publishes it (.sha1)
event_logs_dir() { echo "$SO_CACHE/spark-events-$SPARK_EVENT_LOGS_VERSION"; }
venv_dir() { echo "$SO_CACHE/pyspark-$1"; }
# A venv of its own: the connect extra brings pandas, pyarrow, grpcio… which the classic venvs
# must not see (a classic run must not pick up Connect by accident).
connect_venv_dir() { echo "$SO_CACHE/pyspark-connect-$1"; }
code_server_dir() { echo "$SO_CACHE/code-server-$CODE_SERVER_VERSION"; }
