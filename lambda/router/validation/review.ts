/**
 * Human escalation: flagged and rejected answers become review items. The item names the request,
 * tenant, workflow, route, prompt version, validator and rule; the answer itself travels only when
 * the request's sensitivity allows it (`REVIEW_CONTENT_SENSITIVITIES`), and the failure detail
 * (which may echo names from the answer) with it.
 */
import { REVIEW_CONTENT_SENSITIVITIES, ReviewStatus } from '../../shared/review-table-schema';

/** What a review is about. */
export interface ReviewItem {
  readonly reviewId: string;
  readonly requestId: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly status: ReviewStatus;
  readonly tenantId: string;
  readonly workflow?: string;
  readonly route: string;
  readonly promptId?: string;
  readonly promptVersion?: string;
  readonly sensitivity: string;
  /** `flagged` (the client got the answer, marked) or `rejected` (the client got 422). */
  readonly action: string;
  readonly validator: string;
  readonly rule: string;
  /** The failure detail, only when the content may be kept. */
  readonly detail?: string;
  /** Where the answer is kept (`s3://…` or a local file), only when the content may be kept. */
  readonly contentLocation?: string;
  readonly resolvedBy?: string;
  readonly resolvedAt?: string;
  readonly note?: string;
}

/** A review as the router submits it: the item, and the answer when it may be kept. */
export interface ReviewSubmission {
  readonly item: ReviewItem;
  readonly content?: string;
}

/** Where the router sends reviews. `submit` may throw; the router logs it and answers anyway. */
export interface ReviewSink {
  submit(submission: ReviewSubmission): Promise<void>;
}

/** Where the CLI reads and resolves reviews. */
export interface ReviewStore {
  list(status?: ReviewStatus, limit?: number): Promise<ReviewItem[]>;
  /** Resolves an open review; false when there is no open review with that id. */
  resolve(reviewId: string, resolvedBy: string, note: string, at: Date): Promise<boolean>;
}

/** Whether the answer of a request of `sensitivity` may be kept for review. */
export function contentAllowed(sensitivity: string): boolean {
  return REVIEW_CONTENT_SENSITIVITIES.includes(sensitivity);
}

/**
 * The submission for a failed answer: the content and the detail only when the sensitivity allows.
 *
 * @example
 * await sink.submit(reviewSubmission({ ...fields }, answer.text, violation.detail));
 */
export function reviewSubmission(
  item: Omit<ReviewItem, 'status' | 'detail' | 'contentLocation' | 'reviewId'>, content: string, detail: string,
): ReviewSubmission {
  const base: ReviewItem = { reviewId: item.requestId, status: ReviewStatus.OPEN, ...item };
  if (!contentAllowed(item.sensitivity)) return { item: base };
  return { item: { ...base, detail }, content };
}
