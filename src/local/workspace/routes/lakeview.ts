// Lakeview 2.0: dashboards deployed with the notebooks (stored; `npm run dashboard` draws them locally):
// create, get, update, list, trash, publish.
import { randomBytes } from 'node:crypto';
import { ApiFailure, absolute, invalid, listing, notFound, str, type RouteContext, type Routes } from '../api.ts';
import { checkPath } from '../limits.ts';
import type { DashboardRecord } from '../store.ts';

const DASHBOARD_ID = /^[0-9a-f]{32}$/;

/** A dashboard as the API shows it (what publish recorded is served by .../published). */
function withoutPublished({ published: _p, ...d }: DashboardRecord): Omit<DashboardRecord, 'published'> {
  return d;
}

export function lakeviewRoutes({ store }: RouteContext): Routes {
  const mustDashboard = (id: string): DashboardRecord => {
    // An id of another shape names no API, as on Databricks.
    if (!DASHBOARD_ID.test(id)) throw new ApiFailure(404, 'ENDPOINT_NOT_FOUND', `No API found for '/api/2.0/lakeview/dashboards/${id}'`);
    const d = store.dashboard(id);
    if (!d || d.lifecycle_state !== 'ACTIVE') throw notFound(`Unable to find dashboard [dashboardId=${id}]`);
    return d;
  };
  const checkSerialized = (v: unknown): string => {
    const text = str(v, 'serialized_dashboard');
    try {
      const doc = JSON.parse(text) as { pages?: unknown };
      if (!doc || typeof doc !== 'object' || !Array.isArray(doc.pages)) throw new Error('no pages');
    } catch (e) {
      throw invalid(`serialized_dashboard is not a valid dashboard definition: ${e instanceof Error ? e.message : String(e)}`);
    }
    return text;
  };
  return {
    'POST /api/2.0/lakeview/dashboards': (b) => {
      const name = str(b['display_name'], 'display_name');
      const parent = absolute(b['parent_path'] ?? '/Shared', 'parent_path');
      const parentObj = store.object(parent);
      if (!parentObj || parentObj.object_type !== 'DIRECTORY') throw notFound(`Path (${parent}) doesn't exist.`);
      const p = `${parent === '/' ? '' : parent}/${name}.lvdash.json`;
      checkPath(p, 'display_name');
      if (store.object(p)) throw new ApiFailure(400, 'RESOURCE_ALREADY_EXISTS', `Node named '${name}.lvdash.json' already exists`);
      const now = new Date().toISOString();
      const d: DashboardRecord = {
        dashboard_id: randomBytes(16).toString('hex'),
        display_name: name,
        parent_path: parent,
        path: p,
        serialized_dashboard: checkSerialized(b['serialized_dashboard']),
        ...(typeof b['warehouse_id'] === 'string' ? { warehouse_id: b['warehouse_id'] } : {}),
        create_time: now,
        update_time: now,
        etag: String(Date.now()),
        lifecycle_state: 'ACTIVE',
      };
      const object_id = store.nextId();
      store.transaction((t) => {
        t.putObject({ path: p, object_type: 'DASHBOARD', object_id, created_at: Date.now(), modified_at: Date.now(), resource_id: d.dashboard_id });
        t.putDashboard(d);
      });
      return d;
    },
    'GET /api/2.0/lakeview/dashboards': (_b, q) => {
      // Trashed dashboards are listed only when asked for (show_trashed), as on Databricks.
      const all = store.allDashboards().filter((d) => d.lifecycle_state === 'ACTIVE' || q.get('show_trashed') === 'true');
      const page = listing(all.map(({ published: _p, ...d }) => d), q, 'dashboards', 1000, 'page_size');
      return page;
    },
    'GET /api/2.0/lakeview/dashboards/:id': (_b, _q, params) => withoutPublished(mustDashboard(params['id']!)),
    // Trash: the dashboard moves to the trash (lifecycle_state TRASHED) and leaves its folder.
    'DELETE /api/2.0/lakeview/dashboards/:id': (_b, _q, params) => {
      const d = { ...mustDashboard(params['id']!), lifecycle_state: 'TRASHED' as const, update_time: new Date().toISOString() };
      const o = store.object(d.path);
      store.transaction((t) => {
        t.putDashboard(d);
        if (o) t.deleteObject(o);
      });
      return {};
    },
    'POST /api/2.0/lakeview/dashboards/:id/published': (b, _q, params) => {
      const d = mustDashboard(params['id']!);
      const warehouse = typeof b['warehouse_id'] === 'string' ? b['warehouse_id'] : d.warehouse_id;
      const published = { display_name: d.display_name, embed_credentials: b['embed_credentials'] === true, ...(warehouse ? { warehouse_id: warehouse } : {}), revision_create_time: new Date().toISOString() };
      store.putDashboard({ ...d, published });
      return published;
    },
    'GET /api/2.0/lakeview/dashboards/:id/published': (_b, _q, params) => {
      const d = mustDashboard(params['id']!);
      if (!d.published) throw notFound(`Dashboard [dashboardId=${d.dashboard_id}] is not published.`);
      return d.published;
    },
    'DELETE /api/2.0/lakeview/dashboards/:id/published': (_b, _q, params) => {
      const { published: _p, ...d } = mustDashboard(params['id']!);
      store.putDashboard(d);
      return {};
    },
    'PATCH /api/2.0/lakeview/dashboards/:id': (b, _q, params) => {
      const d = { ...mustDashboard(params['id']!) };
      if (b['serialized_dashboard'] !== undefined) d.serialized_dashboard = checkSerialized(b['serialized_dashboard']);
      if (typeof b['warehouse_id'] === 'string') d.warehouse_id = b['warehouse_id'];
      d.update_time = new Date().toISOString();
      d.etag = String(Date.now());
      const o = store.object(d.path);
      store.transaction((t) => {
        t.putDashboard(d);
        if (o) t.putObject({ ...o, modified_at: Date.now() });
      });
      return withoutPublished(d);
    },
  };
}
