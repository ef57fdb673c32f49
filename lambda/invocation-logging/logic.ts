/**
 * Bedrock model invocation logging, applied from a CloudFormation custom resource's properties.
 *
 * Pure logic with an injected `BedrockClient`: it validates the properties, builds the
 * `loggingConfig` of `PutModelInvocationLoggingConfiguration`, and puts or deletes it. It knows
 * nothing about the CloudFormation event or response shape; `index.ts` does.
 *
 * The setting is one per account and Region. So:
 * - Create and Update put the whole configuration (the API replaces it as a whole).
 * - Delete leaves logging as it is, unless the resource opted in (`DisableLoggingOnDelete`), and
 *   even then only deletes the configuration if it is still the one this resource put (same
 *   bucket and log group): a rollback of a failed Create, or a stack whose configuration another
 *   stack has since replaced, never switches off someone else's logging.
 * - Every failure is thrown as an `InvocationLoggingError` naming the operation and the AWS error;
 *   nothing is swallowed.
 */
import {
  BedrockClient,
  DeleteModelInvocationLoggingConfigurationCommand,
  GetModelInvocationLoggingConfigurationCommand,
  PutModelInvocationLoggingConfigurationCommand,
  type LoggingConfig,
} from '@aws-sdk/client-bedrock';
import { INVOCATION_LOGGING_PROPERTY } from '../shared/invocation-logging-properties';

/** The custom resource's property names, shared with the construct. */
export const PROPERTY = INVOCATION_LOGGING_PROPERTY;

/** The validated properties of one custom resource. */
export interface LoggingSettings {
  /** Exactly what is sent as `loggingConfig`. */
  readonly loggingConfig: LoggingConfig;
  /** Whether Delete may switch account-wide logging off. */
  readonly disableLoggingOnDelete: boolean;
  /** The construct's hash over every setting; echoed back as the resource's `ConfigHash` attribute. */
  readonly configHash: string;
}

/** The CloudFormation request types, as plain values. */
export const RequestType = { CREATE: 'Create', UPDATE: 'Update', DELETE: 'Delete' } as const;
export type RequestType = (typeof RequestType)[keyof typeof RequestType];

/** A failure to report to CloudFormation. Its message is the FAILED reason. */
export class InvocationLoggingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvocationLoggingError';
  }
}

/** The properties are malformed (a bug in, or a hand edit of, the template). */
export class InvalidPropertiesError extends InvocationLoggingError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPropertiesError';
  }
}

/** The structured logger the logic writes to (Powertools `Logger` in the handler). */
export interface Log {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

/** Retries of `PutModelInvocationLoggingConfiguration` while new IAM permissions propagate. */
export interface PropagationRetry {
  /** Total attempts, the first included. */
  readonly attempts: number;
  /** Pause between attempts, in milliseconds. */
  readonly delayMs: number;
}

export interface LogicDeps {
  /** One client per cold start; its own `maxAttempts` covers throttling and 5xx. */
  readonly client: BedrockClient;
  readonly log: Log;
  readonly propagationRetry: PropagationRetry;
  /** Aborts in-flight calls and pending pauses when the handler's deadline is reached. */
  readonly abortSignal?: AbortSignal;
  /** Injected for tests; `setTimeout` otherwise. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What an event did, for the response's `Data` and the logs. */
export interface Outcome {
  readonly action: 'put' | 'deleted' | 'left-in-place';
  readonly detail: string;
  readonly data: Readonly<Record<string, string>>;
}

// Constraints from the Bedrock API reference (S3Config, CloudWatchConfig) and S3 bucket naming.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KEY_PREFIX_MAX = 1024;
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const ROLE_ARN = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
const ROLE_ARN_MAX = 2048;

/**
 * The stable physical id: one logging configuration per account and Region, so one id per Region.
 *
 * @example physicalResourceId('eu-west-1') // 'bedrock-invocation-logging-eu-west-1'
 */
export function physicalResourceId(region: string): string {
  return `bedrock-invocation-logging-${region}`;
}

/**
 * Validates the custom resource's properties and builds the `loggingConfig` to put.
 * CloudFormation hands every scalar over as a string, so booleans arrive as `"true"`/`"false"`.
 *
 * @example
 * parseProperties({ TextDataDeliveryEnabled: 'true', S3BucketName: 'logs', ... }).loggingConfig.s3Config
 * // { bucketName: 'logs', keyPrefix: 'invocation-logs' }
 */
export function parseProperties(properties: unknown): LoggingSettings {
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    throw new InvalidPropertiesError('ResourceProperties must be an object.');
  }
  const props = properties as Record<string, unknown>;
  const problems: string[] = [];

  const bool = (name: string): boolean => {
    const value = props[name];
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    problems.push(`${name} must be true or false, received ${describe(value)}`);
    return false;
  };
  const str = (name: string, check: (v: string) => string | undefined): string => {
    const value = props[name];
    if (typeof value !== 'string') {
      problems.push(`${name} must be a string, received ${describe(value)}`);
      return '';
    }
    const problem = check(value);
    if (problem) problems.push(`${name} ${problem}, received ${describe(value)}`);
    return value;
  };
  const bucketName = (v: string) => (BUCKET_NAME.test(v) ? undefined : 'must be an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)');
  const keyPrefix = (v: string) =>
    v.length > KEY_PREFIX_MAX ? `must be at most ${KEY_PREFIX_MAX} characters` : v.startsWith('/') || v.endsWith('/') ? 'must not start or end with "/"' : undefined;
  const logGroupName = (v: string) => (LOG_GROUP_NAME.test(v) ? undefined : 'must be a CloudWatch Logs log group name (1-512 of [.-_/#A-Za-z0-9])');
  const roleArn = (v: string) => (ROLE_ARN.test(v) && v.length <= ROLE_ARN_MAX ? undefined : 'must be an IAM role ARN');
  const nonEmpty = (v: string) => (v.length > 0 ? undefined : 'must not be empty');

  const s3Prefix = str(PROPERTY.s3KeyPrefix, keyPrefix);
  const largePrefix = str(PROPERTY.largeDataKeyPrefix, keyPrefix);
  const loggingConfig: LoggingConfig = {
    textDataDeliveryEnabled: bool(PROPERTY.textDataDeliveryEnabled),
    imageDataDeliveryEnabled: bool(PROPERTY.imageDataDeliveryEnabled),
    embeddingDataDeliveryEnabled: bool(PROPERTY.embeddingDataDeliveryEnabled),
    videoDataDeliveryEnabled: bool(PROPERTY.videoDataDeliveryEnabled),
    audioDataDeliveryEnabled: bool(PROPERTY.audioDataDeliveryEnabled),
    s3Config: {
      bucketName: str(PROPERTY.s3BucketName, bucketName),
      ...(s3Prefix ? { keyPrefix: s3Prefix } : {}),
    },
    cloudWatchConfig: {
      logGroupName: str(PROPERTY.logGroupName, logGroupName),
      roleArn: str(PROPERTY.roleArn, roleArn),
      // Bedrock rejects an empty largeDataDeliveryS3Config.bucketName, so the bucket is required.
      largeDataDeliveryS3Config: {
        bucketName: str(PROPERTY.largeDataBucketName, bucketName),
        ...(largePrefix ? { keyPrefix: largePrefix } : {}),
      },
    },
  };
  const disableLoggingOnDelete = bool(PROPERTY.disableLoggingOnDelete);
  const configHash = str(PROPERTY.configHash, nonEmpty);

  if (problems.length > 0) {
    throw new InvalidPropertiesError(`Invalid custom resource properties: ${problems.join('; ')}.`);
  }
  return { loggingConfig, disableLoggingOnDelete, configHash };
}

/**
 * Applies one CloudFormation request to the account's logging configuration.
 *
 * @example
 * const outcome = await applyLogging('Create', event.ResourceProperties, { client, log, propagationRetry });
 * // outcome.action === 'put'
 */
export async function applyLogging(requestType: RequestType, properties: unknown, deps: LogicDeps): Promise<Outcome> {
  if (requestType === RequestType.DELETE) {
    let settings: LoggingSettings;
    try {
      settings = parseProperties(properties);
    } catch (error) {
      // Properties that do not parse were never applied (Create and Update reject them first), so
      // there is nothing of this resource's to undo. Failing here would only block the rollback.
      deps.log.warn('Delete with invalid properties: nothing was applied with them, nothing to undo.', { error: errorText(error) });
      return { action: 'left-in-place', detail: 'invalid properties were never applied', data: {} };
    }
    return deleteLogging(settings, deps);
  }
  const settings = parseProperties(properties);
  return putLogging(settings, deps);
}

async function putLogging(settings: LoggingSettings, deps: LogicDeps): Promise<Outcome> {
  const previous = await send('GetModelInvocationLoggingConfiguration', () =>
    deps.client.send(new GetModelInvocationLoggingConfigurationCommand({}), { abortSignal: deps.abortSignal }),
  );
  // The previous setting is account-wide and about to be replaced: record it for the audit trail.
  deps.log.info('Replacing the account-wide model invocation logging configuration.', {
    previousLoggingConfig: previous.loggingConfig ?? null,
    loggingConfig: settings.loggingConfig,
    configHash: settings.configHash,
  });

  const { attempts, delayMs } = deps.propagationRetry;
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.client.send(new PutModelInvocationLoggingConfigurationCommand({ loggingConfig: settings.loggingConfig }), {
        abortSignal: deps.abortSignal,
      });
      break;
    } catch (error) {
      if (attempt < attempts && mayBePropagationDelay(error)) {
        deps.log.warn('Bedrock could not yet use the new permissions; retrying.', { attempt, attempts, error: errorText(error) });
        await (deps.sleep ?? sleep)(delayMs, deps.abortSignal);
        continue;
      }
      const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
      throw new InvocationLoggingError(`PutModelInvocationLoggingConfiguration failed${tries}: ${errorText(error)}`, { cause: error });
    }
  }
  return {
    action: 'put',
    detail: `logging to s3://${settings.loggingConfig.s3Config?.bucketName} and ${settings.loggingConfig.cloudWatchConfig?.logGroupName}`,
    data: { ConfigHash: settings.configHash, PreviouslyConfigured: String(previous.loggingConfig !== undefined) },
  };
}

async function deleteLogging(settings: LoggingSettings, deps: LogicDeps): Promise<Outcome> {
  if (!settings.disableLoggingOnDelete) {
    deps.log.info('Leaving the account-wide model invocation logging configuration in place (DisableLoggingOnDelete is false).');
    return { action: 'left-in-place', detail: 'DisableLoggingOnDelete is false', data: {} };
  }
  const current = await send('GetModelInvocationLoggingConfiguration', () =>
    deps.client.send(new GetModelInvocationLoggingConfigurationCommand({}), { abortSignal: deps.abortSignal }),
  );
  if (!isOwnConfiguration(current.loggingConfig, settings.loggingConfig)) {
    deps.log.warn('The account-wide configuration is not the one this resource put; leaving it in place.', {
      currentLoggingConfig: current.loggingConfig ?? null,
      ownLoggingConfig: settings.loggingConfig,
    });
    return { action: 'left-in-place', detail: current.loggingConfig ? 'configuration belongs to someone else' : 'no configuration', data: {} };
  }
  await send('DeleteModelInvocationLoggingConfiguration', () =>
    deps.client.send(new DeleteModelInvocationLoggingConfigurationCommand({}), { abortSignal: deps.abortSignal }),
  );
  deps.log.info('Deleted the account-wide model invocation logging configuration (DisableLoggingOnDelete is true).');
  return { action: 'deleted', detail: 'DisableLoggingOnDelete is true', data: {} };
}

/** Same destinations: the configuration this resource put (another writer would name its own). */
function isOwnConfiguration(current: LoggingConfig | undefined, own: LoggingConfig): boolean {
  return (
    current !== undefined &&
    current.s3Config?.bucketName === own.s3Config?.bucketName &&
    current.cloudWatchConfig?.logGroupName === own.cloudWatchConfig?.logGroupName
  );
}

/**
 * Bedrock test-writes to the destinations when the configuration is put. Right after the stack
 * created the role, the bucket policy or the handler's `iam:PassRole`, IAM may not have propagated
 * yet: Bedrock then answers `AccessDeniedException`, or `ValidationException` saying it could not
 * validate its permissions. Those are retried for a bounded time; anything else fails at once.
 */
function mayBePropagationDelay(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'AccessDeniedException') return true;
  return error.name === 'ValidationException' && /permission|access|assume|authoriz/i.test(error.message);
}

async function send<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new InvocationLoggingError(`${operation} failed: ${errorText(error)}`, { cause: error });
  }
}

/**
 * An AWS SDK error as one line: its name (the service's error code), message, HTTP status and
 * request id.
 *
 * @example errorText(err) // 'ValidationException: Failed to validate permissions (HTTP 400, request id abc)'
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const meta = (error as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
  const details = [
    meta?.httpStatusCode !== undefined ? `HTTP ${meta.httpStatusCode}` : undefined,
    meta?.requestId ? `request id ${meta.requestId}` : undefined,
  ].filter((d): d is string => d !== undefined);
  return `${error.name}: ${error.message || '(no message)'}${details.length ? ` (${details.join(', ')})` : ''}`;
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
