// `pinpipe warehouse start|stop|status [--json]`: the local SQL warehouse, the Thrift endpoint of Databricks
// SQL warehouses (HTTPS) on the local Spark, served by the local workspace beside its API. start prints what
// a client needs: host, port, HTTP path, the token's file and the CA file to trust.
import { ensureWorkspace, findWorkspace, stopWorkspace, tokenFile } from '../../local/workspace/daemon.ts';
import { PinpipeError } from '../../errors.ts';
import { command, usageError } from '../command.ts';

export default command({
  name: 'warehouse',
  usage: ['warehouse start|stop|status [--json]'],
  about: [
    'The local SQL warehouse: what Databricks SQL warehouses speak (HiveServer2 Thrift over HTTPS at',
    '/sql/1.0/warehouses/<id>) on the local Spark, for the Databricks SQL Connector, JDBC/ODBC and BI tools.',
    'It is served by the local workspace (start starts both; stop stops both). Its certificate is signed by',
    'a CA of this machine: point clients at the CA file it prints.',
  ],
  flags: { json: { type: 'boolean', help: 'as JSON for scripts: {"server_hostname", "port", "http_path", "token_file", "ca_file"}' } },
  run: async ({ flags, args: [action], config, log, out }) => {
    const cfg = config();
    const describe = (wh: NonNullable<Awaited<ReturnType<typeof findWorkspace>>>['warehouse']) => {
      if (!wh) throw new PinpipeError('WORKSPACE_START_FAILED', 'warehouse: the running local workspace serves no SQL warehouse (WORKSPACE_START_FAILED): it was started by an older pinpipe. Run npx pinpipe workspace stop, then npx pinpipe warehouse start.');
      const info = { server_hostname: wh.serverHostname, port: wh.port, http_path: wh.httpPath, token_file: tokenFile(cfg.lakeRoot), ca_file: wh.caFile };
      if (flags.json === true) out(`${JSON.stringify(info)}\n`);
      else {
        out([
          `server_hostname  ${info.server_hostname}`,
          `port             ${info.port}`,
          `http_path        ${info.http_path}`,
          `token_file       ${info.token_file}`,
          `ca_file          ${info.ca_file}`,
          '',
          'Python: sql.connect(server_hostname=..., http_path=..., access_token=open(token_file).read().strip(),',
          '        _port=port, _tls_trusted_ca_file=ca_file, enable_telemetry=False)',
          '',
        ].join('\n'));
      }
    };
    if (action === 'start') {
      const ws = await ensureWorkspace(cfg, log);
      describe(ws.warehouse);
    } else if (action === 'stop') {
      log('warehouse: the local warehouse is served by the local workspace; stopping it');
      await stopWorkspace(log);
    } else if (action === 'status') {
      const ws = await findWorkspace(cfg.lakeRoot);
      if (!ws) out(flags.json === true ? 'null\n' : 'not running\n');
      else describe(ws.warehouse);
    } else usageError('pinpipe warehouse: say start, stop or status (USAGE).');
  },
});
