// Workspace API 2.0: import, export, list, get-status, mkdirs, delete of notebooks, files and folders.
import { ApiFailure, absolute, invalid, notFound, RawAnswer, str, type RouteContext, type Routes } from '../api.ts';
import { parentPath } from '../paths.ts';
import type { Language, WorkspaceObject, WorkspaceStore } from '../store.ts';

/** Databricks refuses imports larger than 10 MB. */
const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

const LANGUAGES = new Set(['SQL', 'PYTHON', 'SCALA', 'R']);
const HEADERS: Record<string, Language> = {
  '-- Databricks notebook source': 'SQL',
  '# Databricks notebook source': 'PYTHON',
  '// Databricks notebook source': 'SCALA',
};

/** Creates the folders of a path that do not exist yet, as one change. */
export function mkdirs(store: WorkspaceStore, p: string): void {
  const missing: string[] = [];
  let cur = '';
  for (const part of p.split('/').filter(Boolean)) {
    cur += `/${part}`;
    const o = store.object(cur);
    if (o && o.object_type !== 'DIRECTORY') throw new ApiFailure(400, 'RESOURCE_ALREADY_EXISTS', `Cannot create directory ${p} because ${cur} is an existing file.`);
    if (!o) missing.push(cur);
  }
  if (!missing.length) return;
  const now = Date.now();
  store.transaction((t) => {
    for (const dir of missing) t.putObject({ path: dir, object_type: 'DIRECTORY', object_id: store.nextId(), created_at: now, modified_at: now });
  });
}

export function workspaceRoutes({ store }: RouteContext): Routes {
  const mustExist = (p: string): WorkspaceObject => {
    const o = store.object(p);
    if (!o) throw notFound(`Path (${p}) doesn't exist.`);
    return o;
  };
  return {
    'POST /api/2.0/workspace/import': (b) => {
      const p = absolute(b['path']);
      const format = (b['format'] as string | undefined) ?? 'SOURCE';
      if (!['SOURCE', 'AUTO', 'RAW'].includes(format)) throw invalid(`Unsupported import format ${format} in the local workspace; use SOURCE, AUTO or RAW.`);
      const content = Buffer.from(str(b['content'], 'content'), 'base64');
      if (content.length > MAX_IMPORT_BYTES) throw new ApiFailure(400, 'MAX_NOTEBOOK_SIZE_EXCEEDED', `File size imported is (${content.length} bytes), exceeded max size (${MAX_IMPORT_BYTES} bytes)`);
      const parent = store.object(parentPath(p));
      if (!parent || parent.object_type !== 'DIRECTORY') throw notFound(`The parent folder (${parentPath(p)}) does not exist.`);
      const existing = store.object(p);
      if (existing && existing.object_type === 'DIRECTORY') throw new ApiFailure(400, 'RESOURCE_ALREADY_EXISTS', `${p} already exists as a directory.`);
      if (existing && b['overwrite'] !== true && b['overwrite'] !== 'true') throw new ApiFailure(400, 'RESOURCE_ALREADY_EXISTS', `${p} already exists.`);
      const firstLine = content.toString('utf8').split('\n', 1)[0]!.trim();
      let objectType: WorkspaceObject['object_type'] = 'FILE';
      let language: Language | undefined;
      if (format === 'SOURCE') {
        const l = b['language'];
        if (typeof l !== 'string' || !LANGUAGES.has(l)) throw invalid('The language must be set to one of SQL, PYTHON, SCALA or R for the SOURCE format.');
        objectType = 'NOTEBOOK';
        language = l as Language;
      } else if (format === 'AUTO' && HEADERS[firstLine]) {
        objectType = 'NOTEBOOK';
        language = HEADERS[firstLine];
      }
      const now = Date.now();
      store.putObject({
        path: p,
        object_type: objectType,
        object_id: existing?.object_id ?? store.nextId(),
        created_at: existing?.created_at ?? now,
        modified_at: now,
        ...(language ? { language } : {}),
        ...(objectType === 'FILE' ? { size: content.length } : {}),
      }, content);
      return {};
    },
    'GET /api/2.0/workspace/export': (_b, q) => {
      const o = mustExist(absolute(q.get('path') ?? undefined));
      if (o.object_type === 'DIRECTORY') throw invalid(`${o.path} is a directory; the local workspace exports notebooks and files only.`);
      const format = q.get('format') ?? 'SOURCE';
      if (!['SOURCE', 'AUTO', 'RAW'].includes(format)) throw invalid(`Unsupported export format ${format} in the local workspace; use SOURCE.`);
      const ext: Record<Language, string> = { SQL: 'sql', PYTHON: 'py', SCALA: 'scala', R: 'r' };
      // direct_download: the bytes themselves (the SDKs' workspace.download), not the JSON envelope.
      if (q.get('direct_download') === 'true') return new RawAnswer(store.content(o));
      return { content: store.content(o).toString('base64'), file_type: o.language ? ext[o.language] : '' };
    },
    'GET /api/2.0/workspace/list': (_b, q) => {
      const p = absolute(q.get('path') ?? undefined);
      const o = mustExist(p);
      if (o.object_type !== 'DIRECTORY') return { objects: [o] };
      const objects = store.children(p);
      return objects.length ? { objects } : {};
    },
    'GET /api/2.0/workspace/get-status': (_b, q) => mustExist(absolute(q.get('path') ?? undefined)),
    'POST /api/2.0/workspace/mkdirs': (b) => {
      mkdirs(store, absolute(b['path']));
      return {};
    },
    'POST /api/2.0/workspace/delete': (b) => {
      const p = absolute(b['path']);
      const o = mustExist(p);
      if (p === '/') throw invalid('Cannot delete the root folder.');
      if (o.object_type === 'DIRECTORY' && store.children(p).length && b['recursive'] !== true) {
        throw new ApiFailure(400, 'DIRECTORY_NOT_EMPTY', `Folder (${p}) is not empty`);
      }
      store.deleteTree(p);
      return {};
    },
  };
}
