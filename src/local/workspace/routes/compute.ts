// Compute the clients list before they pick one: SQL warehouses (the local warehouse the workspace serves,
// with its connection details as odbc_params) and clusters (none: jobs run on the local Spark, as serverless
// jobs do on Databricks).
import { LOCAL_USER, notFound, type RouteContext, type Routes } from '../api.ts';

export function computeRoutes(ctx: RouteContext): Routes {
  const warehouse = () => {
    const wh = ctx.warehouse();
    if (!wh) return null;
    return {
      id: wh.warehouseId,
      name: 'pinpipe local warehouse',
      state: 'RUNNING',
      cluster_size: 'X-Small',
      min_num_clusters: 1,
      max_num_clusters: 1,
      num_clusters: 1,
      num_active_sessions: 0,
      auto_stop_mins: 0,
      creator_name: LOCAL_USER,
      warehouse_type: 'PRO',
      enable_serverless_compute: true,
      enable_photon: false,
      health: { status: 'HEALTHY' },
      odbc_params: { hostname: wh.serverHostname, path: wh.httpPath, protocol: 'https', port: wh.port },
      jdbc_url: `jdbc:databricks://${wh.serverHostname}:${wh.port}/default;transportMode=http;ssl=1;AuthMech=3;httpPath=${wh.httpPath};`,
    };
  };
  return {
    'GET /api/2.0/sql/warehouses': () => {
      const wh = warehouse();
      return wh ? { warehouses: [wh] } : {};
    },
    'GET /api/2.0/sql/warehouses/:id': (_b, _q, params) => {
      const wh = warehouse();
      if (!wh || wh.id !== params['id']) throw notFound(`Warehouse ${params['id']} does not exist.`);
      return wh;
    },
    'GET /api/2.1/clusters/list': () => ({}),
    'GET /api/2.0/clusters/list': () => ({}),
  };
}
