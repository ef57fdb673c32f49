/**
 * The layout of the approvals table: which tenant × workflow may send restricted data, on whose
 * authority, until when. Shared by the construct that creates it (`lib/approvals/`), the router
 * that reads it (`lambda/router/approvals/`) and the CLI that writes it (`cli/approvals.ts`).
 * Dependency-free on purpose: `lib/` may import it.
 *
 * | item                | `pk`                         | `sk`                          | attributes |
 * |---------------------|------------------------------|-------------------------------|------------|
 * | an approval in force | `APPROVAL`                  | `<tenant>#<workflow>`         | `tenantId`, `workflow`, `approver`, `account`, `ticket`, `reason`, `grantedAt`, `expiresAt` |
 * | a history entry     | `HISTORY`                    | `<ISO 8601 time>#<random id>` | `action` (`grant`/`revoke`) and the same attributes |
 *
 * The router reads the approvals in force with one Query on `pk = APPROVAL` (its role may read
 * nothing else) and admits a restricted request only while its tenant × workflow has one whose
 * `expiresAt` is in the future. The CLI writes an approval and its history entry in one
 * transaction; the history entry only if no item has its key (never overwritten).
 */

/** Attribute names. */
export const APPROVAL_ATTRIBUTES = {
  pk: 'pk',
  sk: 'sk',
  tenantId: 'tenantId',
  workflow: 'workflow',
  /** The approver's IAM ARN (STS GetCallerIdentity), or `local:<user>` in local mode. */
  approver: 'approver',
  account: 'account',
  /** The change or risk ticket that records the decision (`RISK-1234`). */
  ticket: 'ticket',
  reason: 'reason',
  /** ISO 8601. */
  grantedAt: 'grantedAt',
  /** ISO 8601: the approval lapses at this time. */
  expiresAt: 'expiresAt',
  /** ISO 8601 time of a history entry's action. */
  at: 'at',
  action: 'action',
} as const;

/** Partition key values. */
export const APPROVAL_PARTITIONS = { active: 'APPROVAL', history: 'HISTORY' } as const;

/** What an approver did, in a history entry. */
export const APPROVAL_ACTIONS = { grant: 'grant', revoke: 'revoke' } as const;
export type ApprovalAction = (typeof APPROVAL_ACTIONS)[keyof typeof APPROVAL_ACTIONS];

/** Environment of the router: the table's name, and how long it keeps the approvals it read. */
export const APPROVALS_ENV = {
  tableName: 'GATEWAY_APPROVALS_TABLE',
  cacheSeconds: 'GATEWAY_APPROVALS_CACHE_SECONDS',
} as const;

/** The longest the router keeps approvals before it reads them again, in seconds. */
export const MAX_APPROVALS_CACHE_SECONDS = 30;

/** The longest an approval may run, in days: approvals are reviewed at least yearly. */
export const MAX_APPROVAL_DAYS = 366;

/** Ticket references: letters, digits and `._:/#-`, 2 to 64 characters. */
export const APPROVAL_TICKET_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:/#-]{1,63}$';

/** The fewest characters of a reason (a reviewer must be able to read why). */
export const MIN_APPROVAL_REASON_CHARS = 20;

/** One approval in force. */
export interface ApprovalEntry {
  readonly tenantId: string;
  readonly workflow: string;
  readonly approver: string;
  readonly ticket: string;
  readonly reason: string;
  /** ISO 8601. */
  readonly grantedAt: string;
  /** ISO 8601. */
  readonly expiresAt: string;
}

/** The sort key of an approval in force. */
export function approvalSortKey(tenantId: string, workflow: string): string {
  return `${tenantId}#${workflow}`;
}

/**
 * The problem with an approval's reason, or undefined when it is acceptable: at least
 * `MIN_APPROVAL_REASON_CHARS` characters and three words.
 */
export function approvalReasonProblem(reason: string): string | undefined {
  const trimmed = reason.trim();
  if (trimmed.length < MIN_APPROVAL_REASON_CHARS || trimmed.split(/\s+/).length < 3) {
    return `a reason of at least ${MIN_APPROVAL_REASON_CHARS} characters and three words, saying why this workflow may process restricted data`;
  }
  return undefined;
}
