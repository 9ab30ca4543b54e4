// cdk-nag acknowledgments of wildcard resources (AwsSolutions-IAM5), one per resource with its own reason.
// cdk-nag 3 matches a finding's id exactly, `AwsSolutions-IAM5[Resource::<flattened resource>]`, so the ids are
// computed here from the very values the policies hold, flattened as cdk-nag flattens CloudFormation references.
// Resources must not refer to another stack (those resolve to imports only at synth): build such ARNs from names.
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** cdk-nag's flattening (utils/flatten-cfn-reference): Join, Sub, GetAtt, ImportValue and Ref, else JSON. */
export function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const o = node as Record<string, unknown>;
  if (o['Fn::Join']) {
    const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
    return items.map(flattenReference).join(delimiter);
  }
  if (o['Fn::Sub']) return flattenReference(o['Fn::Sub']);
  if (o['Fn::GetAtt']) {
    const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (o['Fn::ImportValue']) return flattenReference(o['Fn::ImportValue']);
  if (o['Ref']) return `<${flattenReference(o['Ref'])}>`;
  return JSON.stringify(node);
}

/** Acknowledges each wildcard resource of a role's policies (as written in its statements) with its reason. */
export function acknowledgeWildcards(role: IConstruct, reasons: ReadonlyArray<readonly [resource: string, reason: string]>): void {
  const stack = Stack.of(role);
  for (const [resource, reason] of reasons) {
    Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flattenReference(stack.resolve(resource))}]`, reason });
  }
}
