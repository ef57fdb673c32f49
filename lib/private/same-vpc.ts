import { Reference, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';

/** What a VPC's id says about which VPC it is, at synth. */
type VpcIdentity =
  /** A VPC this app creates: the `AWS::EC2::VPC` resource its id refers to (across stacks too). */
  | { readonly kind: 'resource'; readonly resource: IConstruct }
  /** A deployed VPC named by its literal id (`Vpc.fromLookup`, `fromVpcAttributes` with a string). */
  | { readonly kind: 'literal'; readonly id: string }
  /** Any other token (`Fn::ImportValue`, an SSM parameter…): its CloudFormation form in its own stack. */
  | { readonly kind: 'token'; readonly rendered: string };

function identityOf(vpc: ec2.IVpc): VpcIdentity {
  if (vpc instanceof ec2.Vpc) return { kind: 'resource', resource: vpc.node.defaultChild ?? vpc };
  if (!Token.isUnresolved(vpc.vpcId)) return { kind: 'literal', id: vpc.vpcId };
  // `fromVpcAttributes({ vpcId: vpc.vpcId })` carries the creating VPC's reference token along.
  const token = Tokenization.reverseString(vpc.vpcId).firstToken;
  if (token instanceof Reference) return { kind: 'resource', resource: token.target };
  return { kind: 'token', rendered: JSON.stringify(Stack.of(vpc).resolve(vpc.vpcId)) };
}

/** The `AWS::EC2::VPC` resource of the app that `vpc` stands for, if the app creates it. */
export function vpcResourceOf(vpc: ec2.IVpc): IConstruct | undefined {
  const identity = identityOf(vpc);
  return identity.kind === 'resource' ? identity.resource : undefined;
}

/**
 * Whether two VPC objects stand for the same VPC: `true` or `false` when synth can tell, and
 * `undefined` when it cannot (for example a literal id against a VPC the app creates, or two
 * different kinds of token). Tokens are compared by what they refer to, never by their text alone,
 * so the same VPC passed from a network stack to two other stacks compares equal.
 */
export function sameVpc(a: ec2.IVpc, b: ec2.IVpc): boolean | undefined {
  if (a === b || a.vpcId === b.vpcId) return true;
  const x = identityOf(a);
  const y = identityOf(b);
  if (x.kind === 'resource' && y.kind === 'resource') return x.resource === y.resource;
  if (x.kind === 'literal' && y.kind === 'literal') return x.id === y.id;
  if (x.kind === 'token' && y.kind === 'token' && x.rendered === y.rendered) return true;
  // A created VPC cannot be a VPC imported by another kind of token, nor (almost always) a literal
  // id known before it exists; but a deployed stack's VPC can be looked up by id, so say nothing.
  return undefined;
}
