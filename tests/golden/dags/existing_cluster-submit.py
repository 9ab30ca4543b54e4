# Airflow DAG 0affe4008223_submit_dag: runs the notebooks of "pinpipe clean (0affe4008223)" (jobs/), one Databricks run each, on @daily (UTC).
# Generated from jobs/ and pinpipe.yaml by `npm run build-notebooks`: do not edit. `npm run deploy-dag` deploys it.
# Needs the Airflow connection "databricks_default" to the workspace (host, and a token as its password) and the notebooks deployed there (npm run deploy-notebooks).
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
    dag_id="0affe4008223_submit_dag",
    description="Clean the landed pin, geo and user records into Delta tables, then run the nine analytics queries",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "pinpipe", "retries": 1, "retry_delay": timedelta(seconds=300)},
    tags=["pinpipe", "0affe4008223"],
) as dag:
    tasks = {}
    tasks["landing_access"] = DatabricksSubmitRunOperator(
        task_id="landing_access",
        databricks_conn_id="databricks_default",
        run_name="pinpipe clean (0affe4008223) landing_access",
        notebook_task={"notebook_path": "/Shared/pinpipe/notebooks/setup/access", "source": "WORKSPACE", "base_parameters": {"access_mode": "secret_scope", "bucket": "user-0affe4008223-bucket", "mount_point": "/mnt/user-0affe4008223-bucket", "credentials_table": "authentication_credentials", "secret_scope": "pinpipe", "access_key_secret": "aws_access_key_id", "secret_key_secret": "aws_secret_access_key", "run_id": "{{ run_id }}"}},
        existing_cluster_id="1108-162752-8okw8dgg",
        timeout_seconds=3600,
        polling_period_seconds=30,
    )
    tasks["clean_pin"] = DatabricksSubmitRunOperator(
        task_id="clean_pin",
        databricks_conn_id="databricks_default",
        run_name="pinpipe clean (0affe4008223) clean_pin",
        notebook_task={"notebook_path": "/Shared/pinpipe/notebooks/clean/pin", "source": "WORKSPACE", "base_parameters": {"run_id": "{{ run_id }}"}},
        existing_cluster_id="1108-162752-8okw8dgg",
        timeout_seconds=3600,
        polling_period_seconds=30,
    )
    tasks["clean_geo"] = DatabricksSubmitRunOperator(
        task_id="clean_geo",
        databricks_conn_id="databricks_default",
        run_name="pinpipe clean (0affe4008223) clean_geo",
        notebook_task={"notebook_path": "/Shared/pinpipe/notebooks/clean/geo", "source": "WORKSPACE", "base_parameters": {"run_id": "{{ run_id }}"}},
        existing_cluster_id="1108-162752-8okw8dgg",
        timeout_seconds=3600,
        polling_period_seconds=30,
    )
    tasks["clean_user"] = DatabricksSubmitRunOperator(
        task_id="clean_user",
        databricks_conn_id="databricks_default",
        run_name="pinpipe clean (0affe4008223) clean_user",
        notebook_task={"notebook_path": "/Shared/pinpipe/notebooks/clean/user", "source": "WORKSPACE", "base_parameters": {"run_id": "{{ run_id }}"}},
        existing_cluster_id="1108-162752-8okw8dgg",
        timeout_seconds=3600,
        polling_period_seconds=30,
    )
    tasks["queries"] = DatabricksSubmitRunOperator(
        task_id="queries",
        databricks_conn_id="databricks_default",
        run_name="pinpipe clean (0affe4008223) queries",
        notebook_task={"notebook_path": "/Shared/pinpipe/notebooks/queries", "source": "WORKSPACE", "base_parameters": {"run_id": "{{ run_id }}"}},
        existing_cluster_id="1108-162752-8okw8dgg",
        timeout_seconds=3600,
        polling_period_seconds=30,
    )
    tasks["landing_access"] >> tasks["clean_pin"]
    tasks["landing_access"] >> tasks["clean_geo"]
    tasks["landing_access"] >> tasks["clean_user"]
    tasks["clean_pin"] >> tasks["queries"]
    tasks["clean_geo"] >> tasks["queries"]
    tasks["clean_user"] >> tasks["queries"]
