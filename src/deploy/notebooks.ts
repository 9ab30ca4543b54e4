// `npm run deploy-notebooks`: imports every notebook of notebooks/ into the target's workspace folder
// (SOURCE format, language from the extension, folders created), idempotently.
//
// A notebook is imported when its content changed since the last deploy, when it is missing, or when
// someone edited it in the workspace (its modified_at moved). What was deployed is recorded per target in
// .pinpipe/deploy/<target>.json; without a record (a fresh clone), the workspace copy is exported and
// compared instead. Notebooks this project deployed and no longer has are deleted; other objects found in
// the folder are reported and left alone. Imports run a few at a time; a failure is listed with its reason
// and the rest go on, so that running the command again finishes the job.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import pLimit from 'p-limit';
import path from 'node:path';
import type { workspace } from '@databricks/sdk-experimental';
import type { Config } from '../config/index.ts';
import { PinpipeError } from '../errors.ts';
import { notebookPath, workspaceFolder } from '../job/compile.ts';
import { notebookBytes, notebookFiles } from '../notebook/index.ts';
import { withPythonWidgetDefaults, withWidgetDefaults } from '../notebook/target.ts';
import { jobParameters, streamParameters } from '../job/index.ts';
import { projectPath } from '../project.ts';
import { call, isNotFound, type Workspace } from '../databricks/client.ts';

export interface LocalNotebook {
  /** Name under notebooks/ without extension: clean/pin, queries, setup/access. */
  name: string;
  file: string;
  remotePath: string;
  language: 'SQL' | 'PYTHON';
  content: Buffer;
  hash: string;
}

export type Action = 'create' | 'update' | 'unchanged' | 'delete' | 'unmanaged';

export interface PlanItem {
  action: Action;
  path: string;
  reason: string;
  notebook?: LocalNotebook;
}

interface Manifest {
  host: string;
  notebooks: Record<string, { hash: string; modified_at: number }>;
}

export function hashContent(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Whitespace-insensitive at line ends, as a workspace may re-serialize a notebook on export. */
function normalized(text: string): string {
  return text.replace(/\r\n/g, '\n').split('\n').map((l) => l.trimEnd()).join('\n').trim();
}

export function localNotebooks(config: Config): LocalNotebook[] {
  const values = { ...jobParameters(config, config.landingRoot), ...streamParameters(config) };
  return notebookFiles()
    // The setup notebook (mounts, secrets, the Hadoop configuration) is a task of Databricks targets only.
    .filter((nb) => nb.name !== 'setup/access' || config.target.kind === 'databricks')
    .map((nb) => {
      // A notebook's widgets default to this target's landing root, topics, tables and streams.
      const text = notebookBytes(nb.file).toString('utf8');
      const content = Buffer.from(nb.language === 'SQL' ? withWidgetDefaults(nb.file, text, values) : withPythonWidgetDefaults(text, values));
      return { name: nb.name, file: nb.file, remotePath: notebookPath(config, nb.name), language: nb.language, content, hash: hashContent(content) };
    });
}

function manifestFile(config: Config, identity: string): string {
  return projectPath('.pinpipe', 'deploy', `${config.targetName}-${hashContent(identity).slice(0, 10)}.json`);
}

function readManifest(config: Config, host: string): Manifest {
  const file = manifestFile(config, host);
  if (existsSync(file)) {
    try {
      const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
      if (m.host === host) return m;
    } catch {
      // An unreadable record is the same as none: the workspace is compared instead.
    }
  }
  return { host, notebooks: {} };
}

function writeManifest(config: Config, m: Manifest): void {
  const file = manifestFile(config, m.host);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(m, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** Every object under a workspace folder (empty when the folder does not exist). */
async function listTree(ws: Workspace, folder: string): Promise<workspace.ObjectInfo[]> {
  const out: workspace.ObjectInfo[] = [];
  const pending = [folder];
  while (pending.length) {
    const dir = pending.pop()!;
    try {
      for await (const o of ws.client.workspace.list({ path: dir })) {
        if (o.object_type === 'DIRECTORY') pending.push(o.path!);
        else out.push(o);
      }
    } catch (e) {
      if (isNotFound(e)) continue;
      throw e;
    }
  }
  return out;
}

export async function planDeploy(config: Config, ws: Workspace): Promise<PlanItem[]> {
  const folder = `${workspaceFolder(config).replace(/\/$/, '')}/notebooks`;
  const wanted = localNotebooks(config);
  const remote = new Map((await call(ws, `listing ${folder}`, () => listTree(ws, folder))).map((o) => [normalize(o.path!), o]));
  const manifest = readManifest(config, ws.identity);
  const plan: PlanItem[] = [];
  for (const nb of wanted) {
    const key = normalize(nb.remotePath);
    const there = remote.get(key);
    remote.delete(key);
    if (!there) {
      plan.push({ action: 'create', path: nb.remotePath, reason: 'not in the workspace', notebook: nb });
      continue;
    }
    const rec = manifest.notebooks[key];
    if (rec) {
      if (rec.hash !== nb.hash) plan.push({ action: 'update', path: nb.remotePath, reason: 'changed in the project', notebook: nb });
      else if (rec.modified_at !== there.modified_at) plan.push({ action: 'update', path: nb.remotePath, reason: 'edited in the workspace', notebook: nb });
      else plan.push({ action: 'unchanged', path: nb.remotePath, reason: 'same content', notebook: nb });
      continue;
    }
    // No record of a deploy from here: compare with what the workspace holds.
    const exported = await call(ws, `exporting ${nb.remotePath}`, () => ws.client.workspace.export({ path: nb.remotePath, format: 'SOURCE' }));
    const same = there.object_type === 'NOTEBOOK' && there.language === nb.language
      && normalized(Buffer.from(exported.content ?? '', 'base64').toString('utf8')) === normalized(nb.content.toString('utf8'));
    plan.push(same
      ? { action: 'unchanged', path: nb.remotePath, reason: 'same content (compared with the workspace copy)', notebook: nb }
      : { action: 'update', path: nb.remotePath, reason: 'differs from the workspace copy', notebook: nb });
  }
  for (const [key, o] of remote) {
    if (manifest.notebooks[key]) plan.push({ action: 'delete', path: o.path!, reason: 'no longer in the project' });
    else plan.push({ action: 'unmanaged', path: o.path!, reason: 'not deployed by pinpipe; left in place' });
  }
  return plan;
}

function normalize(p: string): string {
  return p.replace(/^\/Workspace(?=\/)/, '');
}

export interface DeployResult {
  plan: PlanItem[];
  imported: number;
  deleted: number;
  failed: { path: string; reason: string }[];
}

export async function deployNotebooks(
  config: Config,
  ws: Workspace,
  options: { dryRun?: boolean; parallelism?: number; log: (l: string) => void },
): Promise<DeployResult> {
  const { log } = options;
  const plan = await planDeploy(config, ws);
  const work = plan.filter((p) => p.action === 'create' || p.action === 'update' || p.action === 'delete');
  for (const p of plan) if (p.action === 'unmanaged') log(`deploy: ? ${p.path}: ${p.reason}`);
  if (options.dryRun) {
    const sign: Record<Action, string> = { create: '+', update: '~', unchanged: '=', delete: '-', unmanaged: '?' };
    for (const p of plan) log(`deploy (dry run): ${sign[p.action]} ${p.action.padEnd(9)} ${p.path} (${p.reason})`);
    return { plan, imported: 0, deleted: 0, failed: [] };
  }
  const manifest = readManifest(config, ws.identity);
  for (const p of plan) {
    if (p.action === 'unchanged' && p.notebook && !manifest.notebooks[normalize(p.path)]) {
      const st = await call(ws, `reading ${p.path}`, () => ws.client.workspace.getStatus({ path: p.path }));
      manifest.notebooks[normalize(p.path)] = { hash: p.notebook.hash, modified_at: st.modified_at ?? 0 };
    }
  }
  const dirs = [...new Set(work.filter((p) => p.notebook).map((p) => p.path.slice(0, p.path.lastIndexOf('/'))))].sort();
  const failed: DeployResult['failed'] = [];
  const failedDirs = new Set<string>();
  for (const d of dirs) {
    try {
      await call(ws, `creating ${d}`, () => ws.client.workspace.mkdirs({ path: d }));
    } catch (e) {
      failedDirs.add(d);
      failed.push({ path: d, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  let imported = 0;
  let deleted = 0;
  let done = 0;
  const limit = pLimit(options.parallelism ?? 4);
  await Promise.all(work.map((p) => limit(async () => {
    const key = normalize(p.path);
    try {
      if (p.action === 'delete') {
        await call(ws, `deleting ${p.path}`, () => ws.client.workspace.delete({ path: p.path, recursive: false }));
        delete manifest.notebooks[key];
        deleted++;
      } else {
        const nb = p.notebook!;
        if (failedDirs.has(p.path.slice(0, p.path.lastIndexOf('/')))) throw new Error('its folder could not be created');
        await call(ws, `importing ${p.path}`, () => ws.client.workspace.import({
          path: p.path, format: 'SOURCE', language: nb.language, content: nb.content.toString('base64'), overwrite: true,
        }));
        const st = await call(ws, `reading ${p.path}`, () => ws.client.workspace.getStatus({ path: p.path }));
        manifest.notebooks[key] = { hash: nb.hash, modified_at: st.modified_at ?? 0 };
        imported++;
      }
      log(`deploy: [${++done}/${work.length}] ${p.action === 'delete' ? 'deleted' : p.action === 'create' ? 'created' : 'updated'} ${p.path} (${p.reason})`);
    } catch (e) {
      done++;
      failed.push({ path: p.path, reason: e instanceof Error ? e.message : String(e) });
      log(`deploy: [${done}/${work.length}] FAILED ${p.path}`);
    } finally {
      writeManifest(config, manifest);
    }
  })));
  writeManifest(config, manifest);
  const unchanged = plan.filter((p) => p.action === 'unchanged').length;
  log(`deploy: ${imported} imported, ${deleted} deleted, ${unchanged} unchanged, ${failed.length} failed (${ws.host}${workspaceFolder(config)})`);
  if (failed.length) {
    throw new PinpipeError('DEPLOY_FAILED', `deploy: ${failed.length} of ${work.length} changes failed (DEPLOY_FAILED):\n${failed.map((f) => `  - ${f.path}: ${f.reason}`).join('\n')}\nWhat succeeded is recorded; run the command again to finish.`, { details: { failed } });
  }
  return { plan, imported, deleted, failed };
}
