/** A pool of nodes as the scheduler sees them: their labels and taints. */
export interface NodePoolShape {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly taints: Array<{ key: string; value?: string; effect: string }>;
}

/** A pod as the scheduler sees its placement: node selector and tolerations. */
export interface PodShape {
  readonly name: string;
  readonly nodeSelector: Record<string, string>;
  readonly tolerations: Array<{ key?: string; operator?: string; value?: string; effect?: string }>;
}

function tolerates(pod: PodShape, taint: NodePoolShape['taints'][number]): boolean {
  return pod.tolerations.some((t) => {
    if (t.effect !== undefined && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return t.key === undefined || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/**
 * The pools on which a pod may be scheduled: every label its node selector names matches, and
 * every `NoSchedule`/`NoExecute` taint is tolerated (the scheduler's node selector and taint
 * filters; resources are not modelled).
 */
export function schedulableOn(pod: PodShape, pools: NodePoolShape[]): string[] {
  return pools.filter((pool) =>
    Object.entries(pod.nodeSelector).every(([k, v]) => pool.labels[k] === v)
    && pool.taints.filter((t) => t.effect !== 'PreferNoSchedule').every((t) => tolerates(pod, t)),
  ).map((p) => p.name);
}
