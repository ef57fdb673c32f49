import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * One IAM policy statement as a rule sees it: every element flattened to strings, intrinsic
 * functions rendered the way cdk-nag renders them (`<Bucket83908E77.Arn>/*`), so a value that is
 * only known at deploy time never looks like a wildcard.
 */
export interface StatementView {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
}

/**
 * The identity-policy statements `node` defines, or `undefined` if it is not a resource that
 * carries identity policies (`AWS::IAM::Policy`, `ManagedPolicy`, `RolePolicy`, `UserPolicy`,
 * `GroupPolicy`, and the inline `Policies` of `Role`, `User` and `Group`).
 */
export function identityPolicyStatements(node: CfnResource): StatementView[] | undefined {
  const stack = Stack.of(node);
  let documents: unknown[];
  if (node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy || node instanceof iam.CfnRolePolicy
    || node instanceof iam.CfnUserPolicy || node instanceof iam.CfnGroupPolicy) {
    documents = [stack.resolve(node.policyDocument)];
  } else if (node instanceof iam.CfnRole || node instanceof iam.CfnUser || node instanceof iam.CfnGroup) {
    const policies: unknown = stack.resolve(node.policies);
    documents = (Array.isArray(policies) ? policies : []).map((p) => field(p, 'policyDocument') ?? field(p, 'PolicyDocument'));
  } else {
    return undefined;
  }
  return documents.flatMap((doc) => {
    const statements = field(doc, 'Statement');
    return (Array.isArray(statements) ? statements : statements === undefined ? [] : [statements]).map(toView);
  });
}

function toView(statement: unknown): StatementView {
  return {
    effect: field(statement, 'Effect') === 'Deny' ? 'Deny' : 'Allow',
    actions: flattenList(field(statement, 'Action')),
    notActions: flattenList(field(statement, 'NotAction')),
    resources: flattenList(field(statement, 'Resource')),
    notResources: flattenList(field(statement, 'NotResource')),
  };
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? (obj as Record<string, unknown>)[key] : undefined;
}

function flattenList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(flattenValue);
}

/**
 * Renders a resolved CloudFormation value as a string: literals as they are, `Ref` and `Fn::GetAtt`
 * as `<LogicalId>` / `<LogicalId.Attr>`, `Fn::Join` joined, `Fn::Sub` as its template, and any other
 * intrinsic as `<Fn::Name>`.
 */
export function flattenValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(flattenValue).join(',');
  if (typeof value !== 'object' || value === null) return '';
  const [key, arg] = Object.entries(value)[0] ?? [];
  switch (key) {
    case 'Ref':
      return `<${flattenValue(arg)}>`;
    case 'Fn::GetAtt':
      return `<${Array.isArray(arg) ? arg.map(flattenValue).join('.') : flattenValue(arg)}>`;
    case 'Fn::Join': {
      const [separator, parts] = Array.isArray(arg) ? arg : [];
      return (Array.isArray(parts) ? parts : []).map(flattenValue).join(typeof separator === 'string' ? separator : '');
    }
    case 'Fn::Sub':
      return flattenValue(Array.isArray(arg) ? arg[0] : arg);
    default:
      return `<${key ?? 'unknown'}>`;
  }
}

/** Whether an IAM action pattern (with `*` and `?` wildcards, case-insensitive) matches `action`. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(action);
}
