# Databricks notebook source
# MAGIC %md
# MAGIC # Give the job access to the landing data
# MAGIC
# MAGIC The first task of the `clean` job on a Databricks target. It makes the landed topics readable by the
# MAGIC cleaning tasks that follow, in one of three ways chosen by `access.mode` in `pinpipe.yaml`:
# MAGIC
# MAGIC | mode | what it does |
# MAGIC |---|---|
# MAGIC | `mount` | the original way: reads the AWS keys from the Delta table `authentication_credentials` (columns `Access key ID`, `Secret access key`) and mounts the bucket at the mount point, unless it is already mounted |
# MAGIC | `secret_scope` | reads the keys from a secret scope and sets them in the cluster's Hadoop configuration (a shared job cluster or an existing cluster; not serverless) |
# MAGIC | `external_location` | nothing to set up: Unity Catalog grants access through an external location over the bucket; the task checks that it is readable |
# MAGIC
# MAGIC In every mode it then lists `landing_root/topics` so that a missing grant fails here, with its reason,
# MAGIC rather than in the middle of a cleaning task. The local target has no such task: its landing is a folder.
# MAGIC
# MAGIC Part of pinpipe (`notebooks/setup/access.py`, written by hand: it is the one Python notebook, because
# MAGIC mounts, secrets and the Hadoop configuration are reachable only from Python).

# COMMAND ----------

dbutils.widgets.text("access_mode", "mount")
dbutils.widgets.text("bucket", "user-0affe4008223-bucket")
dbutils.widgets.text("mount_point", "/mnt/user-0affe4008223-bucket")
dbutils.widgets.text("credentials_table", "authentication_credentials")
dbutils.widgets.text("secret_scope", "pinpipe")
dbutils.widgets.text("access_key_secret", "aws_access_key_id")
dbutils.widgets.text("secret_key_secret", "aws_secret_access_key")
dbutils.widgets.text("landing_root", "/mnt/user-0affe4008223-bucket")

# COMMAND ----------

import json
from urllib.parse import quote

mode = dbutils.widgets.get("access_mode")
bucket = dbutils.widgets.get("bucket")
mount_point = dbutils.widgets.get("mount_point")
landing_root = dbutils.widgets.get("landing_root").rstrip("/")

if mode == "mount":
    mounted = any(m.mountPoint == mount_point for m in dbutils.fs.mounts())
    if mounted:
        print(f"{mount_point} is already mounted")
    else:
        keys = spark.table(dbutils.widgets.get("credentials_table")).select("`Access key ID`", "`Secret access key`").first()
        if keys is None:
            raise ValueError("the credentials table holds no row: add one with `Access key ID` and `Secret access key`")
        access_key, secret_key = keys[0], quote(keys[1], safe="")
        dbutils.fs.mount(f"s3n://{access_key}:{secret_key}@{bucket}", mount_point)
        print(f"mounted s3://{bucket} at {mount_point}")
elif mode == "secret_scope":
    scope = dbutils.widgets.get("secret_scope")
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    conf.set("fs.s3a.access.key", dbutils.secrets.get(scope, dbutils.widgets.get("access_key_secret")))
    conf.set("fs.s3a.secret.key", dbutils.secrets.get(scope, dbutils.widgets.get("secret_key_secret")))
    print(f"S3 keys set from secret scope {scope}")
elif mode == "external_location":
    print(f"access to {landing_root} is granted by a Unity Catalog external location")
else:
    raise ValueError(f"access_mode {mode!r} is not one of mount, secret_scope, external_location")

# COMMAND ----------

topics = [f.name.rstrip("/") for f in dbutils.fs.ls(f"{landing_root}/topics")]
print(f"{landing_root}/topics holds: {', '.join(topics) or 'nothing yet'}")
dbutils.notebook.exit(json.dumps({"access_mode": mode, "landing_root": landing_root, "topics": topics}))
