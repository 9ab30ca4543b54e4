// The real tools over the app, without network: cdk-nag's AwsSolutions rules (every finding acknowledged with a
// reason; first shown a known-bad input, so a checker that silently checks nothing fails here), `npm run synth`'s
// entry and the project's CDK CLI reading its output. cfn-lint, which comes from PyPI, runs in the integration
// tier (tests/integration/infra.test.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { infraSettings, newApp } from '../../../infra/src/index.ts';
import { PinpipeError } from '../../../src/errors.ts';
import { PROJECT_ROOT } from '../../../src/project.ts';
import { app } from './app.ts';

function nagViolations(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks(scope).validateScope(scope);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}: ${v.description}`));
}

describe('infra: checks', function () {
  this.timeout(300_000);

  describe('cdk-nag (AwsSolutions)', () => {
    it('finds the faults of a bare bucket (the checker runs)', () => {
      const probe = newApp();
      new Bucket(new Stack(probe, 'Probe'), 'Bare');
      const found = nagViolations(probe).join('\n');
      expect(found).to.match(/AwsSolutions-S1 /).and.to.match(/AwsSolutions-S10 /);
    });

    it('leaves no error or warning unacknowledged in any stack', () => {
      expect(nagViolations(app().pinpipe.app)).to.deep.equal([]);
    });

    it('leaves none either when the app creates the API Gateway CloudWatch role (-c apiGatewayAccountRole=create)', () => {
      expect(nagViolations(app({ apiGatewayAccountRole: 'create' }).pinpipe.app)).to.deep.equal([]);
    });

    it('gives every acknowledgment a reason of its own (a sentence, not a placeholder)', () => {
      const acks: Array<[string, string, string]> = [];
      for (const c of app().pinpipe.app.node.findAll()) {
        for (const m of c.node.metadata) {
          if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
          for (const [id, reason] of Object.entries(m.data as Record<string, string>)) acks.push([c.node.path, id, reason]);
        }
      }
      expect(acks.length).to.be.greaterThan(10);
      const weak = acks.filter(([, , reason]) => typeof reason !== 'string' || reason.length < 40 || /^(todo|n\/a|ok|test)/i.test(reason));
      expect(weak).to.deep.equal([]);
    });
  });

  describe('npm run synth (infra/bin/synth.ts) and the pinned CDK CLI', () => {
    const synth = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'infra', 'bin', 'synth.ts'), ...args], {
      cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, CDK_OUTDIR: undefined, CDK_CONTEXT_JSON: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_PROFILE: undefined },
    });
    const STACK_NAMES = ['storage', 'network', 'streams', 'kafka', 'api', 'orchestration'].map((s) => `Pinpipe-abc123-${s}`);
    const dirs: string[] = [];
    const tempDir = () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-synth-'));
      dirs.push(dir);
      return dir;
    };
    let out = '';
    let synthRun: ReturnType<typeof synth>;

    before(() => {
      out = tempDir();
      synthRun = synth(['-o', out, '-c', 'uid=abc123', '-c', 'region=eu-west-1', '-c', 'account=123456789012', '-c', 'streamShards=2']);
    });
    after(() => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    it('writes the six templates with the context given, with no AWS credentials and nothing left to look up', () => {
      expect(synthRun.status, synthRun.stderr).to.equal(0);
      // CDK's own template validation reports its findings as warnings only; none is allowed either.
      expect(synthRun.stderr).not.to.match(/Template validation found issues|\[WARNING\]/);
      const templates = readdirSync(out).filter((f) => f.endsWith('.template.json')).sort();
      expect(templates).to.deep.equal([...STACK_NAMES].sort().map((s) => `${s}.template.json`));
      // A context lookup left for the CDK CLI would need credentials (and a plain synth would use dummy values).
      expect((JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { missing?: unknown }).missing).to.equal(undefined);
    });

    it("is read by the project's CDK CLI: `cdk ls --app <synth output>` lists the six stacks (no credentials, no network)", () => {
      expect(synthRun.status, synthRun.stderr).to.equal(0);
      // The CLI the README's commands run (npx cdk): it must read the cloud assembly schema of this aws-cdk-lib.
      const cli = path.join(PROJECT_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
      const r = spawnSync(process.execPath, [cli, 'ls', '--app', out, '--no-notices'], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: {
          ...process.env, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: undefined,
          CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true',
        },
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
      expect(r.stdout.trim().split('\n')).to.deep.equal(STACK_NAMES);
    });

    it('warns of a context key it does not read when the CDK CLI runs it (the CLI passes any -c key through)', () => {
      const dir = tempDir();
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'infra', 'bin', 'synth.ts')], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: {
          ...process.env, AWS_ACCESS_KEY_ID: undefined, AWS_PROFILE: undefined, CDK_OUTDIR: dir,
          // As CDK CLI 2.1149 sends it for `-c shards=2 -c uid=abc123`.
          CDK_CONTEXT_JSON: JSON.stringify({ shards: '2', uid: 'abc123', 'aws:cdk:enable-path-metadata': true, 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:failSynthOnValidationErrors': false }),
        },
      });
      expect(r.status, r.stderr).to.equal(0);
      const warnings = r.stderr.split('\n').filter((l) => l.startsWith('infra synth: warning: context'));
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/^infra synth: warning: context "shards" not read by this app, ignored\. Keys: uid, /);
      expect(readdirSync(dir)).to.include('Pinpipe-abc123-streams.template.json');
    });

    it('refuses an unknown context key and a user id that cannot name a bucket (exit 2)', () => {
      const unknown = synth(['-c', 'shards=2']);
      expect(unknown.status).to.equal(2);
      expect(unknown.stderr).to.match(/unknown context key "shards"/);
      const bad = synth(['-o', tempDir(), '-c', 'uid=Not_A_Bucket']);
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.match(/"uid" has "Not_A_Bucket"; expected lower-case letters/);
    });
  });

  describe('settings', () => {
    it("defaults to pinpipe.yaml's user id, us-east-1 and its zones a and b", () => {
      const s = infraSettings({}, '0affe4008223');
      expect([s.uid, s.region, s.availabilityZones, s.names.bucket]).to.deep.equal(['0affe4008223', 'us-east-1', ['us-east-1a', 'us-east-1b'], 'user-0affe4008223-bucket']);
      expect(s.connect.pluginBucket).to.equal('user-0affe4008223-bucket');
    });

    it('refuses zones of another region with what to pass', () => {
      try {
        infraSettings({ region: 'eu-west-1', azs: 'us-east-1a,us-east-1b' }, 'abc');
        expect.fail('no error');
      } catch (e) {
        expect(e).to.be.instanceOf(PinpipeError);
        expect((e as PinpipeError).code).to.equal('CONFIG_INVALID');
        expect((e as Error).message).to.include('-c azs=eu-west-1a,eu-west-1b');
      }
    });
  });
});
