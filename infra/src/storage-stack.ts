// The buckets: the landing bucket user-<uid>-bucket of spec/wire.md (the S3 sink connector writes
// topics/<topic>/partition=<p>/ there; Databricks reads it), MWAA's DAG bucket, and one for both's server access
// logs. The DAG bucket is its own, not dags/ in the landing bucket, so that MWAA's execution role reads DAGs and
// nothing of the data (the seed's MWAA bucket was separate too). MWAA requires it versioned and private.
import { Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { dagBucketName, type InfraSettings } from './settings.ts';

export interface StorageStackProps extends StackProps {
  settings: InfraSettings;
}

export class StorageStack extends Stack {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;
  readonly dags: Bucket;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { names } = props.settings;

    // Retained on `cdk destroy` like the landing bucket: the access logs are the record of who read the data.
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED, // server access logging delivers only to SSE-S3 buckets
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket of the landing bucket; logging its own requests into itself would loop, and a third bucket would only move the question.',
    });

    this.bucket = new Bucket(this, 'Landing', {
      bucketName: names.bucket,
      // SSE-S3: Databricks (external location or instance profile) and the connector read and write without
      // key grants; a customer key would add a KMS policy to every reader for no gain here.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: `${names.bucket}/`,
      removalPolicy: RemovalPolicy.RETAIN,
      // The connector writes each key once (spec/wire.md); old versions are only deletes and re-runs.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
    });

    this.dags = new Bucket(this, 'Dags', {
      bucketName: dagBucketName(props.settings, this.account, this.region),
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'dags/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
    });

    // The buckets outlive the stack, and so must what protects them: the TLS-only deny on each, and the grant that
    // lets S3 deliver access logs into the log bucket. (CDK's bucket policies are deleted with the stack otherwise.)
    for (const b of [this.accessLogs, this.bucket, this.dags]) b.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
