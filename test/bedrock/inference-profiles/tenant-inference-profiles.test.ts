import { App, Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  ModelSource, ModelSourceKind, TenantInferenceProfiles, TenantInferenceProfilesProps,
} from '../../../lib/bedrock/inference-profiles';
import { AiGatewayValidationError } from '../../../lib/private/errors';

const PROFILE = 'AWS::Bedrock::ApplicationInferenceProfile';
const SONNET = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const NOVA_MICRO = 'amazon.nova-micro-v1:0';
const ENV = { account: '111122223333', region: 'us-east-1' };

/** An app that fails synthesis on any CloudFormation Validate finding (resource schemas included). */
function newApp(): App {
  return new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
}

/** An ARN as the template spells it: the partition is `Ref AWS::Partition`. */
function arn(rest: string): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] };
}

function stackWith(props: Partial<TenantInferenceProfilesProps> = {}) {
  const app = newApp();
  const stack = new Stack(app, 'Gateway', { env: ENV });
  const profiles = new TenantInferenceProfiles(stack, 'Profiles', {
    profileNamePrefix: 'gw',
    tenants: [
      { id: 'acme', costCenter: 'cc-1001', tags: { team: 'payments', 'data-class': 'confidential' } },
      { id: 'globex', costCenter: 'cc-2002', aliases: ['chat'] },
    ],
    models: [
      { alias: 'chat', source: ModelSource.crossRegionProfile(`us.${SONNET}`) },
      { alias: 'classify', source: ModelSource.foundationModel(NOVA_MICRO) },
    ],
    ...props,
  });
  return { app, stack, profiles };
}

function profileLogicalId(template: Template, name: string): string {
  const found = template.findResources(PROFILE, { Properties: { InferenceProfileName: name } });
  const ids = Object.keys(found);
  expect(ids).toHaveLength(1);
  return ids[0];
}

function roleIn(stack: Stack, id = 'Router'): iam.Role {
  return new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

describe('TenantInferenceProfiles: profiles', () => {
  test('one application inference profile per (tenant, alias), honouring alias subsets', () => {
    const { stack } = stackWith();
    const template = Template.fromStack(stack);
    template.resourceCountIs(PROFILE, 3);
    for (const name of ['gw-acme-chat', 'gw-acme-classify', 'gw-globex-chat']) {
      template.hasResourceProperties(PROFILE, { InferenceProfileName: name });
    }
    expect(template.findResources(PROFILE, { Properties: { InferenceProfileName: 'gw-globex-classify' } })).toEqual({});
  });

  test('a cross-Region source is copied from the system-defined profile in the stack Region and account', () => {
    const { stack } = stackWith();
    Template.fromStack(stack).hasResourceProperties(PROFILE, {
      InferenceProfileName: 'gw-acme-chat',
      ModelSource: { CopyFrom: arn(`:bedrock:us-east-1:111122223333:inference-profile/us.${SONNET}`) },
      Description: 'Tenant acme model alias chat',
    });
  });

  test('a foundation-model source is copied from the model in the stack Region', () => {
    const { stack } = stackWith();
    Template.fromStack(stack).hasResourceProperties(PROFILE, {
      InferenceProfileName: 'gw-acme-classify',
      ModelSource: { CopyFrom: arn(`:bedrock:us-east-1::foundation-model/${NOVA_MICRO}`) },
    });
  });

  test('an environment-agnostic stack uses the Region and account of the deployment', () => {
    const app = newApp();
    const stack = new Stack(app, 'Agnostic');
    new TenantInferenceProfiles(stack, 'Profiles', {
      profileNamePrefix: 'gw',
      tenants: [{ id: 'acme', costCenter: 'cc-1' }],
      models: [{ alias: 'chat', source: ModelSource.crossRegionProfile(`eu.${SONNET}`) }],
    });
    Template.fromStack(stack).hasResourceProperties(PROFILE, {
      ModelSource: {
        CopyFrom: {
          'Fn::Join': ['', [
            'arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' },
            `:inference-profile/eu.${SONNET}`,
          ]],
        },
      },
    });
  });

  test('the default name prefix is unique to the construct, stable, and within Bedrock\'s rules', () => {
    const names = () => {
      const { stack } = stackWith({ profileNamePrefix: undefined });
      return Object.values(Template.fromStack(stack).findResources(PROFILE))
        .map((r) => (r as { Properties: { InferenceProfileName: string } }).Properties.InferenceProfileName);
    };
    const first = names();
    expect(first).toEqual(names());
    for (const name of first) {
      expect(name.length).toBeLessThanOrEqual(64);
      expect(name).toMatch(/^([0-9a-zA-Z][ _-]?)+$/);
      // '<most specific path components>-<hash of the path>', at most 24 characters, then tenant and alias.
      expect(name).toMatch(/^Profiles-[0-9A-F]{8}-(acme|globex)-(chat|classify)$/);
    }
  });

  test('the default prefix differs between stacks, so two deployments in one account do not collide', () => {
    const prefixOf = (stackName: string) => {
      const stack = new Stack(newApp(), stackName, { env: ENV });
      new TenantInferenceProfiles(stack, 'Profiles', {
        tenants: [{ id: 'acme', costCenter: 'cc-1' }],
        models: [{ alias: 'chat', source: ModelSource.foundationModel(NOVA_MICRO) }],
      });
      const [profile] = Object.values(Template.fromStack(stack).findResources(PROFILE));
      return (profile as { Properties: { InferenceProfileName: string } }).Properties.InferenceProfileName;
    };
    const staging = prefixOf('GatewayStaging');
    const prod = prefixOf('GatewayProd');
    expect(staging).not.toEqual(prod);
    expect(staging).toMatch(/^Profiles-[0-9A-F]{8}-acme-chat$/);
  });
});

describe('TenantInferenceProfiles: ids with dots and colons', () => {
  test('tenant ids with \'.\' and aliases with \':\' make valid names (CloudFormation allows neither) and constructs', () => {
    const { stack, profiles } = stackWith({
      tenants: [{ id: 'acme.eu', costCenter: 'cc-1' }],
      models: [{ alias: 'claude:v2', source: ModelSource.crossRegionProfile(`eu.${SONNET}`) }],
    });
    Template.fromStack(stack).hasResourceProperties(PROFILE, {
      InferenceProfileName: 'gw-acme-eu-claude-v2',
      Description: 'Tenant acme.eu model alias claude:v2',
      Tags: Match.arrayWith([{ Key: 'ai-gateway:model-alias', Value: 'claude:v2' }, { Key: 'ai-gateway:tenant', Value: 'acme.eu' }]),
    });
    expect(profiles.modelId('acme.eu', 'claude:v2')).toBe(SONNET);
    expect(profiles.entry('acme.eu', 'claude:v2').profileName).toBe('gw-acme-eu-claude-v2');
  });

  test('ids that differ only in \'.\' and \'-\' would share a name, and are refused', () => {
    expect(() => stackWith({ tenants: [{ id: 'acme.eu', costCenter: 'a' }, { id: 'acme-eu', costCenter: 'b' }] }))
      .toThrow(/profile name 'gw-acme-eu-chat' of tenant 'acme-eu', alias 'chat' is also the name of tenant 'acme.eu', alias 'chat'/);
  });
});

describe('TenantInferenceProfiles: cost allocation tags', () => {
  test('each profile carries its tenant id, cost center, model alias and the tenant\'s own tags, and nothing of another tenant', () => {
    const { stack } = stackWith();
    const template = Template.fromStack(stack);
    template.hasResourceProperties(PROFILE, {
      InferenceProfileName: 'gw-acme-chat',
      Tags: [
        { Key: 'ai-gateway:cost-center', Value: 'cc-1001' },
        { Key: 'ai-gateway:model-alias', Value: 'chat' },
        { Key: 'ai-gateway:tenant', Value: 'acme' },
        { Key: 'data-class', Value: 'confidential' },
        { Key: 'team', Value: 'payments' },
      ],
    });
    template.hasResourceProperties(PROFILE, {
      InferenceProfileName: 'gw-acme-classify',
      Tags: [
        { Key: 'ai-gateway:cost-center', Value: 'cc-1001' },
        { Key: 'ai-gateway:model-alias', Value: 'classify' },
        { Key: 'ai-gateway:tenant', Value: 'acme' },
        { Key: 'data-class', Value: 'confidential' },
        { Key: 'team', Value: 'payments' },
      ],
    });
    template.hasResourceProperties(PROFILE, {
      InferenceProfileName: 'gw-globex-chat',
      Tags: [
        { Key: 'ai-gateway:cost-center', Value: 'cc-2002' },
        { Key: 'ai-gateway:model-alias', Value: 'chat' },
        { Key: 'ai-gateway:tenant', Value: 'globex' },
      ],
    });
  });

  test('the tag keys are configurable', () => {
    const { stack } = stackWith({ tenantTagKey: 'tenant', costCenterTagKey: 'CostCenter', modelAliasTagKey: 'model' });
    Template.fromStack(stack).hasResourceProperties(PROFILE, {
      InferenceProfileName: 'gw-globex-chat',
      Tags: [
        { Key: 'CostCenter', Value: 'cc-2002' },
        { Key: 'model', Value: 'chat' },
        { Key: 'tenant', Value: 'globex' },
      ],
    });
  });

  test('Tags.of() propagates to the profiles but cannot overwrite the attribution tags', () => {
    const { app, stack } = stackWith();
    Tags.of(app).add('environment', 'prod');
    Tags.of(app).add('ai-gateway:tenant', 'someone-else');
    Tags.of(app).add('ai-gateway:cost-center', 'cc-0000');
    Tags.of(app).add('team', 'platform');
    const template = Template.fromStack(stack);
    template.hasResourceProperties(PROFILE, {
      InferenceProfileName: 'gw-acme-chat',
      Tags: [
        { Key: 'ai-gateway:cost-center', Value: 'cc-1001' },
        { Key: 'ai-gateway:model-alias', Value: 'chat' },
        { Key: 'ai-gateway:tenant', Value: 'acme' },
        { Key: 'data-class', Value: 'confidential' },
        { Key: 'environment', Value: 'prod' },
        // The tenant's own tag is more specific than an app-wide one with the same key.
        { Key: 'team', Value: 'payments' },
      ],
    });
    template.hasResourceProperties(PROFILE, {
      InferenceProfileName: 'gw-globex-chat',
      Tags: [
        { Key: 'ai-gateway:cost-center', Value: 'cc-2002' },
        { Key: 'ai-gateway:model-alias', Value: 'chat' },
        { Key: 'ai-gateway:tenant', Value: 'globex' },
        { Key: 'environment', Value: 'prod' },
        { Key: 'team', Value: 'platform' },
      ],
    });
  });
});

describe('TenantInferenceProfiles: lookups', () => {
  test('profileArn and profile() resolve to the profile of that tenant and alias', () => {
    const { stack, profiles } = stackWith();
    const template = Template.fromStack(stack);
    const id = profileLogicalId(template, 'gw-globex-chat');
    expect(stack.resolve(profiles.profileArn('globex', 'chat'))).toEqual({ 'Fn::GetAtt': [id, 'InferenceProfileArn'] });
    expect(stack.resolve(profiles.profile('globex', 'chat').inferenceProfileArn)).toEqual({ 'Fn::GetAtt': [id, 'InferenceProfileArn'] });
    expect(profiles.profile('globex', 'chat').inferenceProfileName).toBe('gw-globex-chat');
  });

  test('modelId gives the underlying foundation model, also behind a cross-Region profile', () => {
    const { profiles } = stackWith();
    expect(profiles.modelId('acme', 'chat')).toBe(SONNET);
    expect(profiles.modelId('acme', 'classify')).toBe(NOVA_MICRO);
    expect(profiles.modelId('globex', 'chat')).toBe(SONNET);
  });

  test('entries enumerate every (tenant, alias) with its profile and model', () => {
    const { stack, profiles } = stackWith();
    const template = Template.fromStack(stack);
    expect(profiles.entries.map((e) => ({ ...e, profileArn: stack.resolve(e.profileArn), profileId: stack.resolve(e.profileId) }))).toEqual([
      {
        tenantId: 'acme', alias: 'chat', costCenter: 'cc-1001', profileName: 'gw-acme-chat',
        profileArn: { 'Fn::GetAtt': [profileLogicalId(template, 'gw-acme-chat'), 'InferenceProfileArn'] },
        profileId: { 'Fn::GetAtt': [profileLogicalId(template, 'gw-acme-chat'), 'InferenceProfileId'] },
        modelId: SONNET, sourceId: `us.${SONNET}`, sourceKind: ModelSourceKind.CROSS_REGION_PROFILE,
      },
      {
        tenantId: 'acme', alias: 'classify', costCenter: 'cc-1001', profileName: 'gw-acme-classify',
        profileArn: { 'Fn::GetAtt': [profileLogicalId(template, 'gw-acme-classify'), 'InferenceProfileArn'] },
        profileId: { 'Fn::GetAtt': [profileLogicalId(template, 'gw-acme-classify'), 'InferenceProfileId'] },
        modelId: NOVA_MICRO, sourceId: NOVA_MICRO, sourceKind: ModelSourceKind.FOUNDATION_MODEL,
      },
      {
        tenantId: 'globex', alias: 'chat', costCenter: 'cc-2002', profileName: 'gw-globex-chat',
        profileArn: { 'Fn::GetAtt': [profileLogicalId(template, 'gw-globex-chat'), 'InferenceProfileArn'] },
        profileId: { 'Fn::GetAtt': [profileLogicalId(template, 'gw-globex-chat'), 'InferenceProfileId'] },
        modelId: SONNET, sourceId: `us.${SONNET}`, sourceKind: ModelSourceKind.CROSS_REGION_PROFILE,
      },
    ]);
    expect(profiles.entriesOf('globex').map((e) => e.alias)).toEqual(['chat']);
    expect(profiles.tenantIds).toEqual(['acme', 'globex']);
    expect(profiles.aliases).toEqual(['chat', 'classify']);
  });

  test('the enumerations are copies: changing them does not change the profiles or the grants', () => {
    const { profiles } = stackWith();
    profiles.entries.pop();
    profiles.tenantIds.push('initech');
    profiles.aliases.length = 0;
    expect(profiles.entries).toHaveLength(3);
    expect(profiles.tenantIds).toEqual(['acme', 'globex']);
    expect(profiles.aliases).toEqual(['chat', 'classify']);
  });

  test('profiles follow the order of models, whatever the order of a tenant\'s subset', () => {
    const { profiles } = stackWith({
      tenants: [{ id: 'acme', costCenter: 'cc-1', aliases: ['classify', 'chat'] }],
    });
    expect(profiles.entries.map((e) => e.alias)).toEqual(['chat', 'classify']);
  });

  test('an unknown tenant or alias is a clear error', () => {
    const { profiles } = stackWith();
    expect(() => profiles.profileArn('initech', 'chat')).toThrow(AiGatewayValidationError);
    expect(() => profiles.profileArn('initech', 'chat')).toThrow(/Unknown tenant 'initech'.*'acme', 'globex'/);
    expect(() => profiles.modelId('globex', 'classify')).toThrow(/Tenant 'globex' has no inference profile for alias 'classify': its aliases are 'chat'/);
    expect(() => profiles.profile('acme', 'summarize')).toThrow(/alias 'summarize'/);
    expect(() => profiles.entriesOf('initech')).toThrow(/Unknown tenant 'initech'/);
  });
});

describe('TenantInferenceProfiles: grants', () => {
  const invokeActions = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];

  test('grantInvoke: invoke and stream on the profiles and what they route to, describe on the profiles, nothing else', () => {
    const { stack, profiles } = stackWith();
    const role = roleIn(stack);
    profiles.grantInvoke(role);
    const template = Template.fromStack(stack);
    const getAtt = (name: string) => ({ 'Fn::GetAtt': [profileLogicalId(template, name), 'InferenceProfileArn'] });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: invokeActions,
            Resource: [
              getAtt('gw-acme-chat'), getAtt('gw-acme-classify'), getAtt('gw-globex-chat'),
              arn(`:bedrock:us-east-1:111122223333:inference-profile/us.${SONNET}`),
              arn(`:bedrock:*::foundation-model/${SONNET}`),
              arn(`:bedrock:us-east-1::foundation-model/${NOVA_MICRO}`),
            ],
          },
          {
            Effect: 'Allow',
            Action: 'bedrock:GetInferenceProfile',
            Resource: [getAtt('gw-acme-chat'), getAtt('gw-acme-classify'), getAtt('gw-globex-chat')],
          },
        ],
      },
    });
  });

  test('a global cross-Region source also allows the Region-less model ARN global profiles route to', () => {
    const app = newApp();
    const stack = new Stack(app, 'Gateway', { env: ENV });
    const profiles = new TenantInferenceProfiles(stack, 'Profiles', {
      profileNamePrefix: 'gw',
      tenants: [{ id: 'acme', costCenter: 'cc-1' }],
      models: [{ alias: 'chat', source: ModelSource.crossRegionProfile(`global.${SONNET}`) }],
    });
    const role = roleIn(stack);
    profiles.grantInvoke(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: invokeActions,
            Resource: [
              { 'Fn::GetAtt': [profileLogicalId(template, 'gw-acme-chat'), 'InferenceProfileArn'] },
              arn(`:bedrock:us-east-1:111122223333:inference-profile/global.${SONNET}`),
              arn(`:bedrock:*::foundation-model/${SONNET}`),
              arn(`:bedrock:::foundation-model/${SONNET}`),
            ],
          },
          {
            Effect: 'Allow',
            Action: 'bedrock:GetInferenceProfile',
            Resource: { 'Fn::GetAtt': [profileLogicalId(template, 'gw-acme-chat'), 'InferenceProfileArn'] },
          },
        ],
      },
    });
  });

  test('grantInvokeTenant covers only that tenant\'s profiles and models', () => {
    const { stack, profiles } = stackWith();
    const role = roleIn(stack);
    profiles.grantInvokeTenant(role, 'globex');
    const template = Template.fromStack(stack);
    const globexChat = { 'Fn::GetAtt': [profileLogicalId(template, 'gw-globex-chat'), 'InferenceProfileArn'] };
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: invokeActions,
            Resource: [
              globexChat,
              arn(`:bedrock:us-east-1:111122223333:inference-profile/us.${SONNET}`),
              arn(`:bedrock:*::foundation-model/${SONNET}`),
            ],
          },
          { Effect: 'Allow', Action: 'bedrock:GetInferenceProfile', Resource: globexChat },
        ],
      },
    });
  });

  test('grantInvokeProfile covers one profile', () => {
    const { stack, profiles } = stackWith();
    const role = roleIn(stack);
    profiles.grantInvokeProfile(role, 'acme', 'classify');
    const template = Template.fromStack(stack);
    const acmeClassify = { 'Fn::GetAtt': [profileLogicalId(template, 'gw-acme-classify'), 'InferenceProfileArn'] };
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: invokeActions, Resource: [acmeClassify, arn(`:bedrock:us-east-1::foundation-model/${NOVA_MICRO}`)] },
          { Effect: 'Allow', Action: 'bedrock:GetInferenceProfile', Resource: acmeClassify },
        ],
      },
    });
  });

  test('no statement has a wildcard action or a * resource, and the grant reports success', () => {
    const { stack, profiles } = stackWith();
    const role = roleIn(stack);
    expect(profiles.grantInvoke(role).success).toBe(true);
    profiles.grantInvokeTenant(roleIn(stack, 'Other'), 'acme');
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } } }).Properties.PolicyDocument.Statement);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      for (const action of [s.Action].flat()) expect(action).not.toMatch(/\*/);
      for (const resource of [s.Resource].flat()) expect(resource).not.toBe('*');
    }
  });

  test('the alpha profile\'s own grantInvoke is routed to the exact model grant (no InvokeModel* or GetFoundationModel)', () => {
    const { stack, profiles } = stackWith();
    const role = roleIn(stack);
    profiles.profile('acme', 'classify').grantInvoke(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: invokeActions, Resource: arn(`:bedrock:us-east-1::foundation-model/${NOVA_MICRO}`) },
        ]),
      },
    });
    const json = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(json).not.toContain('bedrock:InvokeModel*');
    expect(json).not.toContain('bedrock:GetFoundationModel');
  });
});

describe('TenantInferenceProfiles: validation', () => {
  const chat = { alias: 'chat', source: ModelSource.foundationModel(NOVA_MICRO) };
  const build = (props: Partial<TenantInferenceProfilesProps>) => () => stackWith({ tenants: [{ id: 'acme', costCenter: 'cc-1' }], models: [chat], ...props });

  test.each<[string, Partial<TenantInferenceProfilesProps>, RegExp]>([
    ['empty tenant list', { tenants: [] }, /tenants is empty/],
    ['empty model list', { models: [] }, /models is empty/],
    ['duplicate tenant ids', { tenants: [{ id: 'acme', costCenter: 'a' }, { id: 'acme', costCenter: 'b' }] }, /tenants\[1\]\.id 'acme' is a duplicate/],
    ['duplicate aliases', { models: [chat, { ...chat }] }, /models\[1\]\.alias 'chat' is a duplicate/],
    ['upper-case tenant id', { tenants: [{ id: 'Acme', costCenter: 'a' }] }, /tenants\[0\]\.id 'Acme' is invalid: tenant ids are lower-case letters/],
    ['tenant id with a slash', { tenants: [{ id: 'acme/eu', costCenter: 'a' }] }, /tenants\[0\]\.id 'acme\/eu' is invalid/],
    ['tenant id starting with a separator', { tenants: [{ id: '-acme', costCenter: 'a' }] }, /tenants\[0\]\.id '-acme' is invalid/],
    ['invalid alias', { models: [{ ...chat, alias: 'Chat Model' }] }, /models\[0\]\.alias 'Chat Model' is invalid/],
    ['reserved alias auto', { models: [{ ...chat, alias: 'auto' }] }, /models\[0\]\.alias 'auto' is invalid.*not 'auto'/],
    ['unknown alias in a tenant subset', { tenants: [{ id: 'acme', costCenter: 'a', aliases: ['summarize'] }] }, /tenants\[0\]\.aliases of tenant 'acme' names the unknown alias 'summarize': the aliases of models are 'chat'/],
    ['empty tenant subset', { tenants: [{ id: 'acme', costCenter: 'a', aliases: [] }] }, /tenants\[0\]\.aliases of tenant 'acme' is empty/],
    ['alias twice in a subset', { tenants: [{ id: 'acme', costCenter: 'a', aliases: ['chat', 'chat'] }] }, /names the alias 'chat' twice/],
    ['empty cost center', { tenants: [{ id: 'acme', costCenter: '' }] }, /tenants\[0\]\.costCenter of tenant 'acme' is empty/],
    ['cost center with invalid characters', { tenants: [{ id: 'acme', costCenter: 'cc#1' }] }, /tenants\[0\]\.costCenter of tenant 'acme' 'cc#1' is not a valid tag value/],
    ['tenant tag using a reserved key', { tenants: [{ id: 'acme', costCenter: 'a', tags: { 'ai-gateway:tenant': 'x' } }] }, /tenants\[0\]\.tags of tenant 'acme' uses the key 'ai-gateway:tenant'/],
    ['tenant tag key starting with aws:', { tenants: [{ id: 'acme', costCenter: 'a', tags: { 'aws:owner': 'x' } }] }, /tenants\[0\]\.tags key of tenant 'acme' 'aws:owner' is not a valid tag key/],
    ['tenant tag value too long', { tenants: [{ id: 'acme', costCenter: 'a', tags: { team: 'x'.repeat(257) } }] }, /tenants\[0\]\.tags\['team'\] of tenant 'acme' .* is not a valid tag value: values are at most 256/],
    ['two tag keys the same', { tenantTagKey: 'owner', costCenterTagKey: 'owner' }, /tenantTagKey \('owner'\), costCenterTagKey \('owner'\).*three different tag keys/],
    ['invalid tag key', { modelAliasTagKey: 'model#alias' }, /modelAliasTagKey 'model#alias' is not a valid tag key/],
    ['invalid name prefix', { profileNamePrefix: 'gw--prod' }, /profileNamePrefix 'gw--prod' is invalid.*\^\(\[0-9a-zA-Z\]\[ _-\]\?\)\+\$/],
  ])('%s', (_what, props, message) => {
    expect(build(props)).toThrow(AiGatewayValidationError);
    expect(build(props)).toThrow(message);
  });

  test('a profile name over 64 characters names the tenant, the alias and the rule', () => {
    const longTenant = 'a'.repeat(40);
    const run = build({ profileNamePrefix: 'gateway-prod', tenants: [{ id: longTenant, costCenter: 'cc' }], models: [{ ...chat, alias: 'classification-model' }] });
    expect(run).toThrow(new RegExp(`profile name 'gateway-prod-${longTenant}-classification-model' of tenant '${longTenant}', alias 'classification-model' is 74 characters long; Bedrock allows at most 64 characters`));
  });

  test('a profile name breaking Bedrock\'s pattern names the tenant, the alias and the rule', () => {
    expect(build({ tenants: [{ id: 'acme--eu', costCenter: 'cc' }] }))
      .toThrow(/profile name 'gw-acme--eu-chat' of tenant 'acme--eu', alias 'chat' is invalid: Bedrock allows .*no two separators in a row/);
  });

  test('two (tenant, alias) pairs that would share a profile name are refused', () => {
    const run = build({
      tenants: [{ id: 'a-b', costCenter: 'cc' }, { id: 'a', costCenter: 'cc' }],
      models: [{ ...chat, alias: 'c' }, { ...chat, alias: 'b-c' }],
    });
    expect(run).toThrow(/profile name 'gw-a-b-c' of tenant 'a', alias 'b-c' is also the name of tenant 'a-b', alias 'c'/);
  });

  test('an error carries the construct path', () => {
    try {
      build({ tenants: [] })();
      throw new Error('expected a validation error');
    } catch (e) {
      expect(e).toBeInstanceOf(AiGatewayValidationError);
      expect((e as AiGatewayValidationError).constructPath).toBe('Gateway/Profiles');
    }
  });
});
