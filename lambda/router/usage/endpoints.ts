/**
 * Stage: the usage endpoints' requests and answers. `POST /v1/feedback` attaches a score and an
 * optional comment to one of the caller's own requests; `GET /v1/usage` reads the caller's own
 * usage of a month (`?month=YYYY-MM`, the default being the current month) or a day
 * (`?day=YYYY-MM-DD`), a page of aggregates at a time (`?limit=N`, default 100, at most 1000;
 * `?cursor=` the `next_cursor` of the previous page, an opaque string). The tenant always comes
 * from the credentials, never from the request.
 */
import { InvalidRequestError, PayloadTooLargeError } from '../errors';
import { BodyError } from '../http';
import { formatUsd } from '../pipeline/respond';
import { utcMonth } from '../../shared/usage-table-schema';
import { PeriodUsage, UsageAggregate, UsageCounters, UsagePage, UsagePageRequest } from './store';

/** Aggregates per `GET /v1/usage` page unless `limit` says otherwise, and the most a page may hold. */
export const USAGE_PAGE_LIMIT = { default: 100, max: 1000 } as const;
const CURSOR = /^[A-Za-z0-9_-]{1,2048}$/;

/** The largest feedback body accepted, in bytes. */
export const MAX_FEEDBACK_BYTES = 8192;
/** The longest comment accepted, in characters. */
export const MAX_FEEDBACK_COMMENT_CHARS = 2000;
/** Scores run from -10 to 10 (a thumbs up/down is 1/-1; star ratings fit as they are). */
export const FEEDBACK_SCORE_RANGE = { min: -10, max: 10 } as const;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const USER_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const DAY = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** A parsed `POST /v1/feedback` body. */
export interface FeedbackRequest {
  readonly requestId: string;
  readonly score: number;
  readonly comment?: string;
  readonly userId?: string;
}

function bad(message: string, param: string, code = 'invalid_value'): InvalidRequestError {
  return new InvalidRequestError(message, code, param);
}

/**
 * Parses a feedback body: `{"request_id": "...", "score": 1, "comment": "...", "user": "..."}`.
 *
 * @example
 * parseFeedback(Buffer.from('{"request_id":"abc","score":1}'), undefined) // { requestId: 'abc', score: 1 }
 */
export function parseFeedback(body: Uint8Array, bodyError: BodyError | undefined): FeedbackRequest {
  if (bodyError !== undefined || body.byteLength > MAX_FEEDBACK_BYTES) {
    throw new PayloadTooLargeError(`A feedback body may have at most ${MAX_FEEDBACK_BYTES} bytes.`, 'request_too_large');
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw bad('The request body is not valid UTF-8 JSON.', 'body', 'invalid_json');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('The request body must be a JSON object.', 'body', 'invalid_type');
  const o = json as Record<string, unknown>;
  const known = new Set(['request_id', 'score', 'comment', 'user']);
  const unknown = Object.keys(o).find((k) => !known.has(k));
  if (unknown !== undefined) throw bad(`Unknown field '${unknown.slice(0, 40)}'; allowed: request_id, score, comment, user.`, unknown.slice(0, 40), 'unknown_parameter');
  if (typeof o.request_id !== 'string' || !REQUEST_ID.test(o.request_id)) {
    throw bad("'request_id' must be the x-request-id of one of your requests (1 to 128 of A-Z a-z 0-9 . _ : -).", 'request_id');
  }
  if (typeof o.score !== 'number' || !Number.isFinite(o.score) || o.score < FEEDBACK_SCORE_RANGE.min || o.score > FEEDBACK_SCORE_RANGE.max) {
    throw bad(`'score' must be a number from ${FEEDBACK_SCORE_RANGE.min} to ${FEEDBACK_SCORE_RANGE.max}.`, 'score');
  }
  if (o.comment !== undefined && (typeof o.comment !== 'string' || o.comment.length > MAX_FEEDBACK_COMMENT_CHARS)) {
    throw bad(`'comment' must be a string of at most ${MAX_FEEDBACK_COMMENT_CHARS} characters.`, 'comment');
  }
  if (o.user !== undefined && (typeof o.user !== 'string' || !USER_ID.test(o.user))) {
    throw bad("'user' must be an opaque user id (1 to 128 of A-Z a-z 0-9 . _ : @ / + = -).", 'user');
  }
  return {
    requestId: o.request_id,
    score: o.score,
    ...(typeof o.comment === 'string' && o.comment.length > 0 ? { comment: o.comment } : {}),
    ...(typeof o.user === 'string' ? { userId: o.user } : {}),
  };
}

/** The period and page of a `GET /v1/usage` request. */
export interface UsagePeriod {
  readonly granularity: 'month' | 'day';
  readonly period: string;
  readonly page: UsagePageRequest;
}

/** The opaque cursor of a page that ends at aggregate sort key `sk`. */
export function encodeUsageCursor(sk: string): string {
  return Buffer.from(sk, 'utf8').toString('base64url');
}

function decodeUsageCursor(cursor: string): string {
  const sk = CURSOR.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!sk.startsWith('AGG#') || encodeUsageCursor(sk) !== cursor) {
    throw bad("'cursor' must be the next_cursor of a previous page of this endpoint, unchanged.", 'cursor');
  }
  return sk;
}

function parsePage(q: Readonly<Record<string, string>>): UsagePageRequest {
  let limit: number = USAGE_PAGE_LIMIT.default;
  if (q.limit !== undefined) {
    limit = /^\d{1,4}$/.test(q.limit) ? Number(q.limit) : NaN;
    if (!(limit >= 1 && limit <= USAGE_PAGE_LIMIT.max)) {
      throw bad(`'limit' must be an integer from 1 to ${USAGE_PAGE_LIMIT.max}, received '${q.limit.slice(0, 20)}'.`, 'limit');
    }
  }
  return { limit, ...(q.cursor !== undefined ? { cursor: decodeUsageCursor(q.cursor) } : {}) };
}

/**
 * Reads `?month=YYYY-MM` or `?day=YYYY-MM-DD` (not both; the current UTC month by default), and
 * the page: `limit` and `cursor`.
 *
 * @example
 * parseUsagePeriod({ month: '2026-11' }, Date.now()) // { granularity: 'month', period: '2026-11', page: { limit: 100 } }
 */
export function parseUsagePeriod(query: Readonly<Record<string, string>> | undefined, now: number): UsagePeriod {
  const q = query ?? {};
  const allowed = ['month', 'day', 'limit', 'cursor'];
  const unknown = Object.keys(q).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw bad(`Unknown query parameter '${unknown.slice(0, 40)}'; allowed: ${allowed.join(', ')}.`, unknown.slice(0, 40), 'unknown_parameter');
  const page = parsePage(q);
  if (q.month !== undefined && q.day !== undefined) throw bad("Give either 'month' or 'day', not both.", 'month');
  if (q.day !== undefined) {
    const m = DAY.exec(q.day);
    const valid = m !== null && new Date(`${q.day}T00:00:00Z`).toISOString().slice(0, 10) === q.day;
    if (!valid) throw bad(`'day' must be a date as YYYY-MM-DD, received '${q.day.slice(0, 20)}'.`, 'day');
    return { granularity: 'day', period: q.day, page };
  }
  if (q.month !== undefined) {
    if (!MONTH.test(q.month)) throw bad(`'month' must be a month as YYYY-MM, received '${q.month.slice(0, 20)}'.`, 'month');
    return { granularity: 'month', period: q.month, page };
  }
  return { granularity: 'month', period: utcMonth(now), page };
}

function counters(c: UsageCounters): Record<string, number | string> {
  return {
    requests: c.requests,
    errors: c.errors,
    rejections: c.rejections,
    input_tokens: c.inputTokens,
    output_tokens: c.outputTokens,
    cache_read_input_tokens: c.cacheReadInputTokens,
    cache_write_input_tokens: c.cacheWriteInputTokens,
    cost_usd: formatUsd(c.costUsd),
    waste_usd: formatUsd(c.wasteUsd),
    waste_input_tokens: c.wasteInputTokens,
    waste_output_tokens: c.wasteOutputTokens,
    abandoned: c.abandoned,
    feedback_count: c.feedbackCount,
    ...(c.feedbackCount > 0 ? { feedback_score_mean: Math.round((c.feedbackScoreSum / c.feedbackCount) * 1000) / 1000 } : {}),
  };
}

function group(aggregates: readonly UsageAggregate[], dimension: string, key: string): Record<string, number | string>[] {
  return aggregates.filter((a) => a.dimension === dimension)
    .sort((a, b) => b.costUsd - a.costUsd || a.value.localeCompare(b.value))
    .map((a) => ({ [key]: a.value, ...counters(a) }));
}

/**
 * The JSON answer of `GET /v1/usage` (snake case, like the OpenAI shapes; costs as decimal
 * strings): the period's totals and budget on every page, this page's aggregates by dimension,
 * `has_more`, and `next_cursor` when there is a next page.
 */
export function usageResponseBody(usage: PeriodUsage & UsagePage): Record<string, unknown> {
  return {
    object: 'usage',
    tenant: usage.tenantId,
    [usage.granularity]: usage.period,
    totals: counters(usage.totals),
    by_workflow: group(usage.aggregates, 'WORKFLOW', 'workflow'),
    by_route: group(usage.aggregates, 'ROUTE', 'route'),
    by_model: group(usage.aggregates, 'MODEL', 'model'),
    by_prompt: group(usage.aggregates, 'PROMPT', 'prompt'),
    ...(usage.budget ? {
      budget: {
        ...(usage.budget.limitUsd !== undefined ? { limit_usd: formatUsd(usage.budget.limitUsd) } : {}),
        spent_usd: formatUsd(usage.budget.spentUsd),
        reserved_usd: formatUsd(usage.budget.reservedUsd),
      },
    } : {}),
    has_more: usage.nextCursor !== undefined,
    ...(usage.nextCursor !== undefined ? { next_cursor: encodeUsageCursor(usage.nextCursor) } : {}),
  };
}
