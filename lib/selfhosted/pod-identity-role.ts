import { Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';

/** Properties of {@link PodIdentityRole}. */
export interface PodIdentityRoleProps {
  /** The cluster of the service account. */
  readonly cluster: eks.ICluster;
  /** The service account's namespace. */
  readonly namespace: string;
  /** The service account's name. */
  readonly serviceAccount: string;
  /** What the role is for. */
  readonly description: string;
}

/**
 * An IAM role delivered to one Kubernetes service account through EKS Pod Identity (trust:
 * `pods.eks.amazonaws.com`, `sts:AssumeRole` + `sts:TagSession`), with its association. Grants land
 * in one customer-managed policy attached to the role — no inline policy (NIST 800-53 / HIPAA /
 * PCI DSS `IAMNoInlinePolicy`) — created with the first grant.
 */
export class PodIdentityRole extends iam.Role {
  /** The Pod Identity association. */
  public readonly association: eks.CfnPodIdentityAssociation;
  private grantsPolicyRef?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    super(scope, id, {
      assumedBy: new iam.SessionTagsPrincipal(new iam.ServicePrincipal('pods.eks.amazonaws.com')),
      description: props.description,
    });
    this.association = new eks.CfnPodIdentityAssociation(this, 'Association', {
      clusterName: props.cluster.clusterName,
      namespace: props.namespace,
      serviceAccount: props.serviceAccount,
      roleArn: this.roleArn,
    });
  }

  /** The managed policy that holds every grant, once there is one. */
  public get grantsPolicy(): iam.ManagedPolicy | undefined {
    return this.grantsPolicyRef;
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.grantsPolicyRef) {
      this.grantsPolicyRef = new iam.ManagedPolicy(this, 'Policy', { description: `Permissions of: ${this.node.path}` });
      this.addManagedPolicy(this.grantsPolicyRef);
    }
    this.grantsPolicyRef.addStatements(statement);
    return { statementAdded: true, policyDependable: this.grantsPolicyRef };
  }
}

/**
 * How cdk-nag names a resource of an IAM statement in a finding id: intrinsics rendered as
 * `<LogicalId.Attr>` / `<Ref>`, joined.
 */
export function nagResourceName(scope: IConstruct, arn: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('Fn::Join' in o) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return parts.map(render).join(sep);
      }
      if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
      if ('Ref' in o) return `<${String(o.Ref)}>`;
    }
    return String(v);
  };
  return render(Stack.of(scope).resolve(arn));
}
