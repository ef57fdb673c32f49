/**
 * The approvals in force, as the router holds them between reads: by tenant × workflow, each
 * valid until its `expiresAt` (checked against the request's clock, not the read's).
 */
import { ApprovalEntry, approvalSortKey, MAX_APPROVALS_CACHE_SECONDS } from '../../shared/approvals-schema';
import { CachedSnapshot, CachedSnapshotOptions, SnapshotLoader } from '../reliability/cached-snapshot';

export class ApprovalSet {
  static readonly EMPTY = new ApprovalSet([]);
  private readonly byKey = new Map<string, ApprovalEntry>();

  constructor(readonly entries: readonly ApprovalEntry[]) {
    for (const entry of entries) this.byKey.set(approvalSortKey(entry.tenantId, entry.workflow), entry);
  }

  /** The approval of `tenantId` × `workflow`, whether or not it is still valid. */
  get(tenantId: string, workflow: string): ApprovalEntry | undefined {
    return this.byKey.get(approvalSortKey(tenantId, workflow));
  }
}

/** Whether `entry` is valid at `nowMs` (strictly before its expiry). */
export function approvalValidAt(entry: ApprovalEntry, nowMs: number): boolean {
  const expires = Date.parse(entry.expiresAt);
  return Number.isFinite(expires) && nowMs < expires;
}

/** Whether `value` has the shape of an approval entry. */
export function isApprovalEntry(value: unknown): value is ApprovalEntry {
  const e = value as Partial<Record<keyof ApprovalEntry, unknown>> | null;
  return e !== null && typeof e === 'object'
    && (['tenantId', 'workflow', 'approver', 'ticket', 'reason', 'grantedAt', 'expiresAt'] as const).every((k) => typeof e[k] === 'string' && e[k] !== '');
}

/**
 * The approvals of one router process, read through `loader` at most every `cacheMs` (30 s at
 * most). A failed read keeps the last approvals read (expiries still apply); a router that has
 * never read them admits no restricted request.
 */
export class CachedApprovals extends CachedSnapshot<ApprovalSet> {
  constructor(loader: SnapshotLoader<readonly ApprovalEntry[]>, options: CachedSnapshotOptions = {}) {
    super({ load: async () => new ApprovalSet(await loader.load()) }, {
      empty: ApprovalSet.EMPTY,
      maxCacheMs: MAX_APPROVALS_CACHE_SECONDS * 1000,
      unavailable: 'approvals unavailable',
      keptLast: 'last approvals read',
      keptNone: 'none (restricted requests are refused)',
    }, options);
  }
}
