import { Template } from 'aws-cdk-lib/assertions';

/** An IAM statement as it appears in a template. */
export interface TemplateStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
  readonly Sid?: string;
}

/**
 * Every statement granted to a role, whether through inline policies (`AWS::IAM::Policy`),
 * customer-managed policies (`AWS::IAM::ManagedPolicy`) or the role's own `Policies`.
 *
 * @example
 * const statements = statementsOfRole(template, 'GatewayRouterFunctionServiceRole1234');
 */
export function statementsOfRole(template: Template, roleLogicalId: string): TemplateStatement[] {
  const refersToRole = (roles: unknown) => Array.isArray(roles) && roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }));
  const statements: TemplateStatement[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    if (refersToRole(policy.Properties.Roles)) statements.push(...policy.Properties.PolicyDocument.Statement);
  }
  const role = template.findResources('AWS::IAM::Role')[roleLogicalId];
  const managedRefs = new Set(((role?.Properties.ManagedPolicyArns ?? []) as unknown[]).map((a) => JSON.stringify(a)));
  for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::ManagedPolicy'))) {
    if (refersToRole(policy.Properties.Roles) || managedRefs.has(JSON.stringify({ Ref: id }))) {
      statements.push(...policy.Properties.PolicyDocument.Statement);
    }
  }
  for (const inline of (role?.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: TemplateStatement[] } }>) {
    statements.push(...inline.PolicyDocument.Statement);
  }
  return statements;
}

/** The actions of a statement, as a list. */
export function actionsOf(statement: TemplateStatement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** The resources of a statement, as a list. */
export function resourcesOf(statement: TemplateStatement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/**
 * The key-policy statement every KMS key the library creates carries (Control Tower CT.KMS.PR.3):
 * only AWS services may create grants on the key.
 */
export const DENY_GRANTS_EXCEPT_FOR_AWS_SERVICES = {
  Sid: 'DenyGrantsExceptForAwsServices',
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 'kms:CreateGrant',
  Resource: '*',
  Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
};
