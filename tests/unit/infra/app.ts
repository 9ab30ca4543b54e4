// The app under test, built and synthesized once a test run, without the synth-time cdk-nag plugin so that each
// check reports on its own (checks.test.ts runs cdk-nag and cfn-lint on this very app and its templates).
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { Stack } from 'aws-cdk-lib';
import { buildPinpipe, infraSettings, newApp, type InfraSettings, type PinpipeApp } from '../../../infra/src/index.ts';

export const UID = '0affe4008223';
export const REGION = 'us-east-1';
export type StackName = Exclude<keyof PinpipeApp, 'app'>;
export const STACKS: readonly StackName[] = ['storage', 'network', 'streams', 'kafka', 'api', 'orchestration'];

export interface Built {
  pinpipe: PinpipeApp;
  settings: InfraSettings;
  outdir: string;
  templateFiles: string[];
  template(name: StackName): Template;
  /** The synthesized template as JSON, for walks over every resource. */
  json(name: StackName): { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; Metadata?: Record<string, unknown> }> };
}

let built: Built | undefined;

export function app(): Built {
  if (built) return built;
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-infra-'));
  const cdk = newApp({ outdir });
  const settings = infraSettings({ uid: UID, region: REGION }, UID);
  const pinpipe = buildPinpipe(cdk, settings, { checks: false });
  const assembly = cdk.synth();
  const templates = new Map<StackName, Template>();
  const files = new Map(STACKS.map((n) => [n, path.join(assembly.directory, (pinpipe[n] as Stack).templateFile)]));
  built = {
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
  return built;
}

/** The one resource of a type in a stack's template (fails when there is not exactly one). */
export function only(name: StackName, type: string): { id: string; props: Record<string, unknown> } {
  const found = Object.entries(app().json(name).Resources).filter(([, r]) => r.Type === type);
  if (found.length !== 1) throw new Error(`${name}: ${found.length} resources of type ${type}, expected 1`);
  return { id: found[0]![0], props: found[0]![1].Properties ?? {} };
}
