import { App, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { PromptRole } from '../../lambda/shared/config';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { AiGateway } from '../../lib/gateway/ai-gateway';
import { PromptRegistry, RegistryPrompt } from '../../lib/prompts/prompt-registry';
import { statementsOfRole } from '../helpers/iam-statements';

const ENV = { account: '111122223333', region: 'us-east-1' };

const SUPPORT: RegistryPrompt = {
  id: 'support-reply',
  description: 'Answers a support ticket',
  versions: [
    {
      version: 1,
      system: 'You support {{product}}.',
      messages: [{ role: PromptRole.USER, content: 'Ticket: {{ticket}}' }],
      variables: [{ name: 'product' }, { name: 'ticket', maxLength: 20_000 }],
      inference: { maxTokens: 256, temperature: 0.2 },
      routes: ['support'],
    },
    { version: 2, system: 'You support {{product}} politely.', variables: [{ name: 'product' }], routes: ['support'] },
  ],
  labels: { prod: { version: 1 }, canary: { weights: { 1: 90, 2: 10 } } },
};

function build(prompts: RegistryPrompt[] = [SUPPORT], stack = new Stack(new App(), 'Stack', { env: ENV })) {
  const registry = new PromptRegistry(stack, 'Prompts', { prompts });
  return { stack, registry, template: Template.fromStack(stack) };
}

describe('PromptRegistry', () => {
  test('stores each version as a Prompt Management prompt (CHAT template, variables, inference) with the customer key', () => {
    const { template, stack, registry } = build();
    template.resourceCountIs('AWS::Bedrock::Prompt', 2);
    template.resourceCountIs('AWS::Bedrock::PromptVersion', 2);
    template.hasResourceProperties('AWS::Bedrock::Prompt', {
      Name: 'Stack-support-reply-v1',
      CustomerEncryptionKeyArn: { 'Fn::GetAtt': [stack.getLogicalId(registry.encryptionKey.node.defaultChild as never), 'Arn'] },
      DefaultVariant: 'default',
      Variants: [{
        Name: 'default',
        TemplateType: 'CHAT',
        TemplateConfiguration: {
          Chat: {
            System: [{ Text: 'You support {{product}}.' }],
            Messages: [{ Role: 'user', Content: [{ Text: 'Ticket: {{ticket}}' }] }],
            InputVariables: [{ Name: 'product' }, { Name: 'ticket' }],
          },
        },
        InferenceConfiguration: { Text: { MaxTokens: 256, Temperature: 0.2 } },
        Metadata: Match.arrayWith([{ Key: 'gateway-prompt-id', Value: 'support-reply' }, { Key: 'gateway-version', Value: '1' }]),
      }],
    });
  });

  test('a system-only version is stored as a TEXT template marked as the system prompt', () => {
    build().template.hasResourceProperties('AWS::Bedrock::Prompt', {
      Name: 'Stack-support-reply-v2',
      Variants: [Match.objectLike({
        TemplateType: 'TEXT',
        TemplateConfiguration: { Text: { Text: 'You support {{product}} politely.', InputVariables: [{ Name: 'product' }] } },
        InferenceConfiguration: Match.absent(),
        Metadata: Match.arrayWith([{ Key: 'gateway-role', Value: 'system' }]),
      })],
    });
  });

  test('every version is immutable: a PromptVersion of its prompt, retained, described with its content hash', () => {
    const { template, stack, registry } = build();
    const [v1] = registry.storedVersions();
    template.hasResource('AWS::Bedrock::PromptVersion', {
      Properties: {
        PromptArn: { 'Fn::GetAtt': [stack.getLogicalId(v1.prompt), 'Arn'] },
        Description: `support-reply v1 sha256:${v1.contentHash.slice(0, 16)}`,
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResource('AWS::Bedrock::Prompt', { DeletionPolicy: 'Retain' });
  });

  test('a changed template publishes a new version (the version\'s logical id follows the content); an unchanged one does not', () => {
    const versionIds = (prompt: RegistryPrompt) => Object.keys(build([prompt]).template.findResources('AWS::Bedrock::PromptVersion')).sort();
    const before = versionIds(SUPPORT);
    const changed = versionIds({ ...SUPPORT, versions: [{ ...SUPPORT.versions[0], system: 'You support {{product}}!' }, SUPPORT.versions[1]] });
    expect(versionIds(SUPPORT)).toEqual(before);
    expect(changed.filter((id) => before.includes(id))).toHaveLength(1);
    expect(changed).toHaveLength(2);
  });

  test('the key rotates; prompts brought by ARN create no Prompt Management resources', () => {
    const { template } = build([{ ...SUPPORT, existingPromptArn: 'arn:aws:bedrock:us-east-1:111122223333:prompt/ABCDE12345' }]);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.resourceCountIs('AWS::Bedrock::Prompt', 0);
    template.resourceCountIs('AWS::Bedrock::PromptVersion', 0);
  });

  test('promptConfigs() is the configuration section, without where the prompt is stored', () => {
    const { registry } = build([{ ...SUPPORT, existingPromptArn: 'arn:aws:bedrock:us-east-1:111122223333:prompt/ABCDE12345' }]);
    expect(registry.promptConfigs()).toEqual([{ id: 'support-reply', description: SUPPORT.description, versions: SUPPORT.versions, labels: SUPPORT.labels }]);
  });

  test('grantRead: bedrock:GetPrompt on the stored prompts and their versions, and decrypt with the key', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const registry = new PromptRegistry(stack, 'Prompts', { prompts: [SUPPORT] });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    registry.grantRead(role);
    const statements = statementsOfRole(Template.fromStack(stack), stack.getLogicalId(role.node.defaultChild as never));
    const getPrompt = statements.find((s) => JSON.stringify(s.Action) === '"bedrock:GetPrompt"');
    expect(getPrompt?.Resource).toHaveLength(4);
    expect(statements.some((s) => JSON.stringify(s.Action) === '"kms:Decrypt"')).toBe(true);
  });

  test.each<[string, RegistryPrompt[], RegExp]>([
    ['a duplicate prompt', [SUPPORT, SUPPORT], /prompts\[1\]\.id: the prompt 'support-reply' is already in the registry/],
    ['a malformed existing ARN', [{ ...SUPPORT, existingPromptArn: 'arn:aws:s3:::bucket' }], /prompts\[0\]\.existingPromptArn: 'arn:aws:s3:::bucket' is not a Prompt Management prompt ARN/],
    ['prompts larger than the configuration can carry', [SUPPORT, { ...SUPPORT, id: 'big', versions: Array.from({ length: 9 }, (_, i) => ({ ...SUPPORT.versions[1], version: i + 1, system: `${'x'.repeat(99_000)} {{product}}` })), labels: {} }],
      /prompts\[1\]: with prompt 'big' the prompts take \d+ bytes of the gateway configuration; at most 819200 fit in its AppConfig hosted configuration \(1 MB\)/],
    ['a description over 200 characters', [{ ...SUPPORT, description: 'x'.repeat(201) }], /prompts\[0\]\.description: 201 characters; Prompt Management allows at most 200/],
  ])('refuses %s, naming the prop', (_name, prompts, message) => {
    expect(() => build(prompts)).toThrow(message);
  });
});

describe('AiGateway with a prompt registry', () => {
  const props = (registry: PromptRegistry) => ({
    tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10, quota: { limit: 1000, period: apigateway.Period.DAY } }],
    tenants: [
      { id: 'acme', costCenter: 'cc-1', tier: 'standard' },
      { id: 'globex', costCenter: 'cc-2', tier: 'standard', allowedPrompts: [] },
    ],
    routes: [{ alias: 'support', model: ModelSource.foundationModel('amazon.nova-micro-v1:0') }],
    promptRegistry: registry,
  });

  test('the router configuration carries the prompts and each tenant\'s allowed prompts', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const registry = new PromptRegistry(stack, 'Prompts', { prompts: [SUPPORT] });
    const gateway = new AiGateway(stack, 'Gateway', props(registry));
    expect(gateway.config.prompts).toEqual(registry.promptConfigs());
    expect(gateway.config.tenants.map((t) => t.allowedPrompts)).toEqual([undefined, []]);
  });

  test('a prompt added after the gateway read the registry is refused, naming the gateway', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const registry = new PromptRegistry(stack, 'Prompts', { prompts: [SUPPORT] });
    new AiGateway(stack, 'Gateway', props(registry));
    expect(() => registry.addPrompt({ ...SUPPORT, id: 'late' }))
      .toThrow(/prompts\[1\]: 'late' is added after Stack\/Gateway read the registry into its configuration, which would never see it/);
  });

  test('a prompt naming a route the gateway does not have fails synth, naming the field', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const registry = new PromptRegistry(stack, 'Prompts', { prompts: [{ ...SUPPORT, versions: [{ ...SUPPORT.versions[0], routes: ['nope'] }], labels: {} }] });
    expect(() => new AiGateway(stack, 'Gateway', props(registry))).toThrow(/prompts\[0\]\.versions\[0\]\.routes\[0\]: unknown route alias 'nope'/);
  });
});
