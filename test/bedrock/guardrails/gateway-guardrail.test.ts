import { App, CfnResource, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as alpha from '@aws-cdk/aws-bedrock-alpha';
import { ContentFilterStrength, ContentFilterType, GuardrailAction } from '@aws-cdk/aws-bedrock-alpha';
import {
  GatewayGuardrail, GatewayGuardrailProps, GuardrailContentFilter, PiiEntityType,
} from '../../../lib/bedrock/guardrails';
import { AiGatewayValidationError } from '../../../lib/private/errors';

const GUARDRAIL = 'AWS::Bedrock::Guardrail';
const VERSION = 'AWS::Bedrock::GuardrailVersion';
const ENV = { account: '111122223333', region: 'us-east-1' };

/** An app that fails synthesis on any CloudFormation Validate finding (resource schemas included). */
function newApp(): App {
  return new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
}

function newStack(): Stack {
  return new Stack(newApp(), 'Gateway', { env: ENV });
}

function guardrailIn(props: GatewayGuardrailProps = {}, stack = newStack()) {
  const guardrail = new GatewayGuardrail(stack, 'Guardrail', props);
  return { stack, guardrail, template: Template.fromStack(stack) };
}

function onlyLogicalId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0];
}

function versionLogicalId(props: GatewayGuardrailProps, before?: (stack: Stack) => void): string {
  const stack = newStack();
  before?.(stack);
  const { template } = guardrailIn(props, stack);
  return onlyLogicalId(template, VERSION);
}

function roleIn(stack: Stack): iam.Role {
  return new iam.Role(stack, 'Router', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

const HARMFUL = ['SEXUAL', 'VIOLENCE', 'HATE', 'INSULTS', 'MISCONDUCT'];
const BLOCK_IN_MASK_OUT = [
  'CREDIT_DEBIT_CARD_NUMBER', 'CREDIT_DEBIT_CARD_CVV', 'CREDIT_DEBIT_CARD_EXPIRY', 'PIN', 'PASSWORD',
  'US_BANK_ACCOUNT_NUMBER', 'INTERNATIONAL_BANK_ACCOUNT_NUMBER', 'US_SOCIAL_SECURITY_NUMBER',
  'US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER', 'US_PASSPORT_NUMBER', 'CA_SOCIAL_INSURANCE_NUMBER',
  'UK_NATIONAL_INSURANCE_NUMBER', 'UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER', 'AWS_ACCESS_KEY', 'AWS_SECRET_KEY',
];
const MASK_BOTH = ['EMAIL', 'PHONE', 'US_BANK_ROUTING_NUMBER', 'SWIFT_CODE'];

describe('GatewayGuardrail: fintech defaults', () => {
  test('every harmful-content filter is HIGH and blocked both ways; prompt attack is HIGH on input with output NONE', () => {
    const { template } = guardrailIn();
    template.hasResourceProperties(GUARDRAIL, {
      ContentPolicyConfig: {
        FiltersConfig: [
          ...HARMFUL.map((Type) => ({ Type, InputStrength: 'HIGH', OutputStrength: 'HIGH', InputAction: 'BLOCK', OutputAction: 'BLOCK' })),
          { Type: 'PROMPT_ATTACK', InputStrength: 'HIGH', OutputStrength: 'NONE', InputAction: 'BLOCK', OutputAction: 'BLOCK' },
        ],
      },
    });
  });

  test('card data, PINs, passwords, bank accounts, national ids and AWS keys are blocked in prompts and masked in responses; contact details are masked', () => {
    const { template } = guardrailIn();
    template.hasResourceProperties(GUARDRAIL, {
      SensitiveInformationPolicyConfig: {
        PiiEntitiesConfig: [
          ...BLOCK_IN_MASK_OUT.map((Type) => ({ Type, Action: 'BLOCK', InputAction: 'BLOCK', OutputAction: 'ANONYMIZE' })),
          ...MASK_BOTH.map((Type) => ({ Type, Action: 'ANONYMIZE', InputAction: 'ANONYMIZE', OutputAction: 'ANONYMIZE' })),
        ],
        RegexesConfig: Match.absent(),
      },
    });
  });

  test('default blocked messages, a generated name, no topics, no customer managed key', () => {
    const { template } = guardrailIn();
    template.hasResourceProperties(GUARDRAIL, {
      Name: Match.stringLikeRegexp('^[0-9a-zA-Z_-]{1,50}$'),
      BlockedInputMessaging: GatewayGuardrail.DEFAULT_BLOCKED_INPUT_MESSAGE,
      BlockedOutputsMessaging: GatewayGuardrail.DEFAULT_BLOCKED_OUTPUT_MESSAGE,
      TopicPolicyConfig: Match.absent(),
      WordPolicyConfig: Match.absent(),
      KmsKeyArn: Match.absent(),
      Description: Match.absent(),
    });
    expect(GatewayGuardrail.DEFAULT_BLOCKED_INPUT_MESSAGE.length).toBeLessThanOrEqual(500);
  });

  test('the defaults are exposed for extension', () => {
    const pii = [...GatewayGuardrail.defaultPiiEntities(), { entityType: PiiEntityType.NAME, inputAction: GuardrailAction.NONE, outputAction: GuardrailAction.ANONYMIZE }];
    const { template } = guardrailIn({ piiEntities: pii });
    template.hasResourceProperties(GUARDRAIL, {
      SensitiveInformationPolicyConfig: {
        PiiEntitiesConfig: Match.arrayWith([{ Type: 'NAME', Action: 'ANONYMIZE', InputAction: 'NONE', OutputAction: 'ANONYMIZE' }]),
      },
    });
  });
});

describe('GatewayGuardrail: configuration', () => {
  test('denied topics, regex filters, messages, description and name are rendered with their defaults', () => {
    const { template } = guardrailIn({
      guardrailName: 'payments-guardrail',
      description: 'Guardrail of the payments gateway',
      blockedInputMessaging: 'Request blocked.',
      blockedOutputsMessaging: 'Response withheld.',
      deniedTopics: [
        { name: 'Investment advice', definition: 'Recommendations to buy or sell specific securities.', examples: ['Should I buy ACME stock?'] },
        { name: 'Competitors', definition: 'Comparisons with competing banks.', outputAction: GuardrailAction.NONE },
      ],
      regexFilters: [
        { name: 'internal-account', pattern: 'ACC-[0-9]{8}', description: 'Internal account ids' },
        { name: 'ticket', pattern: 'TCK-[0-9]+', inputAction: GuardrailAction.NONE, outputAction: GuardrailAction.BLOCK },
      ],
    });
    template.hasResourceProperties(GUARDRAIL, {
      Name: 'payments-guardrail',
      Description: 'Guardrail of the payments gateway',
      BlockedInputMessaging: 'Request blocked.',
      BlockedOutputsMessaging: 'Response withheld.',
      TopicPolicyConfig: {
        TopicsConfig: [
          {
            Name: 'Investment advice', Definition: 'Recommendations to buy or sell specific securities.',
            Examples: ['Should I buy ACME stock?'], Type: 'DENY', InputAction: 'BLOCK', OutputAction: 'BLOCK',
          },
          { Name: 'Competitors', Definition: 'Comparisons with competing banks.', Type: 'DENY', InputAction: 'BLOCK', OutputAction: 'NONE' },
        ],
      },
      SensitiveInformationPolicyConfig: {
        RegexesConfig: [
          { Name: 'internal-account', Pattern: 'ACC-[0-9]{8}', Description: 'Internal account ids', Action: 'BLOCK', InputAction: 'BLOCK', OutputAction: 'ANONYMIZE' },
          { Name: 'ticket', Pattern: 'TCK-[0-9]+', Action: 'BLOCK', InputAction: 'NONE', OutputAction: 'BLOCK' },
        ],
      },
    });
  });

  test('empty content filters and PII lists leave those policies out', () => {
    const { template } = guardrailIn({
      contentFilters: [], piiEntities: [],
      deniedTopics: [{ name: 'Crypto', definition: 'Cryptocurrency trading.' }],
    });
    template.hasResourceProperties(GUARDRAIL, {
      ContentPolicyConfig: Match.absent(),
      SensitiveInformationPolicyConfig: Match.absent(),
      TopicPolicyConfig: { TopicsConfig: [Match.objectLike({ Name: 'Crypto' })] },
    });
  });

  test('a customer managed key encrypts the guardrail', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const { template } = guardrailIn({ kmsKey: key }, stack);
    template.hasResourceProperties(GUARDRAIL, {
      KmsKeyArn: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
    });
  });
});

describe('GatewayGuardrail: published version', () => {
  test('a version of the guardrail is published, and its number is what the gateway applies', () => {
    const { stack, guardrail, template } = guardrailIn({ versionDescription: 'Payments policy' });
    const guardrailId = onlyLogicalId(template, GUARDRAIL);
    const versionId = onlyLogicalId(template, VERSION);
    template.hasResource(VERSION, {
      Properties: { GuardrailIdentifier: { 'Fn::GetAtt': [guardrailId, 'GuardrailId'] }, Description: 'Payments policy' },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
    expect(versionId.startsWith(`GuardrailVersion${guardrail.policyHash}`)).toBe(true);
    expect(stack.resolve(guardrail.guardrailVersion)).toEqual({ 'Fn::GetAtt': [versionId, 'Version'] });
    expect(stack.resolve(guardrail.guardrailId)).toEqual({ 'Fn::GetAtt': [guardrailId, 'GuardrailId'] });
    expect(stack.resolve(guardrail.guardrailArn)).toEqual({ 'Fn::GetAtt': [guardrailId, 'GuardrailArn'] });
  });

  test('old versions can be retained for audit', () => {
    const { template } = guardrailIn({ versionRemovalPolicy: RemovalPolicy.RETAIN });
    template.hasResource(VERSION, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('the same policy keeps the same version, also when unrelated resources and tokens come first', () => {
    const base = versionLogicalId({});
    expect(versionLogicalId({})).toBe(base);
    expect(versionLogicalId({}, (stack) => {
      const other = new CfnResource(stack, 'Unrelated', { type: 'AWS::SNS::Topic' });
      other.getAtt('TopicName').toString();
      Lazy.string({ produce: () => 'x' });
    })).toBe(base);
    // Equal values, new objects.
    expect(versionLogicalId({ contentFilters: GatewayGuardrail.defaultContentFilters(), piiEntities: GatewayGuardrail.defaultPiiEntities() })).toBe(base);
  });

  test('changing a content filter publishes a new version', () => {
    const base = versionLogicalId({});
    const weaker: GuardrailContentFilter[] = GatewayGuardrail.defaultContentFilters()
      .map((f) => (f.category === ContentFilterType.INSULTS ? { ...f, inputStrength: ContentFilterStrength.MEDIUM } : f));
    expect(versionLogicalId({ contentFilters: weaker })).not.toBe(base);
  });

  test('changing a PII action, a topic, a regex, a message or the key publishes a new version', () => {
    const base = versionLogicalId({});
    const variants: Array<[string, (stack: Stack) => GatewayGuardrailProps]> = [
      ['pii', () => ({ piiEntities: GatewayGuardrail.defaultPiiEntities().map((p) => (p.entityType === PiiEntityType.EMAIL ? { ...p, inputAction: GuardrailAction.BLOCK } : p)) })],
      ['topic', () => ({ deniedTopics: [{ name: 'Crypto', definition: 'Cryptocurrency trading.' }] })],
      ['regex', () => ({ regexFilters: [{ name: 'acct', pattern: 'ACC-[0-9]+' }] })],
      ['message', () => ({ blockedInputMessaging: 'Blocked.' })],
      ['key', (stack) => ({ kmsKey: new kms.Key(stack, 'Key') })],
    ];
    const ids = variants.map(([, props]) => {
      const stack = newStack();
      return onlyLogicalId(guardrailIn(props(stack), stack).template, VERSION);
    });
    for (const id of ids) expect(id).not.toBe(base);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('GatewayGuardrail: grantApply', () => {
  test('grants bedrock:ApplyGuardrail on the guardrail and nothing else', () => {
    const stack = newStack();
    const guardrail = new GatewayGuardrail(stack, 'Guardrail');
    guardrail.grantApply(roleIn(stack));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: 'bedrock:ApplyGuardrail', Resource: { 'Fn::GetAtt': [onlyLogicalId(template, GUARDRAIL), 'GuardrailArn'] } },
        ],
      },
    });
  });

  test('with a customer managed key, also kms:Decrypt on that key (what guardrail users need), combined in one grant', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    const guardrail = new GatewayGuardrail(stack, 'Guardrail', { kmsKey: key });
    const grant = guardrail.grantApply(roleIn(stack));
    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: 'bedrock:ApplyGuardrail', Resource: { 'Fn::GetAtt': [onlyLogicalId(template, GUARDRAIL), 'GuardrailArn'] } },
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] } },
        ],
      },
    });
  });
});

describe('GatewayGuardrail.fromGuardrailAttributes', () => {
  const arn = 'arn:aws:bedrock:us-east-1:111122223333:guardrail/abc123xyz';

  test('brings an existing guardrail at a published version', () => {
    const stack = newStack();
    const imported = GatewayGuardrail.fromGuardrailAttributes(stack, 'Existing', { guardrailArn: arn, guardrailVersion: '7' });
    expect(imported.guardrailArn).toBe(arn);
    expect(imported.guardrailId).toBe('abc123xyz');
    expect(imported.guardrailVersion).toBe('7');
    expect(imported.kmsKey).toBeUndefined();
    imported.grantApply(roleIn(stack));
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'bedrock:ApplyGuardrail', Resource: arn }] },
    });
  });

  test('grantApply of an imported encrypted guardrail includes kms:Decrypt', () => {
    const stack = newStack();
    const keyArn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const key = kms.Key.fromKeyArn(stack, 'Key', keyArn);
    const imported = GatewayGuardrail.fromGuardrailAttributes(stack, 'Existing', { guardrailArn: arn, guardrailVersion: 'DRAFT', kmsKey: key });
    imported.grantApply(roleIn(stack));
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: 'bedrock:ApplyGuardrail', Resource: arn },
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn },
        ],
      },
    });
  });

  test('an ARN from a token is accepted and its id is extracted at deploy time', () => {
    const stack = newStack();
    const token = Lazy.string({ produce: () => arn });
    const imported = GatewayGuardrail.fromGuardrailAttributes(stack, 'Existing', { guardrailArn: token, guardrailVersion: '1' });
    // The resource part of the ARN (after the fifth ':'), then what follows 'guardrail/'.
    expect(stack.resolve(imported.guardrailId)).toEqual({
      'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::Select': [5, { 'Fn::Split': [':', arn] }] }] }],
    });
  });

  test.each([
    ['arn:aws:bedrock:us-east-1:111122223333:guardrail-profile/us.guardrail.v1:0', '1', /guardrailArn '.*' is not a guardrail ARN/],
    ['abc123xyz', '1', /guardrailArn 'abc123xyz' is not a guardrail ARN/],
    ['arn:aws:bedrock:us-east-1:111122223333:guardrail/ABC', '1', /is not a guardrail ARN/],
    [arn, '0', /guardrailVersion '0' is invalid; expected 'DRAFT' or a version number/],
    [arn, 'v2', /guardrailVersion 'v2' is invalid/],
    [arn, 'draft', /guardrailVersion 'draft' is invalid/],
    [arn, '', /guardrailVersion '' is invalid/],
  ])('refuses guardrailArn %j with version %j', (guardrailArn, guardrailVersion, message) => {
    const run = () => GatewayGuardrail.fromGuardrailAttributes(newStack(), 'Existing', { guardrailArn, guardrailVersion });
    expect(run).toThrow(AiGatewayValidationError);
    expect(run).toThrow(message);
  });
});

describe('GatewayGuardrail: validation', () => {
  const prompt = (outputStrength: ContentFilterStrength): GuardrailContentFilter => ({
    category: ContentFilterType.PROMPT_ATTACK, inputStrength: ContentFilterStrength.HIGH, outputStrength,
  });
  const hate: GuardrailContentFilter = { category: ContentFilterType.HATE, inputStrength: ContentFilterStrength.HIGH, outputStrength: ContentFilterStrength.HIGH };
  const topic = { name: 'Crypto', definition: 'Cryptocurrency trading.' };

  test.each<[string, GatewayGuardrailProps, RegExp]>([
    ['prompt attack with an output strength', { contentFilters: [prompt(ContentFilterStrength.LOW)] }, /contentFilters\[0\]\.outputStrength is 'LOW' for PROMPT_ATTACK.*requires outputStrength NONE/],
    ['a content filter type twice', { contentFilters: [hate, hate] }, /contentFilters\[1\]\.category 'HATE' is a duplicate/],
    ['ANONYMIZE on a content filter', { contentFilters: [{ ...hate, inputAction: GuardrailAction.ANONYMIZE }] }, /contentFilters\[0\]\.inputAction \(HATE\) 'ANONYMIZE' is not allowed; use 'BLOCK' or 'NONE'/],
    ['an unknown strength', { contentFilters: [{ ...hate, outputStrength: 'EXTREME' as ContentFilterStrength }] }, /contentFilters\[0\]\.outputStrength 'EXTREME' \(HATE\) is not a strength/],
    ['an unknown content filter type', { contentFilters: [{ ...hate, category: 'GORE' as ContentFilterType }] }, /contentFilters\[0\]\.category 'GORE' is not a content filter type/],
    ['a PII type twice', { piiEntities: [...GatewayGuardrail.defaultPiiEntities(), { entityType: PiiEntityType.EMAIL, inputAction: GuardrailAction.BLOCK, outputAction: GuardrailAction.BLOCK }] }, /piiEntities\[19\]\.entityType 'EMAIL' is a duplicate/],
    ['an unknown PII action', { piiEntities: [{ entityType: PiiEntityType.EMAIL, inputAction: 'REDACT' as GuardrailAction, outputAction: GuardrailAction.BLOCK }] }, /piiEntities\[0\]\.inputAction \(EMAIL\) 'REDACT' is not allowed/],
    ['a topic name with invalid characters', { deniedTopics: [{ ...topic, name: 'Crypto/DeFi' }] }, /deniedTopics\[0\]\.name 'Crypto\/DeFi' is invalid/],
    ['a topic twice', { deniedTopics: [topic, topic] }, /deniedTopics\[1\]\.name 'Crypto' is a duplicate/],
    ['a topic definition over 200 characters', { deniedTopics: [{ ...topic, definition: 'x'.repeat(201) }] }, /deniedTopics\[0\]\.definition of topic 'Crypto' is 201 characters long; Bedrock allows 1-200/],
    ['more than five examples', { deniedTopics: [{ ...topic, examples: ['a', 'b', 'c', 'd', 'e', 'f'] }] }, /deniedTopics\[0\]\.examples of topic 'Crypto' has 6 examples; Bedrock allows at most 5/],
    ['an example over 100 characters', { deniedTopics: [{ ...topic, examples: ['y'.repeat(101)] }] }, /deniedTopics\[0\]\.examples\[0\] of topic 'Crypto' is 101 characters long/],
    ['ANONYMIZE on a topic', { deniedTopics: [{ ...topic, outputAction: GuardrailAction.ANONYMIZE }] }, /deniedTopics\[0\]\.outputAction \(topic 'Crypto'\) 'ANONYMIZE' is not allowed/],
    ['more than 30 topics', { deniedTopics: Array.from({ length: 31 }, (_, i) => ({ ...topic, name: `Topic ${i}` })) }, /deniedTopics has 31 topics; Bedrock allows at most 30/],
    ['an empty regex pattern', { regexFilters: [{ name: 'acct', pattern: '' }] }, /regexFilters\[0\]\.pattern of regex filter 'acct' is empty/],
    ['a regex name twice', { regexFilters: [{ name: 'acct', pattern: 'a' }, { name: 'acct', pattern: 'b' }] }, /regexFilters\[1\]\.name 'acct' is a duplicate/],
    ['a regex name over 100 characters', { regexFilters: [{ name: 'n'.repeat(101), pattern: 'a' }] }, /regexFilters\[0\]\.name '.*' is 101 characters long; Bedrock allows 1-100/],
    ['a blocked input message over 500 characters', { blockedInputMessaging: 'm'.repeat(501) }, /blockedInputMessaging is 501 characters long; Bedrock allows 1-500/],
    ['an empty blocked output message', { blockedOutputsMessaging: '' }, /blockedOutputsMessaging is 0 characters long; Bedrock allows 1-500/],
    ['a description over 200 characters', { description: 'd'.repeat(201) }, /description is 201 characters long; Bedrock allows 1-200/],
    ['an invalid name', { guardrailName: 'payments guardrail' }, /guardrailName 'payments guardrail' is invalid: Bedrock allows 1-50 characters of letters, digits, '-' and '_'/],
    ['a name over 50 characters', { guardrailName: 'g'.repeat(51) }, /guardrailName 'g{51}' is invalid/],
    ['no policy at all', { contentFilters: [], piiEntities: [] }, /GatewayGuardrail has no policy/],
  ])('%s', (_what, props, message) => {
    expect(() => guardrailIn(props)).toThrow(AiGatewayValidationError);
    expect(() => guardrailIn(props)).toThrow(message);
  });

  test('PiiEntityType.of names a type this version does not list, and refuses a malformed one', () => {
    expect(PiiEntityType.of('SOME_NEW_TYPE').value).toBe('SOME_NEW_TYPE');
    expect(() => PiiEntityType.of('credit card')).toThrow(/PiiEntityType\.of: 'credit card' is not a PII entity type name/);
  });
});

// Why GatewayGuardrail uses the L1s: the alpha Guardrail's createVersion() names the version after
// a hash of its props with Lazy values unresolved (filter changes are invisible to it) and of the
// token of the guardrail's UpdatedAt (which changes when unrelated tokens are created first). If
// an upgrade of the pinned alpha fixes this, these tests fail and the choice should be revisited.
describe('the alpha Guardrail version identity (reason for the L1s)', () => {
  const alphaVersionId = (strength: alpha.ContentFilterStrength, unrelatedFirst: boolean): string => {
    const stack = newStack();
    if (unrelatedFirst) new CfnResource(stack, 'Unrelated', { type: 'AWS::SNS::Topic' }).getAtt('TopicName').toString();
    const guardrail = new alpha.Guardrail(stack, 'G', {
      guardrailName: 'g',
      contentFilters: [{ type: alpha.ContentFilterType.HATE, inputStrength: strength, outputStrength: strength }],
    });
    guardrail.createVersion();
    return onlyLogicalId(Template.fromStack(stack), VERSION);
  };

  test('the outer hash ignores a filter change, and the id changes without any policy change', () => {
    const high = alphaVersionId(alpha.ContentFilterStrength.HIGH, false);
    const low = alphaVersionId(alpha.ContentFilterStrength.LOW, false);
    const highAgain = alphaVersionId(alpha.ContentFilterStrength.HIGH, true);
    // The first hash (the version construct id) is the same for HIGH and LOW.
    expect(high.slice(0, 33)).toBe(low.slice(0, 33));
    // The same policy gets a different id when an unrelated token is created first.
    expect(highAgain).not.toBe(high);
  });
});
