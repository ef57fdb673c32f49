/**
 * Stage: approval of restricted data. With `restrictedData.requireApproval`, a restricted request
 * is admitted only when its tenant × workflow has an approval in force (granted with
 * `cdk-ai-gateway approvals grant`, not yet expired or revoked); otherwise 403
 * `approval_required`, naming what to ask for. A restricted request without a workflow hint is
 * refused the same way: approvals are per workflow.
 */
import { Sensitivity } from '../../shared/config';
import { ResolvedGatewayConfig } from '../../shared/defaults';
import { ApprovalEntry } from '../../shared/approvals-schema';
import { ApprovalSet, approvalValidAt, CachedApprovals } from '../approvals/approval-set';
import { PermissionDeniedError } from '../errors';
import { HINTS } from './hints';
import { PolicyDecision, RoutingHints, TenantContext } from './types';

function grantCommand(tenantId: string, workflow: string): string {
  return `cdk-ai-gateway approvals grant --tenant ${tenantId} --workflow ${workflow} --ticket <ticket> --reason "<why>" --expires-in-days <days>`;
}

/** The 403 for a restricted request without a valid approval. */
export function approvalRequired(tenantId: string, workflow: string | undefined, expiredAt?: string): PermissionDeniedError {
  if (workflow === undefined) {
    return new PermissionDeniedError(
      `Restricted data needs an approval for this tenant ('${tenantId}') and a workflow: send the workflow hint `
      + `(${HINTS.workflow.header} or metadata.${HINTS.workflow.metadata}) of an approved workflow.`,
      'approval_required', HINTS.workflow.metadata);
  }
  const state = expiredAt !== undefined ? `its approval expired at ${expiredAt}` : 'it has no approval in force';
  return new PermissionDeniedError(
    `Restricted data is not approved for tenant '${tenantId}' and workflow '${workflow}' (${state}). Ask an approver for `
    + `an approval of sensitivity 'restricted' for this tenant and workflow: ${grantCommand(tenantId, workflow)}.`,
    'approval_required', HINTS.workflow.metadata);
}

/**
 * The approval stage of a gateway: `check` is the one call the gateway makes, after tenant policy.
 */
export class ApprovalStage {
  constructor(
    private readonly config: ResolvedGatewayConfig,
    private readonly approvals: CachedApprovals | undefined,
    private readonly now: () => number,
  ) {}

  /** Whether a request with this policy needs an approval. */
  applies(policy: PolicyDecision): boolean {
    return policy.sensitivity === Sensitivity.RESTRICTED && this.config.restrictedData.requireApproval;
  }

  /**
   * The approval that admits this request, undefined when none is needed; throws 403
   * `approval_required` when one is needed and none is valid.
   *
   * @example
   * trace.approval = await approvals.check(tenant, hints, policy);
   */
  async check(tenant: TenantContext, hints: RoutingHints, policy: PolicyDecision): Promise<ApprovalEntry | undefined> {
    if (!this.applies(policy)) return undefined;
    if (hints.workflow === undefined) throw approvalRequired(tenant.tenantId, undefined);
    const set = this.approvals ? await this.approvals.get() : ApprovalSet.EMPTY;
    const entry = set.get(tenant.tenantId, hints.workflow);
    if (entry === undefined) throw approvalRequired(tenant.tenantId, hints.workflow);
    if (!approvalValidAt(entry, this.now())) throw approvalRequired(tenant.tenantId, hints.workflow, entry.expiresAt);
    return entry;
  }
}
