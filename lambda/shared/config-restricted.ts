/**
 * The restricted route's configuration: how the gateway admits restricted data. Referenced from
 * `GatewayConfig.restrictedData`; the per-tenant sensitivity floor (`TenantConfig.sensitivityFloor`)
 * and the per-route redaction (`RouteConfig.redactionGuardrail`) sit on their own types.
 */

/** How the gateway admits restricted data. */
export interface RestrictedDataPolicy {
  /**
   * Whether a restricted request needs an approval in force for its tenant and workflow (an
   * approver, a ticket, a reason and an expiry, granted with `cdk-ai-gateway approvals grant`).
   * A restricted request without one is refused (403 `approval_required`), and so is one without
   * a workflow hint. `AiGateway` turns it on when it creates its approvals table.
   * @default false
   */
  readonly requireApproval?: boolean;
}
