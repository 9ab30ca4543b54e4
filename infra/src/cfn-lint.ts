// cfn-lint (PyPI, pinned in infra/requirements.txt, in a venv of its own under .pinpipe/cfn-lint) over
// synthesized templates: every finding as data, errors and warnings alike, less the rules ignored below.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureVenv } from '../../src/local/python/venv.ts';
import { PinpipeError } from '../../src/errors.ts';
import { projectPath } from '../../src/project.ts';

/** Rules not applied to these templates, each with its reason (a resource-level exception lives in its template). */
export const IGNORED_RULES: Readonly<Record<string, string>> = {
  W3010: 'Availability zones are named by context (-c azs=..., default <region>a and b) so that synth needs no AWS credentials or lookups.',
};

export interface LintFinding {
  rule: string;
  level: string;
  file: string;
  line: number;
  message: string;
}

/** The cfn-lint executable, installing its venv when missing or when infra/requirements.txt changed. */
export function installCfnLint(log: (line: string) => void): string {
  const home = projectPath('.pinpipe', 'cfn-lint');
  ensureVenv({ home, requirements: projectPath('infra', 'requirements.txt'), what: 'cfn-lint', log });
  return path.join(home, 'bin', 'cfn-lint');
}

interface RawMatch {
  Rule: { Id: string };
  Level: string;
  Filename: string;
  Location: { Start: { LineNumber: number } };
  Message: string;
}

/** Lints the templates for the given regions; returns every finding (none means the templates pass). */
export function cfnLint(cfnLintBin: string, templates: readonly string[], regions: readonly string[]): LintFinding[] {
  const args = ['--format', 'json', '--regions', ...regions, '--ignore-checks', ...Object.keys(IGNORED_RULES), '--', ...templates];
  const r = spawnSync(cfnLintBin, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let matches: RawMatch[];
  try {
    matches = JSON.parse(r.stdout || 'null') as RawMatch[];
    if (!Array.isArray(matches)) throw new Error('no JSON array on stdout');
  } catch (e) {
    throw new PinpipeError('IO_FAILED', `infra: cfn-lint gave no findings list (exit ${String(r.status)}, ${e instanceof Error ? e.message : String(e)}) (IO_FAILED):\n${(r.stderr || r.error?.message || '').trim().slice(0, 2000)}`);
  }
  return matches.map((m) => ({ rule: m.Rule.Id, level: m.Level, file: m.Filename, line: m.Location.Start.LineNumber, message: m.Message }));
}
