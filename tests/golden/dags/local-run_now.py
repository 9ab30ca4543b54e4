# Airflow DAG 0affe4008223_dag: runs the Databricks job "pinpipe clean (0affe4008223)" (jobs/) by name, on 0 6 * * * (UTC).
# Generated from jobs/ and pinpipe.yaml by `npm run build-notebooks`: do not edit. `npm run deploy-dag` deploys it.
# Needs the Airflow connection "databricks_default" to the workspace (host, and a token as its password) and the job deployed there (npm run deploy-jobs).
# For Airflow 2.4+ (MWAA 2.10) and Airflow 3, with apache-airflow-providers-databricks.
# Keep the job's own Databricks schedule paused (a development target deploys it paused), or it also runs there.
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.databricks.operators.databricks import DatabricksRunNowOperator

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG

with DAG(
    dag_id="0affe4008223_dag",
    description="Clean the landed pin, geo and user records into Delta tables, then run the nine analytics queries",
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "pinpipe", "retries": 1, "retry_delay": timedelta(seconds=300)},
    tags=["pinpipe", "0affe4008223"],
) as dag:
    tasks = {}
    tasks["clean"] = DatabricksRunNowOperator(
        task_id="clean",
        databricks_conn_id="databricks_default",
        job_name="pinpipe clean (0affe4008223)",
        polling_period_seconds=30,
    )
