"""A cache larger than storage memory: the sessions table is cached in memory only, and it does
not fit. Spark keeps what fits and recomputes the rest at every use, storage memory stays nearly
full, and the Prometheus alert "SparkStorageMemoryNearlyFull" fires while the job runs.

The cache lens shows how many partitions made it into memory (fewer than all of them).
The first argument is how many passes over the days it makes (1 by default, about a minute and
a half on a laptop); more keep storage memory full for longer.
"""
import sys

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

passes = int(sys.argv[1]) if len(sys.argv) > 1 else 1

spark = SparkSession.builder.appName("cache-too-big").getOrCreate()

sessions = (spark.range(0, 16_000_000, numPartitions=64)
            .select(F.col("id").alias("session_id"),
                    *[F.randn(seed=30 + i).alias(f"f{i}") for i in range(4)]))
sessions.persist(StorageLevel.MEMORY_ONLY)

print("sessions:", sessions.count())
for _ in range(passes):
    for day in range(14):
        sample = sessions.where(F.col("session_id") % 14 == day)
        print(f"day {day}:", sample.agg(F.avg("f0"), F.max("f1")).first())

spark.stop()
