import { GovernanceEvidence } from '../governance-controls';

/** How many resources of the templates show `evidence` (its type, with its property path present). */
export function countEvidence(templates: readonly unknown[], evidence: GovernanceEvidence): number {
  let count = 0;
  for (const template of templates) {
    const resources = (template as { Resources?: Record<string, { Type?: string; Properties?: unknown }> }).Resources ?? {};
    for (const resource of Object.values(resources)) {
      if (resource.Type !== evidence.resourceType) continue;
      if (evidence.property === undefined || hasPath(resource.Properties, evidence.property.split('.'))) count += 1;
    }
  }
  return count;
}

function hasPath(value: unknown, path: readonly string[]): boolean {
  if (path.length === 0) return value !== undefined && value !== null;
  if (typeof value !== 'object' || value === null) return false;
  return hasPath((value as Record<string, unknown>)[path[0]], path.slice(1));
}
