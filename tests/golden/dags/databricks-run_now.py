# Airflow DAG a1b2c3d4e5f6_dag: runs the Databricks job "pinpipe clean (a1b2c3d4e5f6)" (jobs/) by name, on 30 5 * * MON-FRI (Europe/London).
# Generated from jobs/ and pinpipe.yaml by `npm run build-notebooks`: do not edit. `npm run deploy-dag` deploys it.
# Needs the Airflow connection "databricks_prod" to the workspace (host, and a token as its password) and the job deployed there (npm run deploy-jobs).
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
    dag_id="a1b2c3d4e5f6_dag",
    description="Clean the landed pin, geo and user records into Delta tables, then run the nine analytics queries",
    schedule="30 5 * * MON-FRI",
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "data-eng", "retries": 3, "retry_delay": timedelta(seconds=120)},
    tags=["pinterest", "batch", "a1b2c3d4e5f6"],
) as dag:
    tasks = {}
    tasks["clean"] = DatabricksRunNowOperator(
        task_id="clean",
        databricks_conn_id="databricks_prod",
        job_name="pinpipe clean (a1b2c3d4e5f6)",
        polling_period_seconds=15,
    )
