/**
 * The custom resource handler of `ModelInvocationLogging`: the only file that knows the
 * CloudFormation custom resource event and response shapes.
 *
 * A single function behind a plain `AWS::CloudFormation::CustomResource`, answering CloudFormation
 * itself: it PUTs the response document to the event's pre-signed `ResponseURL`. It always answers
 * before its deadline, SUCCESS or FAILED with the AWS error's name and message, so a stack never
 * waits for a timeout to learn that something went wrong.
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { Logger } from '@aws-lambda-powertools/logger';
import { applyLogging, errorText, InvocationLoggingError, physicalResourceId, RequestType, type Log, type Outcome, type PropagationRetry } from './logic';

/** The fields of a CloudFormation custom resource request this handler reads. */
export interface CustomResourceEvent {
  readonly RequestType: RequestType;
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceType?: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

/** The response document CloudFormation expects at the `ResponseURL`. */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly NoEcho?: boolean;
  readonly Data?: Readonly<Record<string, string>>;
}

/** The part of the Lambda context this handler uses. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

export interface HandlerDeps {
  readonly client: BedrockClient;
  readonly region: string;
  readonly log: Log & { error(message: string, extra?: Record<string, unknown>): void };
  readonly propagationRetry: PropagationRetry;
  /** Time kept back from the Lambda deadline to send the response. */
  readonly responseReserveMs: number;
  /** Attempts and per-attempt timeout of the response PUT. */
  readonly responseAttempts: number;
  readonly responseTimeoutMs: number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

// CloudFormation rejects a response document over 4096 bytes; keep the reason well inside it.
const MAX_REASON = 2000;

/**
 * Builds the handler around its dependencies (tests inject a client pointed at a loopback fake).
 *
 * @example
 * const handle = createHandler({ client, region: 'eu-west-1', log, propagationRetry: { attempts: 1, delayMs: 0 }, ... });
 * await handle(event, context);
 */
export function createHandler(deps: HandlerDeps): (event: unknown, context?: LambdaContext) => Promise<CustomResourceResponse> {
  return async (rawEvent, context) => {
    const event = guardEvent(rawEvent);
    const physicalId =
      event.RequestType === RequestType.CREATE ? physicalResourceId(deps.region) : (event.PhysicalResourceId ?? physicalResourceId(deps.region));
    // Never log the ResponseURL: its query string is a pre-signed credential.
    deps.log.info('Received request.', {
      requestType: event.RequestType,
      requestId: event.RequestId,
      logicalResourceId: event.LogicalResourceId,
      physicalResourceId: physicalId,
      stackId: event.StackId,
    });

    const deadline = new AbortController();
    const budgetMs = Math.max(0, (context?.getRemainingTimeInMillis() ?? Number.MAX_SAFE_INTEGER) - deps.responseReserveMs);
    const timer = setTimeout(() => deadline.abort(new Error(`the handler's deadline was reached after ${budgetMs} ms`)), Math.min(budgetMs, 2 ** 31 - 1));
    let response: CustomResourceResponse;
    try {
      const outcome: Outcome = await applyLogging(event.RequestType, event.ResourceProperties, {
        client: deps.client,
        log: deps.log,
        propagationRetry: deps.propagationRetry,
        abortSignal: deadline.signal,
        sleep: deps.sleep,
      });
      deps.log.info('Done.', { action: outcome.action, detail: outcome.detail });
      response = respond(event, physicalId, 'SUCCESS', `${outcome.action}: ${outcome.detail}`, outcome.data);
    } catch (error) {
      // Our own errors already name the operation and the AWS error; anything else is unexpected.
      const text = error instanceof InvocationLoggingError ? error.message : errorText(error);
      const reason = deadline.signal.aborted ? `Timed out: ${errorText(deadline.signal.reason)}; last error: ${text}` : text;
      deps.log.error('Failed.', { reason });
      response = respond(event, physicalId, 'FAILED', reason, {});
    } finally {
      clearTimeout(timer);
    }
    await sendResponse(event.ResponseURL, response, deps);
    return response;
  };
}

function respond(
  event: CustomResourceEvent,
  physicalId: string,
  status: CustomResourceResponse['Status'],
  reason: string,
  data: Readonly<Record<string, string>>,
): CustomResourceResponse {
  return {
    Status: status,
    Reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 3)}...` : reason,
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: data,
  };
}

/** Checks the event's shape before anything else reads it. Without a ResponseURL nobody can be told. */
function guardEvent(raw: unknown): CustomResourceEvent {
  if (typeof raw !== 'object' || raw === null) throw new TypeError('The event is not a CloudFormation custom resource request.');
  const e = raw as Record<string, unknown>;
  for (const field of ['ResponseURL', 'StackId', 'RequestId', 'LogicalResourceId'] as const) {
    if (typeof e[field] !== 'string' || e[field] === '') throw new TypeError(`The event has no ${field}; it is not a CloudFormation custom resource request.`);
  }
  if (!Object.values(RequestType).includes(e.RequestType as RequestType)) {
    throw new TypeError(`Unknown RequestType ${JSON.stringify(e.RequestType)}; expected Create, Update or Delete.`);
  }
  return raw as CustomResourceEvent;
}

/**
 * PUTs the response document to the pre-signed URL. The URL was signed without a content type, so
 * the request must send an empty one. Retried, because a lost response leaves the stack waiting.
 */
async function sendResponse(url: string, response: CustomResourceResponse, deps: HandlerDeps): Promise<void> {
  const body = JSON.stringify(response);
  for (let attempt = 1; ; attempt++) {
    try {
      const status = await put(url, body, deps.responseTimeoutMs);
      if (status >= 200 && status < 300) {
        deps.log.info('Response sent.', { status: response.Status, httpStatus: status });
        return;
      }
      throw new Error(`the response URL answered HTTP ${status}`);
    } catch (error) {
      if (attempt >= deps.responseAttempts) {
        deps.log.error('Could not send the response to CloudFormation.', { attempts: attempt, error: errorText(error) });
        throw error;
      }
      await (deps.sleep ?? defaultSleep)(250 * 2 ** attempt);
    }
  }
}

function put(url: string, body: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const options: RequestOptions = {
      method: 'PUT',
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
      timeout: timeoutMs,
    };
    const send = target.protocol === 'http:' ? httpRequest : httpsRequest;
    const req = send(target, options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from the response URL within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- The Lambda entry point: one client and logger per cold start. ---

// Explicit timeouts and attempts: the SDK retries throttling and 5xx itself (standard mode); the
// logic adds a bounded retry for IAM propagation. The Lambda timeout set by the construct covers
// the worst case of both plus the response.
const CLIENT_MAX_ATTEMPTS = 3;
const CONNECTION_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 15_000;
const PROPAGATION_RETRY: PropagationRetry = { attempts: 8, delayMs: 10_000 };

let defaultDeps: HandlerDeps | undefined;

function coldStart(): HandlerDeps {
  const region = process.env.AWS_REGION;
  if (!region) throw new Error('AWS_REGION is not set.');
  const logger = new Logger({ serviceName: 'bedrock-invocation-logging' });
  // Powertools takes extra keys as a rest argument; the logic passes one optional object.
  const log: HandlerDeps['log'] = {
    info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
    warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
    error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
  };
  return {
    client: new BedrockClient({
      region,
      maxAttempts: CLIENT_MAX_ATTEMPTS,
      requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
    }),
    region,
    log,
    propagationRetry: PROPAGATION_RETRY,
    responseReserveMs: 10_000,
    responseAttempts: 4,
    responseTimeoutMs: 5_000,
  };
}

/** The Lambda handler (`index.handler`). */
export async function handler(event: unknown, context?: LambdaContext): Promise<CustomResourceResponse> {
  defaultDeps ??= coldStart();
  return createHandler(defaultDeps)(event, context);
}
