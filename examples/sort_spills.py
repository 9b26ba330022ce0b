"""A sort that does not fit in execution memory, so Spark spills it to disk: the hint after the
write shows the spill, and a Problems entry says which line caused it.

Execution memory is kept small on purpose (spark.memory.fraction), as it is on a busy executor
that shares its heap with a large cache.
"""
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = (SparkSession.builder.appName("sort-spills")
         .config("spark.memory.fraction", "0.05")
         .config("spark.sql.shuffle.partitions", "2")
         .getOrCreate())

events = (spark.range(3_000_000)
          .withColumn("user", (F.rand(seed=3) * 100_000).cast("long"))
          .withColumn("payload", F.sha2(F.col("id").cast("string"), 256)))

ranked = events.orderBy("user", "payload")
ranked.write.format("noop").mode("overwrite").save()

spark.stop()
