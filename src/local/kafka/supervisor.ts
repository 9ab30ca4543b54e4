// Supervision of the broker a command started (`pinpipe api`): when it exits unexpectedly (a crash, a
// kill -9), it is started again on the same data folder and ports, with a growing pause between attempts
// (1 s doubling to 30 s), each attempt logged; its state is reported for /health. Acknowledged records
// survive (the broker's log is durable); requests meanwhile get 503 with Retry-After. We chose restarting
// here over exiting for an outer supervisor: the API alone keeps serving /health and answering 503 clearly.
import { startBroker, type Broker, type BrokerOptions } from './broker.ts';

export interface SupervisedBroker {
  bootstrap: string;
  /** 'up', or 'restarting' (with the attempts so far). */
  status(): { broker: 'up' | 'restarting'; restarts: number; pid: number };
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function superviseBroker(options: BrokerOptions): Promise<SupervisedBroker> {
  const log = options.log ?? (() => {});
  let broker: Broker = await startBroker(options);
  let stopping = false;
  let restarting = false;
  let restarts = 0;
  const watch = (b: Broker) => {
    void b.exited.then(async () => {
      if (stopping) return;
      restarting = true;
      for (let attempt = 0; !stopping; attempt++) {
        const wait = Math.min(30, 2 ** attempt);
        log(`kafka: the broker (pid ${b.pid}) exited; starting it again in ${wait}s (attempt ${attempt + 1})`);
        await sleep(wait * 1000);
        if (stopping) return;
        try {
          broker = await startBroker(options);
          restarts++;
          restarting = false;
          log(`kafka: the broker is back (pid ${broker.pid})`);
          watch(broker);
          return;
        } catch (e) {
          log(`kafka: starting the broker again failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
        }
      }
    });
  };
  watch(broker);
  return {
    bootstrap: broker.bootstrap,
    status: () => ({ broker: restarting ? 'restarting' : 'up', restarts, pid: broker.pid }),
    stop: async () => {
      stopping = true;
      await broker.stop();
    },
  };
}
