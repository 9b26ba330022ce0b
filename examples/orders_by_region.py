"""Orders joined with a small, cached dimension table: the customers table is read by two
reports, so it is cached once; the orders are not (each report scans them once).

The cache lens on customers shows its footprint; the hints after each report show what the
join and the aggregation cost.
"""
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = SparkSession.builder.appName("orders-by-region").getOrCreate()

regions = ["north", "south", "east", "west", "centre"]
customers = (spark.range(50_000)
             .withColumnRenamed("id", "customer_id")
             .withColumn("region", F.element_at(F.array(*[F.lit(r) for r in regions]), (F.col("customer_id") % 5 + 1).cast("int")))
             .withColumn("segment", F.when(F.col("customer_id") % 10 == 0, "enterprise").otherwise("retail")))
customers.cache()

orders = (spark.range(2_000_000)
          .withColumnRenamed("id", "order_id")
          .withColumn("customer_id", (F.rand(seed=1) * 50_000).cast("long"))
          .withColumn("amount", F.round(F.rand(seed=2) * 200, 2)))

revenue_by_region = (orders.join(customers, "customer_id")
                     .groupBy("region")
                     .agg(F.sum("amount").alias("revenue"), F.count("*").alias("orders"))
                     .orderBy(F.desc("revenue")))
revenue_by_region.show()

top_enterprise = (orders.join(customers.where(F.col("segment") == "enterprise"), "customer_id")
                  .groupBy("customer_id", "region")
                  .agg(F.sum("amount").alias("spent"))
                  .orderBy(F.desc("spent"))
                  .limit(10))
top_enterprise.show()

spark.stop()
