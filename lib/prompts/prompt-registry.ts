import { createHash } from 'node:crypto';
import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { PromptConfig, PromptVersionConfig } from '../../lambda/shared/config';
import { templateSlots, templateTexts } from '../../lambda/shared/prompt-template';
import { AiGatewayValidationError } from '../private/errors';
import { newKey } from '../private/kms';

/** A prompt of a {@link PromptRegistry}: the gateway configuration's prompt, plus where it is stored. */
export interface RegistryPrompt extends PromptConfig {
  /**
   * The ARN of a prompt that already exists in Amazon Bedrock Prompt Management
   * (`arn:aws:bedrock:<region>:<account>:prompt/<id>`). The registry then creates no Prompt
   * Management resources for this prompt: `versions` must repeat the templates the router renders,
   * and `grantRead` covers the existing prompt and its versions.
   * @default - the registry stores every version in Prompt Management
   */
  readonly existingPromptArn?: string;
}

/** Properties of a {@link PromptRegistry}. */
export interface PromptRegistryProps {
  /**
   * The prompts. More can be added with `addPrompt`.
   * @default - none
   */
  readonly prompts?: RegistryPrompt[];

  /**
   * The customer-managed KMS key that encrypts the prompts in Prompt Management.
   * @default - a new key with rotation enabled
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to a stored prompt version when it leaves the template (a version removed from
   * props, or replaced because its template changed). Kept by default, so every version that ever
   * served traffic stays listed and audited.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * A prefix of the Prompt Management prompt names (`<prefix>-<prompt id>-v<version>`), unique in
   * the account and Region.
   * @default - the stack name
   */
  readonly namePrefix?: string;
}

/** The Prompt Management resources of one prompt version. */
export interface StoredPromptVersion {
  /** The prompt id of the gateway configuration. */
  readonly promptId: string;
  /** The version number of the gateway configuration. */
  readonly version: number;
  /** The Prompt Management prompt that holds this version's template. */
  readonly prompt: bedrock.CfnPrompt;
  /** The immutable Prompt Management version of it. */
  readonly promptVersion: bedrock.CfnPromptVersion;
  /** The SHA-256 of the version's template, variables and inference parameters (hex). */
  readonly contentHash: string;
}

const PROMPT_ARN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:[0-9]{12}:prompt\/[0-9A-Z]{10}(:[0-9]+)?$/;
const NAME_MAX = 100;
/**
 * The most bytes the prompts may take in the gateway configuration: AppConfig hosted
 * configurations must be 1 MB or smaller, and tenants, routes and prices need the rest.
 */
const MAX_PROMPTS_BYTES = 800 * 1024;
const DESCRIPTION_MAX = 200;

/** A Prompt Management name: `^([0-9a-zA-Z][_-]?){1,100}$` (no two separators in a row). */
function promptName(...parts: string[]): string {
  const name = parts.join('-').replace(/[^0-9a-zA-Z_-]/g, '-').replace(/[_-]{2,}/g, '-').replace(/^[_-]+/, '');
  return name.length <= NAME_MAX ? name : `${name.slice(0, NAME_MAX - 9).replace(/[_-]+$/, '')}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

/** The hash that names a stored version: a changed template publishes a new Prompt Management version. */
function contentHash(version: PromptVersionConfig): string {
  const content = {
    system: version.system ?? null,
    messages: version.messages ?? [],
    variables: version.variables ?? [],
    inference: version.inference ?? {},
  };
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/**
 * A registry of versioned prompts. Every version is stored in Amazon Bedrock Prompt Management —
 * one `AWS::Bedrock::Prompt` per version with an immutable `AWS::Bedrock::PromptVersion`, encrypted
 * with a customer-managed key — so versions are listed in the console and their creation is in
 * CloudTrail. `promptConfigs()` is the `prompts` section of the gateway configuration: the router
 * renders from it without a call on the request path. Labels (`prod`, `canary`) and their weights
 * live only in the gateway configuration: moving a label, a rollback included, is a configuration
 * deployment, not a new prompt version.
 *
 * @example
 * const registry = new PromptRegistry(this, 'Prompts', {
 *   prompts: [{
 *     id: 'support-reply',
 *     versions: [{ version: 1, system: 'You support {{product}}.', variables: [{ name: 'product' }], routes: ['support'] }],
 *     labels: { prod: { version: 1 } },
 *   }],
 * });
 * new AiGateway(this, 'Gateway', { ..., promptRegistry: registry });
 */
export class PromptRegistry extends Construct {
  /** The key that encrypts the stored prompts. */
  public readonly encryptionKey: kms.IKey;

  private readonly prompts: RegistryPrompt[] = [];
  private readonly stored: StoredPromptVersion[] = [];
  private readonly removalPolicy: RemovalPolicy;
  private readonly namePrefix: string;
  /** The gateways that have read the prompts into their configuration. */
  private readonly readers: string[] = [];

  constructor(scope: Construct, id: string, props: PromptRegistryProps = {}) {
    super(scope, id);
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.namePrefix = props.namePrefix ?? Stack.of(this).stackName;
    this.encryptionKey = props.encryptionKey ?? newKey(this, 'Key', 'Encrypts the AI gateway prompts in Bedrock Prompt Management');
    for (const prompt of props.prompts ?? []) this.addPrompt(prompt);
  }

  /**
   * Adds a prompt: stores each of its versions in Prompt Management (unless it brings an existing
   * prompt) and adds it to `promptConfigs()`.
   */
  public addPrompt(prompt: RegistryPrompt): void {
    const at = `prompts[${this.prompts.length}]`;
    if (this.readers.length > 0) {
      throw new AiGatewayValidationError(
        `${at}: '${prompt.id}' is added after ${this.readers.join(', ')} read the registry into its configuration, which would never `
        + 'see it; add every prompt before creating the gateway (or pass them in the prompts prop).', this);
    }
    if (this.prompts.some((p) => p.id === prompt.id)) {
      throw new AiGatewayValidationError(`${at}.id: the prompt '${prompt.id}' is already in the registry; give each prompt one entry with all its versions.`, this);
    }
    if (prompt.existingPromptArn !== undefined && !Token.isUnresolved(prompt.existingPromptArn) && !PROMPT_ARN.test(prompt.existingPromptArn)) {
      throw new AiGatewayValidationError(
        `${at}.existingPromptArn: '${prompt.existingPromptArn}' is not a Prompt Management prompt ARN; expected arn:aws:bedrock:<region>:<account>:prompt/<10-character id>.`, this);
    }
    if (prompt.description !== undefined && prompt.description.length > DESCRIPTION_MAX) {
      throw new AiGatewayValidationError(`${at}.description: ${prompt.description.length} characters; Prompt Management allows at most ${DESCRIPTION_MAX}.`, this);
    }
    this.prompts.push(prompt);
    const bytes = Buffer.byteLength(JSON.stringify(this.promptConfigs()), 'utf8');
    if (bytes > MAX_PROMPTS_BYTES) {
      this.prompts.pop();
      throw new AiGatewayValidationError(
        `${at}: with prompt '${prompt.id}' the prompts take ${bytes} bytes of the gateway configuration; at most ${MAX_PROMPTS_BYTES} fit in its AppConfig hosted configuration (1 MB). Remove old versions no label points at.`, this);
    }
    if (prompt.existingPromptArn !== undefined) return;
    for (const version of prompt.versions) this.stored.push(this.store(prompt, version));
  }

  /** The `prompts` section of the gateway configuration. */
  public promptConfigs(): PromptConfig[] {
    return this.prompts.map((p) => ({
      id: p.id,
      versions: p.versions,
      ...(p.labels !== undefined ? { labels: p.labels } : {}),
      ...(p.description !== undefined ? { description: p.description } : {}),
    }));
  }

  /**
   * The `prompts` section for the gateway `reader`; after this `addPrompt` refuses, since the
   * reader's configuration would not hold what is added.
   * @internal
   */
  public _configsFor(reader: Construct): PromptConfig[] {
    this.readers.push(reader.node.path);
    return this.promptConfigs();
  }

  /** The Prompt Management resources of every stored version. */
  public storedVersions(): StoredPromptVersion[] {
    return [...this.stored];
  }

  /**
   * The ARN of the Prompt Management version that stores `version` of prompt `promptId`.
   * Throws for a prompt brought with `existingPromptArn` or an unknown version.
   */
  public versionArn(promptId: string, version: number): string {
    const found = this.stored.find((s) => s.promptId === promptId && s.version === version);
    if (!found) {
      const known = this.stored.map((s) => `${s.promptId}@${s.version}`).join(', ') || 'none';
      throw new AiGatewayValidationError(`versionArn: no stored version ${promptId}@${version}; stored versions: ${known}.`, this);
    }
    return found.promptVersion.attrArn;
  }

  /**
   * Lets `grantee` read the prompts and their versions (`bedrock:GetPrompt`, and decrypt with the
   * key): for evaluation jobs, reviewers and tools that list what is deployed.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const arns = [
      ...this.stored.flatMap((s) => [s.prompt.attrArn, `${s.prompt.attrArn}:*`]),
      ...this.prompts.flatMap((p) => (p.existingPromptArn !== undefined ? [p.existingPromptArn.replace(/:[0-9]+$/, ''), `${p.existingPromptArn.replace(/:[0-9]+$/, '')}:*`] : [])),
    ];
    if (arns.length === 0) {
      throw new AiGatewayValidationError('grantRead: the registry holds no prompts yet; add them before granting.', this);
    }
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:GetPrompt'], resourceArns: arns });
    return grant.combine(this.encryptionKey.grantDecrypt(grantee));
  }

  private store(prompt: RegistryPrompt, version: PromptVersionConfig): StoredPromptVersion {
    const hash = contentHash(version);
    const scope = new Construct(this, `${prompt.id}@${version.version}`);
    const variables = [...new Set(templateTexts(version).flatMap((t) => templateSlots(t.text).filter((s) => s.valid).map((s) => s.inner)))]
      .map((name) => ({ name }));
    const inference = version.inference;
    const inferenceConfiguration = inference ? {
      text: {
        ...(inference.maxTokens !== undefined ? { maxTokens: inference.maxTokens } : {}),
        ...(inference.temperature !== undefined ? { temperature: inference.temperature } : {}),
        ...(inference.topP !== undefined ? { topP: inference.topP } : {}),
        ...(inference.stopSequences !== undefined ? { stopSequences: inference.stopSequences } : {}),
      },
    } : undefined;
    const messages = version.messages ?? [];
    // A template that is only a system prompt is stored as a TEXT template (a chat template needs
    // at least one message); variant metadata says it is the system prompt.
    const templateConfiguration = messages.length > 0 ? {
      chat: {
        ...(version.system !== undefined ? { system: [{ text: version.system }] } : {}),
        messages: messages.map((m) => ({ role: m.role, content: [{ text: m.content }] })),
        ...(variables.length > 0 ? { inputVariables: variables } : {}),
      },
    } : {
      text: { text: version.system ?? '', ...(variables.length > 0 ? { inputVariables: variables } : {}) },
    };
    const cfnPrompt = new bedrock.CfnPrompt(scope, 'Prompt', {
      name: promptName(this.namePrefix, prompt.id, `v${version.version}`),
      description: describe(prompt.description ?? `Prompt ${prompt.id}`, version),
      customerEncryptionKeyArn: this.encryptionKey.keyArn,
      defaultVariant: 'default',
      variants: [{
        name: 'default',
        templateType: messages.length > 0 ? 'CHAT' : 'TEXT',
        templateConfiguration,
        ...(inferenceConfiguration ? { inferenceConfiguration } : {}),
        metadata: [
          { key: 'gateway-prompt-id', value: prompt.id },
          { key: 'gateway-version', value: String(version.version) },
          { key: 'gateway-routes', value: version.routes.join(',').slice(0, 1024) },
          ...(messages.length > 0 ? [] : [{ key: 'gateway-role', value: 'system' }]),
        ],
      }],
      tags: { 'gateway-prompt-id': prompt.id, 'gateway-prompt-version': String(version.version) },
    });
    cfnPrompt.applyRemovalPolicy(this.removalPolicy);
    // The logical id carries the content hash: a changed template cuts a new version.
    const cfnVersion = new bedrock.CfnPromptVersion(scope, `Version${hash.slice(0, 12)}`, {
      promptArn: cfnPrompt.attrArn,
      description: `${prompt.id} v${version.version} sha256:${hash.slice(0, 16)}`,
      tags: { 'gateway-prompt-id': prompt.id, 'gateway-prompt-version': String(version.version), 'gateway-content-sha256': hash.slice(0, 64) },
    });
    cfnVersion.applyRemovalPolicy(this.removalPolicy);
    return { promptId: prompt.id, version: version.version, prompt: cfnPrompt, promptVersion: cfnVersion, contentHash: hash };
  }
}

function describe(base: string, version: PromptVersionConfig): string {
  const text = `${base} — version ${version.version}${version.description ? `: ${version.description}` : ''}`;
  return text.length <= DESCRIPTION_MAX ? text : `${text.slice(0, DESCRIPTION_MAX - 1)}…`;
}

