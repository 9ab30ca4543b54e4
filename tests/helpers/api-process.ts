// The ingestion API in a process of its own, for the crash test (which kills it with SIGKILL) and the fuzz
// test (which reads its peak memory): argv is one JSON object {bootstrap, port, settings?, tables?}; it
// prints `API <url>` once it listens, and runs until killed (SIGTERM closes it).
import { apiSchema } from '../../src/config/schema.ts';
import { startApi } from '../../src/api/server.ts';
import type { TableKey } from '../../src/config/index.ts';

const options = JSON.parse(process.argv[2]!) as { bootstrap: string; port: number; settings?: Record<string, unknown>; tables?: Record<string, TableKey> };
const api = await startApi({ settings: apiSchema.parse({ ...options.settings, port: options.port }), apiKeys: [], brokers: [options.bootstrap], tables: options.tables ?? {}, log: () => {} });
console.log(`API ${api.url}`);
process.on('SIGTERM', () => { void api.close().then(() => process.exit(0)); });
