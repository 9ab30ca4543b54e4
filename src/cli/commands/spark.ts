// `pinpipe spark start|stop|status`: a shared local Spark server for the lake, so that later commands skip
// the Spark start.
import { startDaemon, stopDaemon } from '../../local/spark/index.ts';
import { command, usageError } from '../command.ts';

export default command({
  name: 'spark',
  usage: ['spark start|stop'],
  about: ['A shared local Spark server for the lake: later commands use it instead of starting their own.'],
  flags: {},
  run: async ({ args: [action], config, log }) => {
    if (action === 'start') await startDaemon(config().lakeRoot, config().spark, log);
    else if (action === 'stop') await stopDaemon(log);
    else usageError('pinpipe spark: say start or stop (USAGE).');
  },
});
