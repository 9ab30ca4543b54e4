# Installed by pinpipe into its venv (.pinpipe/python) as sitecustomize.py. With PINPIPE_CONNECT_RETRIES=short
# in the environment (the notebook runner and the Python workers of the local Spark JVM have it), a Spark
# Connect client gives up on an unreachable server after about 10 seconds instead of Spark's default of at
# least 10 minutes: when the local JVM dies (kill -9, a crash), a notebook run and its foreachBatch workers
# fail at once, so the run is reported failed and can be started again, instead of hanging. Any other use of
# the venv (pip, the Databricks clients) is left as it is.
import os

if os.environ.get("PINPIPE_CONNECT_RETRIES") == "short":
    try:
        from pyspark.sql.connect.client import retries as _retries

        # max_retries, backoff_multiplier, initial_backoff (ms), max_backoff (ms), jitter (ms), min_jitter_threshold (ms)
        _retries.DefaultPolicy.__init__.__defaults__ = (8, 2.0, 100, 2000, 100, 1000)
    except Exception:  # pyspark not installed yet, or another layout: Spark's defaults stay
        pass
