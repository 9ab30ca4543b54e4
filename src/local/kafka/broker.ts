// The local Kafka: Apache Kafka 4 from Maven Central (src/local/kafka/pom.xml) installed into
// .pinpipe/kafka/, and a single-node KRaft broker (broker and controller in one JVM) started and stopped by
// the project, with its data in a folder of its own. The storage is formatted once; a restart keeps every
// acknowledged record.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../../errors.ts';
import { projectPath } from '../../project.ts';
import { checkJava } from '../spark/install.ts';
import { copyDependencies, requireMaven, runTool } from '../runtime/maven.ts';
import { allocatePorts } from '../ports.ts';
import { startService } from '../service.ts';

const SOURCES = ['src/local/kafka/pom.xml', 'src/local/spark/settings.xml'];

export interface KafkaInstall {
  jarsDir: string;
  java: string;
  log4jConfig: string;
}

function fingerprint(): string {
  const hash = createHash('sha256');
  for (const f of SOURCES) hash.update(readFileSync(projectPath(f)));
  return hash.digest('hex').slice(0, 16);
}

export function installKafka(log: (line: string) => void): KafkaInstall {
  const home = projectPath('.pinpipe', 'kafka');
  const jarsDir = path.join(home, 'jars');
  const stamp = path.join(home, 'installed.txt');
  const result = (): KafkaInstall => ({ jarsDir, java: checkJava().java, log4jConfig: projectPath('src/local/kafka/log4j2.properties') });
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === fingerprint()) return result();
  checkJava();
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  requireMaven('kafka', 'KAFKA_NOT_INSTALLED', 'the Kafka jars');
  copyDependencies('src/local/kafka/pom.xml', jarsDir, 'fetching Apache Kafka 4 jars from Maven Central (about 55 MB, once)', 'kafka', 'KAFKA_NOT_INSTALLED',
    'Check that Maven Central is reachable and run npm run setup again.', log);
  log(`kafka: installed ${readdirSync(jarsDir).length} jars into ${path.relative(process.cwd(), home) || home}`);
  writeFileSync(stamp, `${fingerprint()}\n`);
  return result();
}

export interface BrokerOptions {
  /** Holds the broker's log segments and metadata; formatted on first start. */
  dataDir: string;
  /** Client port (0: any free port); the controller takes another free port. */
  port?: number;
  heap?: string;
  log?: (line: string) => void;
}

export interface Broker {
  bootstrap: string;
  port: number;
  pid: number;
  /** Ends when the broker process exits, for whatever reason. */
  exited: Promise<void>;
  /** Stops the broker cleanly (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** Kills the broker at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
}

function properties(dataDir: string, port: number, controllerPort: number): string {
  return [
    '# Written by pinpipe: a single-node KRaft broker for local runs and tests.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${path.join(dataDir, 'logs')}`,
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'min.insync.replicas=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'num.partitions=1',
    '',
  ].join('\n');
}

/** Starts a broker over dataDir (formatting it the first time) and waits until it takes connections. */
export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const log = options.log ?? (() => {});
  const install = installKafka(log);
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const portsFile = path.join(dataDir, 'ports.json');
  // The controller's address is part of the formatted metadata: a restart keeps both ports.
  let ports: { port: number; controller: number };
  if (existsSync(portsFile)) ports = JSON.parse(readFileSync(portsFile, 'utf8')) as { port: number; controller: number };
  else {
    const [port, controller] = options.port ? [options.port, ...(await allocatePorts(1, [options.port]))] : await allocatePorts(2);
    ports = { port: port!, controller: controller! };
    writeFileSync(portsFile, JSON.stringify(ports));
  }
  if (options.port && options.port !== ports.port) {
    throw new PinpipeError('KAFKA_START_FAILED', `kafka: ${dataDir} belongs to a broker on port ${ports.port}, not ${options.port} (KAFKA_START_FAILED). Use that port or another data folder.`);
  }
  const config = path.join(dataDir, 'server.properties');
  writeFileSync(config, properties(dataDir, ports.port, ports.controller));
  const cp = `${install.jarsDir}/*`;
  const jvm = [`-Xmx${options.heap ?? '512m'}`, `-Dlog4j2.configurationFile=${install.log4jConfig}`, '-cp', cp];
  if (!existsSync(path.join(dataDir, 'logs', 'meta.properties'))) {
    // A cluster id is 16 random bytes in base64url; one starting with '-' would read as an option.
    let clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
    runTool(install.java, [...jvm, 'kafka.tools.StorageTool', 'format', '--cluster-id', clusterId, '-c', config, '--standalone'],
      `formatting the broker storage in ${dataDir}`, 'kafka', 'KAFKA_START_FAILED', 'Remove the folder and start again.', log);
  }
  const started = Date.now();
  const service = await startService({
    name: 'kafka broker',
    command: install.java,
    args: [...jvm, 'kafka.Kafka', config],
    ready: { port: ports.port },
    timeoutMs: 120_000,
    logFile: path.join(dataDir, 'broker.log'),
    code: 'KAFKA_START_FAILED',
  });
  log(`kafka: broker ready on 127.0.0.1:${ports.port} in ${((Date.now() - started) / 1000).toFixed(1)}s (data ${dataDir})`);
  return {
    bootstrap: `127.0.0.1:${ports.port}`,
    port: ports.port,
    pid: service.pid,
    exited: service.exited,
    stop: () => service.stop(30_000),
    kill: () => service.kill(),
  };
}
