// Fetches a runtime's jars from Maven Central with the project's own pom (mvn dependency:copy-dependencies,
// settings.xml pinned to Central), for the local Spark and the local Kafka alike.
import { spawnSync } from 'node:child_process';
import { PinpipeError, type ErrorCode } from '../../errors.ts';
import { projectPath } from '../../project.ts';

export function runTool(cmd: string, args: string[], what: string, area: string, code: ErrorCode, retry: string, log: (line: string) => void): void {
  log(`${area}: ${what}`);
  const out = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (out.error || out.status !== 0) {
    const lines = `${out.stdout ?? ''}\n${out.stderr ?? ''}\n${out.error ? String(out.error) : ''}`.split('\n').map((l) => l.trimEnd()).filter(Boolean);
    const errors = lines.filter((l) => /ERROR|error:|Exception/.test(l));
    // The tool's own words: its error lines, or else the last lines it printed.
    const detail = (errors.length > 0 ? errors.slice(0, 5) : lines.slice(-5)).join('\n');
    throw new PinpipeError(code, `${area}: ${what} failed (${code}, exit ${out.status ?? out.signal}): ${detail || 'no output'}. ${retry}`);
  }
}

export function requireMaven(area: string, code: ErrorCode, what: string): void {
  const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvn.error || mvn.status !== 0) {
    throw new PinpipeError(code, `${area}: Maven (mvn) is not on PATH (${code}). Install it (Debian: apt-get install -y maven); it fetches ${what} from Maven Central.`);
  }
}

export function copyDependencies(pom: string, outDir: string, what: string, area: string, code: ErrorCode, retry: string, log: (line: string) => void): void {
  runTool('mvn', ['-q', '-B', '-s', projectPath('src/local/spark/settings.xml'), '-f', projectPath(pom),
    'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${outDir}`], what, area, code, retry, log);
}
