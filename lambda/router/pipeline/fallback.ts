/**
 * Stage: fallback along the route's chain. Each candidate target is tried in order (with its own
 * retries, invoke.ts); a target that fails with a retryable error (retries exhausted) or a
 * fallback-worthy one, or whose circuit is open, hands over to the next. A client error stops the
 * chain (the request is wrong for every target) — except an upstream that refuses the gateway's
 * own credentials or does not know the model (401/403/404), which is that target's misconfiguration,
 * not the client's: the next target is tried.
 *
 * When every target failed, the client gets one error that says what happened, never what the
 * upstream said: 429 when every failure was throttling (with Retry-After), 504 on a timeout, 503
 * when targets were unavailable, 502 otherwise.
 */
import {
  BadGatewayError, GatewayError, GatewayTimeoutError, InvalidRequestError, RateLimitError, ServiceUnavailableError, UpstreamError,
} from '../errors';
import { CircuitOpen, ClientGone, DeadlineExceeded, InvokeContext } from './invoke';
import { Candidate, RoutePlan } from './types';

const THROTTLING = new Set(['throttling', 'modelNotReady', 'quotaExceeded', 'rateLimited']);
const TIMEOUTS = new Set(['timeout', 'modelTimeout', 'connectTimeout', 'firstTokenTimeout']);
const UNAVAILABLE = new Set(['serviceUnavailable', 'connectionRefused', 'hostNotFound', 'network']);
/** Upstream statuses that say the gateway (not the client) is misconfigured for that target. */
const TARGET_CONFIG_STATUSES = new Set([401, 403, 404]);

export interface FallbackResult<T> {
  readonly result: T;
  readonly candidate: Candidate;
  /** Whether a target other than the route's first one serves. */
  readonly fallback: boolean;
}

/** Thrown when no target answered: the client's error, and the last target tried. */
export class ChainFailed extends Error {
  constructor(readonly error: GatewayError, readonly lastCandidate: Candidate | undefined) {
    super(error.message);
    this.name = 'ChainFailed';
  }
}

function isThrottling(e: UpstreamError): boolean {
  return THROTTLING.has(e.code) || e.upstreamStatus === 429;
}

function isTargetMisconfiguration(e: UpstreamError): boolean {
  return e.disposition === 'client' && e.upstreamStatus !== undefined && TARGET_CONFIG_STATUSES.has(e.upstreamStatus);
}

/** The client's error after every candidate failed. */
export function chainError(alias: string, errors: readonly UpstreamError[], circuitWaitsMs: readonly number[]): GatewayError {
  const last = errors[errors.length - 1];
  if (!last) {
    const wait = circuitWaitsMs.length > 0 ? Math.min(...circuitWaitsMs) : 1000;
    return new ServiceUnavailableError(`The model '${alias}' is temporarily unavailable; retry later.`, 'targets_unavailable', Math.max(1, wait / 1000));
  }
  if (errors.every(isThrottling)) {
    const hinted = errors.map((e) => e.retryAfterMs).filter((ms): ms is number => ms !== undefined);
    const seconds = hinted.length > 0 ? Math.max(...hinted) / 1000 : 1;
    return new RateLimitError(`The model '${alias}' is receiving too many requests; retry later.`, 'upstream_throttled', seconds);
  }
  if (TIMEOUTS.has(last.code)) {
    return new GatewayTimeoutError(`The model '${alias}' did not answer in time.`, 'upstream_timeout');
  }
  if (UNAVAILABLE.has(last.code) || last.upstreamStatus === 503) {
    return new ServiceUnavailableError(`The model '${alias}' is unavailable; retry later.`, 'upstream_unavailable', 1);
  }
  if (isTargetMisconfiguration(last)) {
    return new BadGatewayError(`The model '${alias}' is misconfigured on the gateway; contact its operators.`, 'upstream_configuration_error');
  }
  return new BadGatewayError(`The model '${alias}' failed to produce an answer.`, 'upstream_error');
}

/**
 * Runs `call` on each candidate in order until one succeeds.
 * Throws `ClientGone` when the client left, `ChainFailed` (carrying the client's error) otherwise.
 *
 * @example
 * const { result, candidate, fallback } = await runWithFallback(plan, ctx, (c) => completeOnTarget(c, request, ctx));
 */
export async function runWithFallback<T>(
  plan: RoutePlan, ctx: InvokeContext, call: (candidate: Candidate) => Promise<T>,
): Promise<FallbackResult<T>> {
  const errors: UpstreamError[] = [];
  const circuitWaits: number[] = [];
  let lastTried: Candidate | undefined;
  // A target skipped after the one that answers (a fallback without the tools capability, say)
  // does not make the answer a fallback; the route's first target not answering does.
  const fallbackFrom = (c: Candidate, index: number): boolean =>
    plan.primaryTargetId !== undefined ? c.config.id !== plan.primaryTargetId : index > 0 || plan.skipped.length > 0;
  for (const [index, candidate] of plan.candidates.entries()) {
    try {
      lastTried = candidate;
      const result = await call(candidate);
      return { result, candidate, fallback: fallbackFrom(candidate, index) };
    } catch (error) {
      if (error instanceof ClientGone) throw error;
      if (error instanceof DeadlineExceeded) {
        throw new ChainFailed(new GatewayTimeoutError(`The model '${plan.alias}' did not answer in time.`, 'upstream_timeout'), lastTried);
      }
      if (error instanceof CircuitOpen) {
        circuitWaits.push(ctx.breakers.retryAfterMs(candidate.breakerKey));
        continue;
      }
      if (error instanceof GatewayError) throw new ChainFailed(error, candidate);
      if (!(error instanceof UpstreamError)) throw error;
      if (error.disposition === 'client' && !isTargetMisconfiguration(error)) {
        throw new ChainFailed(new InvalidRequestError(
          `The model '${plan.alias}' rejected the request (${error.code}).`, 'upstream_rejected_request'), candidate);
      }
      errors.push(error);
    }
  }
  if (ctx.now() >= ctx.deadline && errors.length > 0) {
    throw new ChainFailed(new GatewayTimeoutError(`The model '${plan.alias}' did not answer in time.`, 'upstream_timeout'), lastTried);
  }
  throw new ChainFailed(chainError(plan.alias, errors, circuitWaits), lastTried);
}
