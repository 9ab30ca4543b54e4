// Deploys the dashboard of the nine queries with the notebooks: an AI/BI (Lakeview) dashboard in the
// target's folder, its datasets reading the target's tables on its SQL warehouse. Idempotent: created
// when missing, updated only when its definition or warehouse changed.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/index.ts';
import { dashboardParams, lakeviewDashboard } from '../dashboard/dashboard.ts';
import { workspaceFolder } from '../job/compile.ts';
import { apiFailure, call, isNotFound, type Workspace } from '../databricks/client.ts';

export const DASHBOARD_NAME = 'pinpipe analytics';

export async function deployDashboard(
  config: Config,
  ws: Workspace,
  options: { dryRun?: boolean; log: (l: string) => void },
): Promise<'created' | 'updated' | 'unchanged' | 'would create' | 'would update'> {
  const parent = workspaceFolder(config).replace(/\/$/, '');
  const path = `${parent}/${DASHBOARD_NAME}.lvdash.json`;
  const definition = lakeviewDashboard(dashboardParams(config));
  const warehouseId = config.target.kind === 'databricks' ? config.target.warehouse_id : undefined;
  let existingId: string | null = null;
  try {
    const st = await ws.client.workspace.getStatus({ path });
    existingId = st.resource_id ?? null;
  } catch (e) {
    if (!isNotFound(e)) throw apiFailure(e, `reading ${path}`, ws.host);
  }
  let action: Awaited<ReturnType<typeof deployDashboard>>;
  if (!existingId) {
    action = options.dryRun ? 'would create' : 'created';
    if (!options.dryRun) {
      await call(ws, `creating ${parent}`, () => ws.client.workspace.mkdirs({ path: parent }));
      await call(ws, `creating dashboard ${path}`, () => ws.client.lakeview.create({
        dashboard: { display_name: DASHBOARD_NAME, parent_path: parent, serialized_dashboard: JSON.stringify(definition), ...(warehouseId ? { warehouse_id: warehouseId } : {}) },
      }));
    }
  } else {
    const current = await call(ws, `reading dashboard ${path}`, () => ws.client.lakeview.get({ dashboard_id: existingId! }));
    let same = (current.warehouse_id ?? undefined) === warehouseId;
    try {
      same &&= isDeepStrictEqual(JSON.parse(current.serialized_dashboard ?? '{}'), definition);
    } catch {
      same = false;
    }
    action = same ? 'unchanged' : options.dryRun ? 'would update' : 'updated';
    if (action === 'updated') {
      await call(ws, `updating dashboard ${path}`, () => ws.client.lakeview.update({
        dashboard_id: existingId!,
        dashboard: { display_name: DASHBOARD_NAME, serialized_dashboard: JSON.stringify(definition), ...(warehouseId ? { warehouse_id: warehouseId } : {}) },
      }));
    }
  }
  options.log(`deploy: dashboard ${path} ${action}`);
  return action;
}
