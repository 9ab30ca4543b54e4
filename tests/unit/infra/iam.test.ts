// Least privilege over every stack: no Allow statement has a wildcard action, and a statement on Resource "*" holds
// only actions that take no resource (or it would name one).
import { expect } from 'chai';
import { app, STACKS, type Built } from './app.ts';

interface Statement { Effect: string; Action?: string | string[]; NotAction?: unknown; Resource?: unknown; NotResource?: unknown }

/** Actions whose authorization supports no resource type: they can only be granted on "*". */
const RESOURCELESS = new Set(['kinesis:ListStreams', 'logs:DescribeLogGroups', 'cloudwatch:PutMetricData', 's3:GetAccountPublicAccessBlock']);

/** Every statement of the default app and of the one that creates the API Gateway CloudWatch role. */
function allStatements(): Array<{ where: string; s: Statement }> {
  return [...statementsOf(app()), ...statementsOf(app({ apiGatewayAccountRole: 'create' })).filter(({ where }) => where.startsWith('api/'))];
}

function statementsOf(built: Built): Array<{ where: string; s: Statement }> {
  const out: Array<{ where: string; s: Statement }> = [];
  for (const stack of STACKS) {
    for (const [id, r] of Object.entries(built.json(stack).Resources)) {
      const docs: Array<{ Statement: Statement[] }> = [];
      if (r.Type === 'AWS::IAM::Role') docs.push(...((r.Properties?.['Policies'] ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>).map((p) => p.PolicyDocument));
      if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') docs.push(r.Properties!['PolicyDocument'] as { Statement: Statement[] });
      if (r.Type === 'AWS::IAM::Role') expect(r.Properties?.['ManagedPolicyArns'], `${stack}/${id}: AWS managed policies`).to.equal(undefined);
      for (const d of docs) for (const s of d.Statement) out.push({ where: `${stack}/${id}`, s });
    }
  }
  return out;
}

describe('infra: IAM', function () {
  this.timeout(120_000);

  it('has no wildcard action, no NotAction, and no AWS managed policy in any role or policy', () => {
    const statements = allStatements();
    expect(statements.length).to.be.greaterThan(20);
    const bad = statements.filter(({ s }) => s.Effect === 'Allow' && (s.NotAction !== undefined || ([] as string[]).concat(s.Action ?? []).some((a) => a.includes('*'))));
    expect(bad.map(({ where, s }) => `${where}: ${JSON.stringify(s.Action ?? s.NotAction)}`)).to.deep.equal([]);
  });

  it('grants on Resource "*" only actions that take no resource', () => {
    const star = allStatements().filter(({ s }) => s.Effect === 'Allow' && ([] as unknown[]).concat(s.Resource ?? []).includes('*'));
    expect(star.length).to.be.greaterThan(0);
    const bad = star.flatMap(({ where, s }) => ([] as string[]).concat(s.Action ?? []).filter((a) => !RESOURCELESS.has(a)).map((a) => `${where}: ${a} on *`));
    expect(bad).to.deep.equal([]);
  });

  it('uses NotResource once: MWAA\'s SQS key grant, limited to keys outside the account and to use through SQS', () => {
    const not = allStatements().filter(({ s }) => s.NotResource !== undefined);
    expect(not.map(({ where }) => where.split('/')[0])).to.deep.equal(['orchestration']);
  });
});
