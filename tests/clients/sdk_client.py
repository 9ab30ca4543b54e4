"""The Databricks SDK for Python against the local workspace, as a user points it (host and token only).

Run by tests/integration/clients.test.ts with the project's venv: python sdk_client.py <host> <token_file> <warehouse_port>.
Each check prints one line; any failure raises (non-zero exit) with what was expected.
"""
import io
import logging
import sys
import time

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound
from databricks.sdk.service import jobs, workspace
from databricks.sdk.service.dashboards import Dashboard

host, token_file, warehouse_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
warnings = []


class Collect(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.WARNING:
            warnings.append(record.getMessage())


logging.getLogger().addHandler(Collect())
w = WorkspaceClient(host=host, token=open(token_file).read().strip())


def check(name, ok, detail=''):
    if not ok:
        raise AssertionError(f'{name}: {detail}')
    print(f'ok {name}')


me = w.current_user.me()
check('current_user.me', me.user_name, me)
check('no warning on first contact (host metadata)', not warnings, warnings)

w.workspace.mkdirs('/Shared/sdk')
w.workspace.upload('/Shared/sdk/data.txt', io.BytesIO(b'bytes as they are\n\x00\xff'), format=workspace.ImportFormat.AUTO, overwrite=True)
check('workspace.upload (multipart) then download (bytes)', w.workspace.download('/Shared/sdk/data.txt').read() == b'bytes as they are\n\x00\xff')
notebook = "-- Databricks notebook source\nCREATE WIDGET TEXT x DEFAULT 'default';\n\n-- COMMAND ----------\n\nCREATE OR REPLACE TABLE sdk_param AS SELECT :x AS x\n"
w.workspace.upload('/Shared/sdk/param', io.BytesIO(notebook.encode()), format=workspace.ImportFormat.SOURCE, language=workspace.Language.SQL, overwrite=True)
check('the uploaded notebook is a notebook', w.workspace.get_status('/Shared/sdk/param').object_type == workspace.ObjectType.NOTEBOOK)

task = jobs.Task(task_key='param', notebook_task=jobs.NotebookTask(notebook_path='/Shared/sdk/param'))
job = w.jobs.create(name='sdk job', tasks=[task])
w.jobs.update(job_id=job.job_id, new_settings=jobs.JobSettings(name='sdk job renamed', tags={'from': 'sdk'}))
got = w.jobs.get(job.job_id)
check('jobs.update changes the name and keeps the tasks', got.settings.name == 'sdk job renamed' and [t.task_key for t in got.settings.tasks] == ['param'], got.settings)
run = w.jobs.run_now(job_id=job.job_id, notebook_params={'x': 'given'}).result(timeout=__import__('datetime').timedelta(minutes=10))
check('run_now with notebook_params succeeds', run.state.result_state == jobs.RunResultState.SUCCESS, run.state)
exported = w.jobs.export_run(run_id=run.tasks[0].run_id)
check('runs/export gives the notebook', exported.views and 'CREATE OR REPLACE TABLE sdk_param' in exported.views[0].content, exported)

failing = "-- Databricks notebook source\nSELECT 1 / 0 AS boom\n"
w.workspace.upload('/Shared/sdk/flaky', io.BytesIO(failing.encode()), format=workspace.ImportFormat.SOURCE, language=workspace.Language.SQL, overwrite=True)
flaky = w.jobs.create(name='sdk flaky', tasks=[jobs.Task(task_key='flaky', notebook_task=jobs.NotebookTask(notebook_path='/Shared/sdk/flaky'))])
run_id = w.jobs.run_now(job_id=flaky.job_id).run_id
for _ in range(600):
    r = w.jobs.get_run(run_id)
    if r.state.life_cycle_state in (jobs.RunLifeCycleState.TERMINATED, jobs.RunLifeCycleState.SKIPPED, jobs.RunLifeCycleState.INTERNAL_ERROR):
        break
    time.sleep(0.5)
check('the flaky run fails', r.state.result_state == jobs.RunResultState.FAILED, r.state)
w.workspace.upload('/Shared/sdk/flaky', io.BytesIO(b"-- Databricks notebook source\nSELECT 1 AS fine\n"), format=workspace.ImportFormat.SOURCE, language=workspace.Language.SQL, overwrite=True)
repaired = w.jobs.repair_run(run_id=run_id, rerun_all_failed_tasks=True).result(timeout=__import__('datetime').timedelta(minutes=10))
check('runs/repair runs the failed task again, in the same run', repaired.state.result_state == jobs.RunResultState.SUCCESS and len(repaired.repair_history) == 2, repaired.repair_history)
w.jobs.cancel_all_runs(job_id=flaky.job_id)
w.jobs.delete_run(run_id)
try:
    w.jobs.get_run(run_id)
    check('runs/delete removes the run', False, 'still there')
except NotFound as e:  # the SDK maps INVALID_PARAMETER_VALUE "Run ... does not exist" to ResourceDoesNotExist
    check('runs/delete removes the run', e.error_code == 'INVALID_PARAMETER_VALUE', e.error_code)

check('clusters.list (none)', list(w.clusters.list()) == [])
warehouses = list(w.warehouses.list())
check('warehouses.list gives the local warehouse', len(warehouses) == 1 and warehouses[0].odbc_params.port == warehouse_port, warehouses)

w.workspace.mkdirs('/Shared/sdk/dash')
d = w.lakeview.create(Dashboard(display_name='sdk dash', parent_path='/Shared/sdk/dash', serialized_dashboard='{"pages":[]}'))
check('lakeview.list lists it', d.dashboard_id in [x.dashboard_id for x in w.lakeview.list()])
published = w.lakeview.publish(d.dashboard_id, warehouse_id=warehouses[0].id)
check('lakeview.publish', published.warehouse_id == warehouses[0].id, published)
w.lakeview.trash(d.dashboard_id)
check('lakeview.trash takes it out of the list', d.dashboard_id not in [x.dashboard_id for x in w.lakeview.list()])
try:
    w.jobs.get(987654321)
    check('an unknown job is an error', False, 'no error')
except NotFound as e:  # as from Databricks: INVALID_PARAMETER_VALUE "Job ... does not exist", which the SDK maps
    check('an unknown job is not found (a string error_code)', e.error_code == 'INVALID_PARAMETER_VALUE', e.error_code)
check('no warning in the whole session', not warnings, warnings)
