import { CfnResource, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';

/**
 * The properties of an `AWS::EKS::Cluster` L1 (from `aws-eks` or `aws-eks-v2`, which define
 * separate `CfnCluster` classes), resolved; `undefined` for any other resource. Keys keep the L1's
 * camelCase spelling; `field` also accepts the PascalCase of raw CloudFormation values.
 */
export interface EksClusterView {
  readonly resourcesVpcConfig: unknown;
  readonly logging: unknown;
  readonly encryptionConfig: unknown;
}

export function eksClusterView(node: CfnResource): EksClusterView | undefined {
  if (!(node instanceof eks.CfnCluster) && !(node instanceof eksv2.CfnCluster)) return undefined;
  const stack = Stack.of(node);
  return {
    resourcesVpcConfig: stack.resolve(node.resourcesVpcConfig),
    logging: stack.resolve(node.logging),
    encryptionConfig: stack.resolve(node.encryptionConfig),
  };
}

/** `obj[camelKey]`, or `obj[PascalKey]`, when `obj` is a plain object. */
export function field(obj: unknown, camelKey: string): unknown {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const record = obj as Record<string, unknown>;
  return record[camelKey] ?? record[camelKey.charAt(0).toUpperCase() + camelKey.slice(1)];
}

/** `value` as a list: itself when it is an array, `[]` when absent, `[value]` otherwise. */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
