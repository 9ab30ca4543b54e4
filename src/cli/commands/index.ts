// Every command of the CLI, by name, in the order `pinpipe --help` lists them.
import type { Command } from '../command.ts';
import api from './api.ts';
import bench from './bench.ts';
import dashboard from './dashboard.ts';
import data from './data.ts';
import deploy from './deploy.ts';
import emulate from './emulate.ts';
import notebooks from './notebooks.ts';
import pipeline from './pipeline.ts';
import query from './query.ts';
import quickstart from './quickstart.ts';
import runJob from './run-job.ts';
import stopJob from './stop-job.ts';
import warehouse from './warehouse.ts';
import setup from './setup.ts';
import sink from './sink.ts';
import source from './source.ts';
import spark from './spark.ts';
import workspace from './workspace.ts';

const ALL = [setup, notebooks, data, source, spark, workspace, warehouse, deploy, runJob, stopJob, query, dashboard, api, sink, emulate, pipeline, quickstart, bench] as Command[];

export const COMMANDS: ReadonlyMap<string, Command> = new Map(ALL.map((c) => [c.name, c]));
