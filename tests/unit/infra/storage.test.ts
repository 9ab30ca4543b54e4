// The buckets: user-<uid>-bucket of spec/wire.md, MWAA's DAG bucket and the access-log bucket, each versioned,
// encrypted, private, TLS-only and kept on `cdk destroy`.
import { expect } from 'chai';
import { Match } from 'aws-cdk-lib/assertions';
import { app, UID } from './app.ts';

const privateBucket = {
  VersioningConfiguration: { Status: 'Enabled' },
  BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
  PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
  OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
};

describe('infra: storage stack', function () {
  this.timeout(120_000);

  it('has three buckets, every one versioned, SSE-encrypted, blocking all public access and retained', () => {
    const t = app().template('storage');
    t.resourceCountIs('AWS::S3::Bucket', 3);
    t.allResources('AWS::S3::Bucket', { Properties: Match.objectLike(privateBucket), DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('names the landing bucket user-<uid>-bucket and logs its access to the log bucket', () => {
    const t = app().template('storage');
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: `user-${UID}-bucket`,
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^AccessLogs') }, LogFilePrefix: `user-${UID}-bucket/` },
    });
  });

  it('names the DAG bucket airflow-<uid>-<account>-<region>, versioned as MWAA requires', () => {
    app().template('storage').hasResourceProperties('AWS::S3::Bucket', {
      BucketName: { 'Fn::Join': ['', [`airflow-${UID}-`, { Ref: 'AWS::AccountId' }, '-us-east-1']] },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('keeps every bucket policy on `cdk destroy` too: the retained buckets stay TLS-only and the log bucket writable by S3 logging', () => {
    const t = app().template('storage');
    t.allResources('AWS::S3::BucketPolicy', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const policies = Object.values(app().json('storage').Resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
    const logDelivery = policies.filter((p) => JSON.stringify(p.Properties?.['PolicyDocument']).includes('"Service":"logging.s3.amazonaws.com"'));
    expect(logDelivery).to.have.length(1);
    expect(JSON.stringify(logDelivery[0]!.Properties!['Bucket'])).to.match(/"Ref":"AccessLogs/);
  });

  it('refuses requests without TLS on every bucket (a Deny on aws:SecureTransport=false)', () => {
    const t = app().template('storage');
    const policies = t.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).to.have.length(3);
    for (const policy of Object.values(policies)) {
      const statements = (policy as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } }).Properties.PolicyDocument.Statement;
      const deny = statements.filter((s) => s['Effect'] === 'Deny');
      expect(deny).to.have.length(1);
      expect(deny[0]).to.include({ Action: 's3:*' });
      expect(deny[0]).to.deep.include({ Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: { AWS: '*' } });
      expect(deny[0]!['Resource']).to.have.length(2); // the bucket and its objects
    }
  });
});
