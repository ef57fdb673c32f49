import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Aws, CfnResource, Stack } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagRuleCompliance } from 'cdk-nag';
import { AiGatewayChecks } from '../../../lib';
import { bedrockModelAccessScoped } from '../../../lib/compliance/rules/bedrock-model-access-scoped';

const RULE = 'AiGateway-BedrockModelAccessScoped';
const MODEL_ARN = 'arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0';

function stack(): Stack {
  return new Stack(new App(), 'S');
}

function routerRole(scope: Stack): iam.Role {
  return new iam.Role(scope, 'Router', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

/** The AiGateway pack's findings on `scope`: `[ruleName, constructPath]`, sorted. */
function findings(scope: Stack): string[][] {
  const report = new AiGatewayChecks().validateScope(scope);
  return report.violations
    .flatMap((v) => v.violatingResources.map((r) => [v.ruleName, r.constructPath ?? '']))
    .sort((a, b) => a.join().localeCompare(b.join()));
}

function defaultPolicyOf(role: iam.Role): CfnResource {
  return role.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
}

describe('AiGateway-BedrockModelAccessScoped: compliant', () => {
  test('named model actions on an application inference profile and its foundation model', () => {
    // Prepare
    const s = stack();
    const profile = new bedrock.CfnApplicationInferenceProfile(s, 'Profile', {
      inferenceProfileName: 'tenant-a', modelSource: { copyFrom: `arn:aws:bedrock:${Aws.REGION}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0` },
    });
    const role = routerRole(s);
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
      resources: [profile.attrInferenceProfileArn, MODEL_ARN],
    }));
    // Act + Assess: the rule judged the policy (not N/A) and found nothing.
    expect(bedrockModelAccessScoped.check(defaultPolicyOf(role))).toEqual([]);
    expect(findings(s)).toEqual([]);
  });

  test('a Region-wildcard foundation-model ARN that names the model, as cross-Region profiles need', () => {
    const s = stack();
    const role = routerRole(s);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [MODEL_ARN] }));
    expect(bedrockModelAccessScoped.check(defaultPolicyOf(role))).toEqual([]);
  });

  test('a Deny of bedrock:* on * grants nothing and is not judged', () => {
    const s = stack();
    const role = routerRole(s);
    role.addToPolicy(new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['bedrock:*'], resources: ['*'] }));
    expect(bedrockModelAccessScoped.check(defaultPolicyOf(role))).toBe(NagRuleCompliance.NOT_APPLICABLE);
    expect(findings(s)).toEqual([]);
  });

  test('wildcards on other services, and Bedrock actions that invoke no model, are not judged', () => {
    const s = stack();
    const role = routerRole(s);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 'logs:*'], resources: ['*'] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:ListFoundationModels', 'bedrock:Get*'], resources: ['*'] }));
    expect(bedrockModelAccessScoped.check(defaultPolicyOf(role))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('resources that carry no identity policy are not judged', () => {
    const s = stack();
    const role = routerRole(s);
    expect(bedrockModelAccessScoped.check(role.node.defaultChild as CfnResource)).toBe(NagRuleCompliance.NOT_APPLICABLE);
    const topic = new CfnResource(s, 'Topic', { type: 'AWS::SNS::Topic' });
    expect(bedrockModelAccessScoped.check(topic)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});

describe('AiGateway-BedrockModelAccessScoped: non-compliant', () => {
  test('bedrock:* on * reports the action and the resource as separate findings', () => {
    // Prepare
    const s = stack();
    routerRole(s).addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:*'], resources: ['*'] }));
    // Act + Assess
    expect(findings(s)).toEqual([
      [`${RULE}[Action::bedrock:*]`, 'S/Router/DefaultPolicy/Resource'],
      [`${RULE}[Resource::*]`, 'S/Router/DefaultPolicy/Resource'],
    ]);
  });

  test.each([
    [['bedrock:Invoke*'], [MODEL_ARN], ['Action::bedrock:Invoke*']],
    [['*'], [MODEL_ARN], ['Action::*']],
    [['Bedrock:invokemodel'], ['*'], ['Resource::*']],
    [['bedrock:CreateModelInvocationJob'], ['*'], ['Resource::*']],
    [['bedrock:InvokeModel'], ['arn:aws:bedrock:*::foundation-model/*'], ['Resource::arn:aws:bedrock:*::foundation-model/*']],
    [['bedrock:InvokeModel'], ['arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/*'],
      ['Resource::arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/*']],
    [['bedrock:InvokeModel'], ['arn:aws:bedrock:*:*:*'], ['Resource::arn:aws:bedrock:*:*:*']],
    [['bedrock:InvokeModel'], ['arn:aws:*:*:*:*'], ['Resource::arn:aws:*:*:*:*']],
  ])('%j on %j reports %j', (actions, resources, expected) => {
    const s = stack();
    const role = routerRole(s);
    role.addToPolicy(new iam.PolicyStatement({ actions, resources }));
    expect(bedrockModelAccessScoped.check(defaultPolicyOf(role))).toEqual(expected);
  });

  test('an unscoped resource built from tokens is reported as CloudFormation renders it', () => {
    const s = stack();
    const role = routerRole(s);
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['bedrock:InvokeModel'],
      resources: [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:application-inference-profile/*`],
    }));
    expect(findings(s)).toEqual([[
      `${RULE}[Resource::arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:application-inference-profile/*]`,
      'S/Router/DefaultPolicy/Resource',
    ]]);
  });

  test('NotAction and NotResource grant more than they name', () => {
    const s = stack();
    const role = routerRole(s);
    role.addToPolicy(new iam.PolicyStatement({ notActions: ['s3:*', 'iam:*'], resources: [MODEL_ARN] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], notResources: [MODEL_ARN] }));
    expect(bedrockModelAccessScoped.check(defaultPolicyOf(role))).toEqual(['NotAction::s3:*,iam:*', `NotResource::${MODEL_ARN}`]);
  });

  test('a NotAction that excludes every model action grants none', () => {
    const s = stack();
    const role = routerRole(s);
    role.addToPolicy(new iam.PolicyStatement({ notActions: ['bedrock:*'], resources: ['*'] }));
    expect(bedrockModelAccessScoped.check(defaultPolicyOf(role))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('is found in inline role policies, managed policies and raw L1 policies', () => {
    // Prepare
    const s = stack();
    const wide = new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: ['*'] })] });
    new iam.Role(s, 'Inline', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), inlinePolicies: { models: wide } });
    new iam.ManagedPolicy(s, 'Managed', { document: wide });
    new iam.CfnPolicy(s, 'Raw', {
      policyName: 'raw',
      roles: ['some-role'],
      policyDocument: { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'bedrock:*', Resource: MODEL_ARN } },
    });
    // Act + Assess
    expect(findings(s)).toEqual([
      [`${RULE}[Action::bedrock:*]`, 'S/Raw'],
      [`${RULE}[Resource::*]`, 'S/Inline/Resource'],
      [`${RULE}[Resource::*]`, 'S/Managed/Resource'],
    ]);
  });

  test('a compliant statement does not excuse a non-compliant one in the same policy', () => {
    const s = stack();
    const role = routerRole(s);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [MODEL_ARN] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModelWithResponseStream'], resources: ['*'] }));
    expect(bedrockModelAccessScoped.check(defaultPolicyOf(role))).toEqual(['Resource::*']);
  });
});

describe('AiGatewayChecks', () => {
  test('is the AiGateway pack, versioned as the package', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
    const pack = new AiGatewayChecks();
    expect(pack.name).toBe('AiGateway');
    expect(pack.readPackName).toBe('AiGateway');
    expect(pack.version).toBe(pkg.version);
  });

  test('reports the rule description, at error severity', () => {
    const s = stack();
    routerRole(s).addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: ['*'] }));
    const [violation] = new AiGatewayChecks().validateScope(s).violations;
    expect(violation).toMatchObject({
      ruleName: `${RULE}[Resource::*]`,
      description: bedrockModelAccessScoped.info,
      severity: 'error',
    });
  });

  test('verbose adds the explanation', () => {
    const s = stack();
    routerRole(s).addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: ['*'] }));
    const [violation] = new AiGatewayChecks(undefined, { verbose: true }).validateScope(s).violations;
    expect(violation.description).toBe(`${bedrockModelAccessScoped.info} ${bedrockModelAccessScoped.explanation}`);
  });
});
