import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * A role whose statements (`grant*`, `addToPrincipalPolicy`) go into a customer-managed policy
 * attached to it instead of an inline default policy (NIST 800-53 / HIPAA / PCI DSS
 * `IAMNoInlinePolicy`); the role never exists without its permissions.
 */
export interface ManagedPolicyRoleProps extends iam.RoleProps {
  /** The description of the grants policy. @default - the role's description */
  readonly policyDescription?: string;
}

export class ManagedPolicyRole extends iam.Role {
  /** The customer-managed policy that holds every statement granted to the role. */
  public readonly grantsPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ManagedPolicyRoleProps) {
    const { policyDescription, ...roleProps } = props;
    super(scope, id, roleProps);
    this.grantsPolicy = new iam.ManagedPolicy(this, 'Policy', { description: policyDescription ?? props.description });
    this.addManagedPolicy(this.grantsPolicy);
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.grantsPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.grantsPolicy };
  }
}
