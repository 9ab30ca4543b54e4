# Airflow DAG a1b2c3d4e5f6_submit_dag: runs the notebooks of "pinpipe clean (a1b2c3d4e5f6)" (jobs/), one Databricks run each, on 30 5 * * MON-FRI (Europe/London).
# Generated from jobs/ and pinpipe.yaml by `npm run build-notebooks`: do not edit. `npm run deploy-dag` deploys it.
# Needs the Airflow connection "databricks_prod" to the workspace (host, and a token as its password) and the notebooks deployed there (npm run deploy-notebooks).
# For Airflow 2.4+ (MWAA 2.10) and Airflow 3, with apache-airflow-providers-databricks.
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.databricks.operators.databricks import DatabricksSubmitRunOperator

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG

with DAG(
    dag_id="a1b2c3d4e5f6_submit_dag",
    description="Clean the landed pin, geo and user records into Delta tables, then run the nine analytics queries",
    schedule="30 5 * * MON-FRI",
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "data-eng", "retries": 3, "retry_delay": timedelta(seconds=120)},
    tags=["pinterest", "batch", "a1b2c3d4e5f6"],
) as dag:
    tasks = {}
    tasks["landing_access"] = DatabricksSubmitRunOperator(
        task_id="landing_access",
        databricks_conn_id="databricks_prod",
        run_name="pinpipe clean (a1b2c3d4e5f6) landing_access",
        notebook_task={"notebook_path": "/Workspace/Shared/pinpipe/notebooks/setup/access", "source": "WORKSPACE", "base_parameters": {"access_mode": "mount", "bucket": "user-a1b2c3d4e5f6-bucket", "mount_point": "/mnt/user-a1b2c3d4e5f6-bucket", "credentials_table": "authentication_credentials", "secret_scope": "pinpipe", "access_key_secret": "aws_access_key_id", "secret_key_secret": "aws_secret_access_key", "run_id": "{{ run_id }}"}},
        new_cluster={"spark_version": "15.4.x-scala2.12", "node_type_id": "m5d.large", "num_workers": 1},
        timeout_seconds=1800,
        polling_period_seconds=15,
    )
    tasks["clean_pin"] = DatabricksSubmitRunOperator(
        task_id="clean_pin",
        databricks_conn_id="databricks_prod",
        run_name="pinpipe clean (a1b2c3d4e5f6) clean_pin",
        notebook_task={"notebook_path": "/Workspace/Shared/pinpipe/notebooks/clean/pin", "source": "WORKSPACE", "base_parameters": {"run_id": "{{ run_id }}"}},
        new_cluster={"spark_version": "15.4.x-scala2.12", "node_type_id": "m5d.large", "num_workers": 1},
        timeout_seconds=1800,
        polling_period_seconds=15,
    )
    tasks["clean_geo"] = DatabricksSubmitRunOperator(
        task_id="clean_geo",
        databricks_conn_id="databricks_prod",
        run_name="pinpipe clean (a1b2c3d4e5f6) clean_geo",
        notebook_task={"notebook_path": "/Workspace/Shared/pinpipe/notebooks/clean/geo", "source": "WORKSPACE", "base_parameters": {"run_id": "{{ run_id }}"}},
        new_cluster={"spark_version": "15.4.x-scala2.12", "node_type_id": "m5d.large", "num_workers": 1},
        timeout_seconds=1800,
        polling_period_seconds=15,
    )
    tasks["clean_user"] = DatabricksSubmitRunOperator(
        task_id="clean_user",
        databricks_conn_id="databricks_prod",
        run_name="pinpipe clean (a1b2c3d4e5f6) clean_user",
        notebook_task={"notebook_path": "/Workspace/Shared/pinpipe/notebooks/clean/user", "source": "WORKSPACE", "base_parameters": {"run_id": "{{ run_id }}"}},
        new_cluster={"spark_version": "15.4.x-scala2.12", "node_type_id": "m5d.large", "num_workers": 1},
        timeout_seconds=1800,
        polling_period_seconds=15,
    )
    tasks["queries"] = DatabricksSubmitRunOperator(
        task_id="queries",
        databricks_conn_id="databricks_prod",
        run_name="pinpipe clean (a1b2c3d4e5f6) queries",
        notebook_task={"notebook_path": "/Workspace/Shared/pinpipe/notebooks/queries", "source": "WORKSPACE", "base_parameters": {"run_id": "{{ run_id }}"}},
        new_cluster={"spark_version": "15.4.x-scala2.12", "node_type_id": "m5d.large", "num_workers": 1},
        timeout_seconds=1800,
        polling_period_seconds=15,
    )
    tasks["landing_access"] >> tasks["clean_pin"]
    tasks["landing_access"] >> tasks["clean_geo"]
    tasks["landing_access"] >> tasks["clean_user"]
    tasks["clean_pin"] >> tasks["queries"]
    tasks["clean_geo"] >> tasks["queries"]
    tasks["clean_user"] >> tasks["queries"]
