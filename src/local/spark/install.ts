// Installs the local Spark runtime into .pinpipe/spark/: Spark + Delta jars from Maven Central (through
// src/local/spark/pom.xml) and the compiled SparkServer. Idempotent: a fingerprint of the pom and the
// Java source says whether anything must be redone.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../../errors.ts';
import { projectPath } from '../../project.ts';
import { copyDependencies, requireMaven, runTool } from '../runtime/maven.ts';

export interface SparkInstall {
  home: string;
  jarsDir: string;
  classesDir: string;
  log4jConfig: string;
  java: string;
}

const JAVA_ROOT = 'src/local/spark/java';
/** The Java sources compiled into the server's classes (the server and the local `kinesis` source). */
function javaSources(): string[] {
  return (readdirSync(projectPath(JAVA_ROOT), { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.endsWith('.java'))
    .sort()
    .map((f) => `${JAVA_ROOT}/${f.split(path.sep).join('/')}`);
}
const SERVICES = 'META-INF/services/org.apache.spark.sql.sources.DataSourceRegister';

function sources(): string[] {
  return ['src/local/spark/pom.xml', 'src/local/spark/settings.xml', `${JAVA_ROOT}/${SERVICES}`, ...javaSources()];
}

export function sparkHome(): string {
  return projectPath('.pinpipe', 'spark');
}

function fingerprint(): string {
  const hash = createHash('sha256');
  for (const f of sources()) hash.update(f).update(readFileSync(projectPath(f)));
  return hash.digest('hex').slice(0, 16);
}

let javaHome: string | undefined;

/** Where Java is: the CLI passes JAVA_HOME here; without it, `java` on PATH. */
export function useJavaHome(dir: string | undefined): void {
  javaHome = dir || undefined;
}

/** The Java major version on PATH (or in JAVA_HOME), or a clear error when there is none or it is too old. */
export function checkJava(): { java: string; major: number } {
  const java = javaHome && existsSync(path.join(javaHome, 'bin', 'java')) ? path.join(javaHome, 'bin', 'java') : 'java';
  const out = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) {
    throw new PinpipeError('JAVA_MISSING', 'spark: no Java found (JAVA_MISSING). Spark 4 needs Java 17 or 21: install it (Debian: apt-get install -y openjdk-17-jdk-headless) or set JAVA_HOME.');
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(out.stderr);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0;
  if (major < 17) {
    throw new PinpipeError('JAVA_MISSING', `spark: Java ${major || 'of unknown version'} found at ${java} (JAVA_MISSING); Spark 4 needs Java 17 or 21. Install it or point JAVA_HOME at one.`);
  }
  return { java, major };
}

export function installedSpark(): SparkInstall | null {
  const home = sparkHome();
  const stamp = path.join(home, 'installed.txt');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8').trim() !== fingerprint()) return null;
  return {
    home,
    jarsDir: path.join(home, 'jars'),
    classesDir: path.join(home, 'classes'),
    log4jConfig: projectPath('src/local/spark/log4j2.properties'),
    java: checkJava().java,
  };
}

export function installSpark(log: (line: string) => void): SparkInstall {
  const ready = installedSpark();
  if (ready) return ready;
  const { java } = checkJava();
  const home = sparkHome();
  const jarsDir = path.join(home, 'jars');
  const classesDir = path.join(home, 'classes');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(classesDir, { recursive: true });
  const retry = 'Check that Maven Central is reachable and run npm run setup:spark again.';
  requireMaven('spark', 'SPARK_NOT_INSTALLED', 'the Spark and Delta jars');
  copyDependencies('src/local/spark/pom.xml', jarsDir, 'fetching Spark 4, Spark Connect, Delta Lake and AWS SDK Kinesis jars from Maven Central (about 360 MB, once)', 'spark', 'SPARK_NOT_INSTALLED', retry, log);
  const javac = path.join(path.dirname(java), 'javac');
  runTool(existsSync(javac) ? javac : 'javac', ['-nowarn', '-d', classesDir, '-cp', `${jarsDir}/*`, ...javaSources().map((f) => projectPath(f))],
    'compiling the pinpipe Spark server and its kinesis source', 'spark', 'SPARK_NOT_INSTALLED', retry, log);
  mkdirSync(path.join(classesDir, path.dirname(SERVICES)), { recursive: true });
  copyFileSync(projectPath(JAVA_ROOT, SERVICES), path.join(classesDir, SERVICES));
  log(`spark: installed ${readdirSync(jarsDir).length} jars into ${path.relative(process.cwd(), home) || home}`);
  writeFileSync(path.join(home, 'installed.txt'), `${fingerprint()}\n`);
  return installedSpark()!;
}
