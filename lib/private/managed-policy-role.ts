import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * A role whose statements (`grant*`, `addToPrincipalPolicy`) go into a customer-managed policy
 * attached to it instead of an inline default policy (NIST 800-53 / HIPAA / PCI DSS
 * `IAMNoInlinePolicy`); the role never exists without its permissions.
 */
export class ManagedPolicyRole extends iam.Role {
  /** The customer-managed policy that holds every statement granted to the role. */
  public readonly grantsPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
    this.grantsPolicy = new iam.ManagedPolicy(this, 'Policy', { description: props.description });
    this.addManagedPolicy(this.grantsPolicy);
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.grantsPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.grantsPolicy };
  }
}
