"""The seed experiment: two DataFrames of random vectors (four double columns each), both cached,
cross-joined, and the dot products of the pairs aggregated with a groupBy.

The lenses above each .cache() show what that DataFrame really takes in storage memory.
"Measure impact" on a lens runs this file without that cache and as written, and compares the
two runs (time, memory, GC) side by side, as the talk this project grew from did by hand.
"""
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
queries = int(sys.argv[2]) if len(sys.argv) > 2 else 24

spark = SparkSession.builder.appName("seed").getOrCreate()

vectors = spark.range(rows).select(*[F.randn(seed=10 + i).alias(f"x{i}") for i in range(4)])
vectors.cache()
probes = spark.range(queries).select(*[F.randn(seed=20 + i).alias(f"y{i}") for i in range(4)])
probes = probes.cache()
print("rows:", vectors.count(), probes.count())

pairs = vectors.crossJoin(probes)
dot = sum(F.col(f"x{i}") * F.col(f"y{i}") for i in range(4))

histogram = (pairs.groupBy(F.floor(dot).alias("bucket"))
             .agg(F.count("*").alias("pairs"), F.avg(dot).alias("mean_dot"))
             .orderBy("bucket"))
for row in histogram.collect():
    print(f"dot in [{row.bucket}, {row.bucket + 1}): {row.pairs} pairs")

pairs.groupBy().agg(*[F.avg(F.col(f"x{i}") * F.col(f"y{i}")).alias(f"m{i}") for i in range(4)]).show()

spark.stop()
