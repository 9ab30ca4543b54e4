// `pinpipe notebooks build|check`: notebooks/ from sql/, databricks.yml and the Airflow DAGs (dags/) from jobs/,
// the dashboard definition.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../../errors.ts';
import { DASHBOARD_FILE, renderBundle } from '../../job/bundle.ts';
import { renderDags } from '../../job/index.ts';
import { renderLakeviewFile } from '../../dashboard/dashboard.ts';
import { notebookFiles, renderAllNotebooks } from '../../notebook/index.ts';
import { projectPath, readProjectFile } from '../../project.ts';
import { JOBS } from '../../../jobs/index.ts';
import { command, usageError } from '../command.ts';

export default command({
  name: 'notebooks',
  usage: ['notebooks build|check'],
  about: ['build: renders notebooks/ from sql/, databricks.yml and the Airflow DAGs (dags/) from jobs/, and the dashboard definition.', 'check: fails when they are not current (CI runs it).'],
  flags: {},
  run: async ({ args: [action], config, log }) => {
    if (action !== 'build' && action !== 'check') usageError('pinpipe notebooks: say build or check (USAGE).');
    const notebooks = renderAllNotebooks(readProjectFile);
    // The bundle names the notebook files relative to itself; the dashboard reads the queries as rendered now,
    // its table parameters defaulting to the configured names.
    const files = [...new Set([...notebookFiles().map((f) => f.file), ...notebooks.map((nb) => nb.path)])].sort().map((f) => `./${f}`);
    const queries = notebooks.find((nb) => nb.path === 'notebooks/queries.sql')!.content;
    const generated = [
      ...notebooks.map((nb) => ({ path: nb.path, content: nb.content })),
      { path: 'databricks.yml', content: renderBundle(JOBS, files) },
      { path: DASHBOARD_FILE, content: renderLakeviewFile(config(), queries) },
      // The DAGs of the configured target (pinpipe.yaml's default), as deploy-dag renders them for a target.
      ...renderDags(JOBS, config()),
    ];
    const stale: string[] = [];
    for (const nb of generated) {
      const file = projectPath(nb.path);
      const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
      if (current === nb.content) continue;
      if (action === 'check') stale.push(nb.path);
      else {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, nb.content);
        log(`notebooks: wrote ${nb.path}`);
      }
    }
    if (stale.length) throw new PinpipeError('NOTEBOOKS_STALE', `notebooks: ${stale.join(', ')} not current with sql/, jobs/ and pinpipe.yaml (NOTEBOOKS_STALE). Run npm run build-notebooks and commit the result.`);
    if (action === 'check') log('notebooks: all current');
  },
});
