/**
 * Approvals in local mode: a JSON file (`cdk-ai-gateway serve --approvals FILE`), written by
 * `cdk-ai-gateway approvals … --file FILE` and read again at most every cache period.
 *
 * `{ "approvals": [{ tenantId, workflow, approver, ticket, reason, grantedAt, expiresAt }], "history": [...] }`;
 * a missing file means no approvals.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ApprovalAction, ApprovalEntry } from '../../shared/approvals-schema';
import { SnapshotLoader } from '../reliability/cached-snapshot';
import { isApprovalEntry } from './approval-set';

/** One line of an approvals file's history. */
export interface ApprovalHistoryEntry extends ApprovalEntry {
  readonly action: ApprovalAction;
  /** ISO 8601 time of the action. */
  readonly at: string;
}

/** The document of an approvals file. */
export interface ApprovalsFile {
  readonly approvals: ApprovalEntry[];
  readonly history: ApprovalHistoryEntry[];
}

/** Reads an approvals file; a missing file is an empty one. Throws on a malformed file. */
export function readApprovalsFile(path: string): ApprovalsFile {
  if (!existsSync(path)) return { approvals: [], history: [] };
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const doc = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { approvals?: unknown; history?: unknown };
  if (!Array.isArray(doc.approvals) || (doc.history !== undefined && !Array.isArray(doc.history))) {
    throw new Error(`${path}: expected {"approvals": [...], "history": [...]}`);
  }
  return { approvals: doc.approvals.filter(isApprovalEntry), history: (doc.history ?? []) as ApprovalHistoryEntry[] };
}

export class FileApprovalsLoader implements SnapshotLoader<readonly ApprovalEntry[]> {
  constructor(private readonly path: string) {}

  async load(): Promise<readonly ApprovalEntry[]> {
    return readApprovalsFile(this.path).approvals;
  }
}
