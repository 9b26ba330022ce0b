"""An aggregation over skewed keys: one customer has most of the clicks, so one task of the
aggregation does most of the work while the others wait. The hint shows the stage, and a
Problems entry names the skew (the slowest task against the median).
"""
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = (SparkSession.builder.appName("skewed-totals")
         .config("spark.sql.shuffle.partitions", "8")
         .config("spark.sql.adaptive.enabled", "false")
         .getOrCreate())

clicks = (spark.range(4_000_000)
          .withColumn("customer", F.when(F.rand(seed=4) < 0.8, F.lit(0)).otherwise((F.rand(seed=5) * 1000).cast("long")))
          .withColumn("page", F.sha2(F.col("id").cast("string"), 256)))

per_customer = (clicks.groupBy("customer")
                .agg(F.countDistinct("page").alias("pages"), F.count("*").alias("clicks"))
                .orderBy(F.desc("clicks")))
per_customer.show(5)

spark.stop()
