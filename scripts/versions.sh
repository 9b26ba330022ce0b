# Pinned versions of everything the scripts install. Sourced by the other scripts.
# The heavy, versioned installs live in a per-user cache keyed by version, so a fresh
# clone (what CI runs) reuses them.
SO_CACHE="${SPARK_OBSERVATORY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spark-observatory}"
PYSPARK_VERSION="${PYSPARK_VERSION:-4.3.0}"      # latest 4.x
PYSPARK_COMPAT_VERSION="3.5.9"                    # latest 3.5.x, for compatibility runs
CODE_SERVER_VERSION="4.100.3"                     # newest that runs on Node 20 (VS Code 1.100.3)
APT_PACKAGES="prometheus chromium libkrb5-dev ripgrep"
PYSPARK_CONNECT_VERSION="4.3.0"                   # pyspark[connect]: the Spark Connect client and server
venv_dir() { echo "$SO_CACHE/pyspark-$1"; }
# A venv of its own: the connect extra brings pandas, pyarrow, grpcio… which the classic venvs
# must not see (a classic run must not pick up Connect by accident).
connect_venv_dir() { echo "$SO_CACHE/pyspark-connect-$1"; }
code_server_dir() { echo "$SO_CACHE/code-server-$CODE_SERVER_VERSION"; }
