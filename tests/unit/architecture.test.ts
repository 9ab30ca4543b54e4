// The module boundaries of README's architecture section, checked on the sources: no import cycle; the
// Databricks client and the deploy code never reach the local runtime; no module over 350 lines without a
// reason at its top; only the CLI (and config/) reads the environment, writes to the terminal or installs
// signal handlers.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/project.ts';

const SRC = path.join(PROJECT_ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

const files = sources(SRC);
const rel = (f: string) => path.relative(PROJECT_ROOT, f);
const text = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));

/** Project files a module imports (static, re-exports and dynamic imports of relative paths). */
function imports(file: string): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;
  for (const m of text.get(file)!.matchAll(re)) {
    const spec = m[1] ?? m[2]!;
    out.push(path.resolve(path.dirname(file), spec));
  }
  return out.filter((f) => text.has(f));
}

const graph = new Map(files.map((f) => [f, imports(f)]));

describe('architecture', () => {
  it('has no import cycle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, stack: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(f)), f].map(rel).join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const g of graph.get(f)!) visit(g, [...stack, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(cycles).to.deep.equal([]);
  });

  it('keeps src/databricks and src/deploy away from the local runtime (src/local), directly or not', () => {
    const reached: string[] = [];
    for (const start of files.filter((f) => /^src\/(databricks|deploy)\//.test(rel(f)))) {
      const seen = new Set<string>();
      const walk = (f: string, trail: string[]) => {
        if (seen.has(f)) return;
        seen.add(f);
        if (rel(f).startsWith('src/local/')) reached.push([...trail, f].map(rel).join(' -> '));
        for (const g of graph.get(f)!) walk(g, [...trail, f]);
      };
      walk(start, []);
    }
    expect(reached).to.deep.equal([]);
  });

  it('has no module over 350 lines without a reason stated at its top', () => {
    const long = files.filter((f) => text.get(f)!.split('\n').length > 350 && !/350 lines/.test(text.get(f)!.split('\n').slice(0, 12).join('\n')));
    expect(long.map(rel)).to.deep.equal([]);
  });

  it('reads the environment, writes to the terminal and installs signal handlers only in src/cli (and config/)', () => {
    const offenders: string[] = [];
    for (const f of files) {
      const r = rel(f);
      if (r.startsWith('src/cli/')) continue;
      const code = text.get(f)!.split('\n').filter((l) => !/^\s*(\/\/|\*)/.test(l)).join('\n');
      if (!r.startsWith('src/config/') && /process\.env\b/.test(code)) offenders.push(`${r}: process.env`);
      if (/process\.(stdout|stderr)\.write/.test(code)) offenders.push(`${r}: writes to the terminal`);
      if (/process\.(on|once)\(\s*'(SIGINT|SIGTERM)'/.test(code)) offenders.push(`${r}: installs a signal handler`);
    }
    expect(offenders).to.deep.equal([]);
  });
});
