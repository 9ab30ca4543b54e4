// IAM resource ARNs of an MSK cluster's topics and groups, for the kafka-cluster:* actions of IAM access
// control: arn:<partition>:kafka:<region>:<account>:<type>/<cluster name>/<cluster uuid>/<name>.
import { Aws, Fn } from 'aws-cdk-lib';

export class KafkaArns {
  private readonly uuid: string;

  constructor(readonly clusterArn: string, private readonly clusterName: string) {
    // arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>
    this.uuid = Fn.select(2, Fn.split('/', clusterArn));
  }

  private of(kind: 'topic' | 'group', name: string): string {
    return Fn.join('', ['arn:', Aws.PARTITION, ':kafka:', Aws.REGION, ':', Aws.ACCOUNT_ID, `:${kind}/${this.clusterName}/`, this.uuid, `/${name}`]);
  }

  topic(name: string): string {
    return this.of('topic', name);
  }

  group(name: string): string {
    return this.of('group', name);
  }
}
