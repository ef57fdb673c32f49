/**
 * What the gateway's usage endpoints read and write, without the DynamoDB client: the gateway
 * imports these types, so a router without a usage table never loads the AWS SDK's DynamoDB code.
 */
import { USAGE_COUNTERS } from '../../shared/usage-table-schema';

/** The counters of one aggregate. */
export type UsageCounters = Record<(typeof USAGE_COUNTERS)[number], number>;

/** One aggregate of a period: a dimension (`TOTAL`, `WORKFLOW`, …), its value, its counters. */
export interface UsageAggregate extends UsageCounters {
  readonly dimension: string;
  readonly value: string;
}

/** A period's budget state. */
export interface BudgetState {
  readonly limitUsd?: number;
  readonly spentUsd: number;
  readonly reservedUsd: number;
}

/** What `GET /v1/usage` and the `usage` CLI read: one period of one tenant. */
export interface PeriodUsage {
  readonly tenantId: string;
  readonly granularity: 'month' | 'day';
  /** `YYYY-MM` or `YYYY-MM-DD`. */
  readonly period: string;
  readonly totals: UsageCounters;
  readonly aggregates: readonly UsageAggregate[];
  readonly budget?: BudgetState;
}

/** A user's feedback on one request. */
export interface Feedback {
  readonly tenantId: string;
  readonly requestId: string;
  /** Between -10 and 10. */
  readonly score: number;
  readonly comment?: string;
  readonly userId?: string;
  /** Epoch ms. */
  readonly at: number;
}

/**
 * What recorded feedback was counted under (the rated request's workflow and prompt version as
 * the ledger's aggregates hold them), for the feedback request's log line.
 */
export interface FeedbackAttribution {
  /** The workflow aggregate value (`-` for none, `other` beyond the cap). */
  readonly workflow: string;
  /** The prompt aggregate value, `<id>@<version>` (`-` for none). */
  readonly prompt: string;
}

/** Why feedback was not recorded. */
export enum FeedbackRefusal {
  /** The tenant has no request with this id (or its record has expired). */
  UNKNOWN_REQUEST = 'unknown_request',
  /** The request already has feedback. */
  ALREADY_GIVEN = 'already_given',
}

/** A page of a period's aggregates to read. */
export interface UsagePageRequest {
  /** Aggregate items to read at most (the totals item among them is not listed). */
  readonly limit: number;
  /** Where the previous page ended (its `nextCursor`). @default the first page */
  readonly cursor?: string;
}

/** Where the next page starts, when there is one. */
export interface UsagePage {
  readonly nextCursor?: string;
}

/** The ledger's reads and writes besides recording (the endpoints use these). */
export interface UsageStore {
  /** Attaches feedback; resolves to a refusal reason, or (recorded) what it was counted under, or undefined. */
  recordFeedback(feedback: Feedback): Promise<FeedbackRefusal | FeedbackAttribution | undefined>;
  /** One tenant's usage of a month or a day: every aggregate, or one page of them. */
  readUsage(tenantId: string, granularity: 'month' | 'day', period: string, page?: UsagePageRequest): Promise<PeriodUsage & UsagePage>;
}
