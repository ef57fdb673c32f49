/**
 * The restricted route's cross-checks: a tenant's sensitivity floor against its clearance and
 * default, and TLS on every target of a restricted route. Called from `crossCheck`.
 */
import { RouteConfig, Sensitivity, TargetConfig, TargetKind, TenantConfig } from './config';
import { sensitivityAbove } from './defaults';

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Whether a URL is reached over TLS, or stays on the host: `https://`, or `http://` to a loopback
 * address (local mode and its tests; traffic to it never leaves the machine).
 */
export function isTlsOrLoopbackUrl(url: string): boolean {
  const match = /^(https?):\/\/(\[[^\]]+\]|[^/:?#]+)/i.exec(url);
  if (!match) return false;
  return match[1].toLowerCase() === 'https' || LOOPBACK_HOST.test(match[2]);
}

/** A tenant's `sensitivityFloor` may not exceed its clearance, nor sit above its explicit default. */
export function checkSensitivityFloor(t: TenantConfig, at: string, clearance: Sensitivity, issues: string[]): void {
  if (t.sensitivityFloor === undefined) return;
  if (sensitivityAbove(t.sensitivityFloor, clearance)) {
    issues.push(`${at}.sensitivityFloor: '${t.sensitivityFloor}' is above the tenant's sensitivityClearance '${clearance}', `
      + 'so every request of the tenant would be refused; raise the clearance or lower the floor');
  }
  if (t.defaultSensitivity !== undefined && sensitivityAbove(t.sensitivityFloor, t.defaultSensitivity)) {
    issues.push(`${at}.defaultSensitivity: '${t.defaultSensitivity}' is below the tenant's sensitivityFloor '${t.sensitivityFloor}'; `
      + 'set it to the floor or above, or leave it out (it then defaults to the floor)');
  }
}

/**
 * Every target of a restricted route is reached over TLS: Bedrock (HTTPS, and an `endpoint`
 * override must be https too) or an OpenAI-compatible target with an https `baseUrl`.
 */
export function checkRestrictedTransport(r: RouteConfig, i: number, targets: ReadonlyMap<string, TargetConfig>, issues: string[]): void {
  r.targets.forEach((targetId, j) => {
    const target = targets.get(targetId);
    if (!target) return;
    const url = target.kind === TargetKind.OPENAI_COMPATIBLE ? target.baseUrl : target.endpoint;
    if (url !== undefined && !isTlsOrLoopbackUrl(url)) {
      const field = target.kind === TargetKind.OPENAI_COMPATIBLE ? 'baseUrl' : 'endpoint';
      issues.push(`routes[${i}].targets[${j}]: route '${r.alias}' is restrictedAllowed, so its targets must be reached over TLS, `
        + `but target '${targetId}' has ${field} '${url}'; use an https ${field} (for a self-hosted model, a PrivateModelEndpoint with a certificate)`);
    }
  });
}
