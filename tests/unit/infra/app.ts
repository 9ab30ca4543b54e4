// The app under test, built and synthesized once a test run (once per context for the variants some tests need),
// without the synth-time cdk-nag plugin so that each check reports on its own (checks.test.ts runs cdk-nag on
// this very app). The synthesized folders are removed after the run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { Stack } from 'aws-cdk-lib';
import { buildPinpipe, infraSettings, newApp, type InfraContext, type InfraSettings, type PinpipeApp } from '../../../infra/src/index.ts';

export const UID = '0affe4008223';
export const REGION = 'us-east-1';
/** The account the templates' AWS::AccountId stands for when a test evaluates an ARN. */
export const ACCOUNT = '123456789012';
export type StackName = Exclude<keyof PinpipeApp, 'app'>;
export const STACKS: readonly StackName[] = ['storage', 'network', 'streams', 'kafka', 'api', 'orchestration'];

export interface Resource { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string; DependsOn?: string[]; Metadata?: Record<string, unknown> }

export interface Built {
  pinpipe: PinpipeApp;
  settings: InfraSettings;
  outdir: string;
  templateFiles: string[];
  template(name: StackName): Template;
  /** The synthesized template as JSON, for walks over every resource. */
  json(name: StackName): { Resources: Record<string, Resource> };
}

const builds = new Map<string, Built>();

after(() => {
  for (const b of builds.values()) rmSync(b.outdir, { recursive: true, force: true });
  builds.clear();
});

/** The app with the default context (uid and region above), or with the given context keys besides. */
export function app(context: Partial<InfraContext> = {}): Built {
  const key = JSON.stringify(context);
  const known = builds.get(key);
  if (known) return known;
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-infra-'));
  const cdk = newApp({ outdir });
  const settings = infraSettings({ uid: UID, region: REGION, ...context }, UID);
  const pinpipe = buildPinpipe(cdk, settings, { checks: false });
  const assembly = cdk.synth();
  const templates = new Map<StackName, Template>();
  const files = new Map(STACKS.map((n) => [n, path.join(assembly.directory, (pinpipe[n] as Stack).templateFile)]));
  const built: Built = {
    pinpipe,
    settings,
    outdir: assembly.directory,
    templateFiles: [...files.values()],
    template(name) {
      let t = templates.get(name);
      if (!t) templates.set(name, (t = Template.fromJSON(JSON.parse(readFileSync(files.get(name)!, 'utf8')) as Record<string, unknown>)));
      return t;
    },
    json(name) {
      return JSON.parse(readFileSync(files.get(name)!, 'utf8'));
    },
  };
  builds.set(key, built);
  return built;
}

/** The one resource of a type in a stack's template (fails when there is not exactly one). */
export function only(name: StackName, type: string, built: Built = app()): { id: string; props: Record<string, unknown> } {
  const found = Object.entries(built.json(name).Resources).filter(([, r]) => r.Type === type);
  if (found.length !== 1) throw new Error(`${name}: ${found.length} resources of type ${type}, expected 1`);
  return { id: found[0]![0], props: found[0]![1].Properties ?? {} };
}

/**
 * A template value as the string CloudFormation would make of it in this test's account and region: literals,
 * Fn::Join, Fn::Select of Fn::Split, the pseudo parameters, Ref of a log group (its name), and the attributes given
 * as "LogicalId.Attribute". Anything else fails the test, by design.
 */
export function evaluate(value: unknown, resources: Record<string, Resource>, attributes: Record<string, string> = {}): string {
  if (typeof value === 'string') return value;
  const o = value as Record<string, unknown>;
  if (o['Fn::Join']) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map((i) => evaluate(i, resources, attributes)).join(delimiter);
  }
  if (o['Fn::Select']) {
    const [index, list] = o['Fn::Select'] as [number, { 'Fn::Split'?: [string, unknown] }];
    if (!list['Fn::Split']) throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
    const [delimiter, source] = list['Fn::Split'];
    const part = evaluate(source, resources, attributes).split(delimiter)[index];
    if (part === undefined) throw new Error(`Fn::Select ${index} out of range in ${JSON.stringify(value)}`);
    return part;
  }
  if (o['Fn::GetAtt']) {
    const known = attributes[(o['Fn::GetAtt'] as string[]).join('.')];
    if (known !== undefined) return known;
  }
  if (typeof o['Ref'] === 'string') {
    const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };
    const ref = o['Ref'];
    if (pseudo[ref]) return pseudo[ref];
    const r = resources[ref];
    if (r?.Type === 'AWS::Logs::LogGroup' && typeof r.Properties?.['LogGroupName'] === 'string') return r.Properties['LogGroupName'];
  }
  throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
}

/** Whether an IAM resource pattern (`*` any run of characters, `?` one character) matches an ARN. */
export function iamMatches(pattern: string, arn: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(arn);
}
