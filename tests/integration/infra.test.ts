// cfn-lint over the CloudFormation templates `npm run synth` writes (the default app and the one that creates the
// API Gateway CloudWatch role), no finding allowed. cfn-lint comes from PyPI, pinned in infra/requirements.txt, in
// a venv of its own (.pinpipe/cfn-lint, installed on the first run), which is why this is not a unit test. The
// linter is first shown a broken template, so a linter that silently checks nothing fails here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { IGNORED_RULES, cfnLint, installCfnLint } from '../../infra/src/cfn-lint.ts';
import { PROJECT_ROOT } from '../../src/project.ts';

const REGION = 'us-east-1';

/** `npm run synth` into a folder of its own, with cdk-nag as in real use; the template files it wrote. */
function synth(dir: string, context: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'infra', 'bin', 'synth.ts'), '-o', dir, ...context.flatMap((c) => ['-c', c])], {
    cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, CDK_OUTDIR: undefined, CDK_CONTEXT_JSON: undefined },
  });
  expect(r.status, r.stderr).to.equal(0);
  return readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort().map((f) => path.join(dir, f));
}

describe('infra: cfn-lint on the synthesized templates', function () {
  this.timeout(900_000);
  let bin = '';
  let dir = '';

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-cfn-lint-'));
    bin = installCfnLint((line) => console.error(line)); // the first run creates .pinpipe/cfn-lint from PyPI (about 15 s)
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports an error in a broken template (the linter runs)', () => {
    const file = path.join(dir, 'broken.template.json');
    writeFileSync(file, JSON.stringify({ Resources: { S: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 'many', Nmae: 'x' } } } }));
    const found = cfnLint(bin, [file], [REGION]);
    expect(found.filter((f) => f.level === 'Error').length).to.be.greaterThan(0);
  });

  it('passes every template: no error, no warning, no informational finding', () => {
    const templates = [
      ...synth(path.join(dir, 'default'), []),
      // The api stack differs when it creates the account's CloudWatch role.
      ...synth(path.join(dir, 'create'), ['apiGatewayAccountRole=create']).filter((f) => f.endsWith('-api.template.json')),
    ];
    expect(templates).to.have.length(7);
    const found = cfnLint(bin, templates, [REGION]);
    expect(found.map((f) => `${path.relative(dir, f.file)}:${f.line} ${f.rule} ${f.level}: ${f.message}`)).to.deep.equal([]);
  });

  it('ignores only rules it gives a reason for', () => {
    for (const [rule, reason] of Object.entries(IGNORED_RULES)) expect(reason.length, rule).to.be.greaterThan(40);
  });
});
