/**
 * How the self-hosted constructs place pods: one definition, so that taints, tolerations and node
 * selectors cannot drift apart between the node groups, Karpenter pools and workloads.
 */

/** A Kubernetes taint / toleration triple. */
export interface NodeTaint {
  /** The taint key. */
  readonly key: string;
  /** The taint value. */
  readonly value: string;
  /** `NoSchedule`, `PreferNoSchedule` or `NoExecute`. */
  readonly effect: string;
}

/** A Kubernetes toleration as pod specs and Helm values spell it. */
export interface PodToleration {
  /** The taint key. */
  readonly key: string;
  /** `Equal` or `Exists`. */
  readonly operator: string;
  /** The taint value (with `Equal`). */
  readonly value?: string;
  /** The taint effect tolerated. */
  readonly effect?: string;
}

/** Where a cluster service's pods go: the node selector and tolerations of its pod spec or chart values. */
export interface PodPlacement {
  /** The pods' `nodeSelector`. */
  readonly nodeSelector: { [key: string]: string };
  /** The pods' `tolerations`. */
  readonly tolerations: PodToleration[];
}

/**
 * The node labels, taints and resources the self-hosted constructs use, as static members so that
 * every jsii language sees them.
 */
export class NodeScheduling {
  /** The node label that says what a node is for. */
  public static readonly NODE_ROLE_LABEL = 'cdk-ai-gateway.io/node-role';
  /** `NODE_ROLE_LABEL` on the system node group (Karpenter, KEDA, controllers, CoreDNS). */
  public static readonly SYSTEM_NODE_ROLE = 'system';
  /** `NODE_ROLE_LABEL` on GPU nodes, managed node group and Karpenter pools alike. */
  public static readonly GPU_NODE_ROLE = 'gpu';
  /**
   * The taint on every GPU node (the NVIDIA convention), so only pods that tolerate it — model
   * servers and the device plugin — land on GPU capacity.
   */
  public static readonly GPU_TAINT: NodeTaint = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' };
  /** The extended resource a GPU pod requests. */
  public static readonly GPU_RESOURCE = 'nvidia.com/gpu';
  /**
   * The key of the `NoSchedule` taint on EKS Auto Mode's built-in `system` node pool, which is
   * meant for critical add-ons (its nodes carry no `NODE_ROLE_LABEL`).
   */
  public static readonly AUTO_MODE_SYSTEM_TAINT_KEY = 'CriticalAddonsOnly';
}

/** See `NodeScheduling.NODE_ROLE_LABEL`. */
export const NODE_ROLE_LABEL = NodeScheduling.NODE_ROLE_LABEL;
/** See `NodeScheduling.SYSTEM_NODE_ROLE`. */
export const SYSTEM_NODE_ROLE = NodeScheduling.SYSTEM_NODE_ROLE;
/** See `NodeScheduling.GPU_NODE_ROLE`. */
export const GPU_NODE_ROLE = NodeScheduling.GPU_NODE_ROLE;
/** See `NodeScheduling.GPU_TAINT`. */
export const GPU_TAINT: NodeTaint = NodeScheduling.GPU_TAINT;
/** See `NodeScheduling.GPU_RESOURCE`. */
export const GPU_RESOURCE = NodeScheduling.GPU_RESOURCE;

/** The node selector for cluster services that must run on the system nodes (self-managed Karpenter mode). */
export function systemNodeSelector(): { [key: string]: string } {
  return { [NODE_ROLE_LABEL]: SYSTEM_NODE_ROLE };
}

/**
 * Where cluster services (KEDA, the load balancer controller) run in each capacity mode:
 *
 * - self-managed Karpenter: the system managed node group, selected by `NODE_ROLE_LABEL=SYSTEM_NODE_ROLE`;
 * - EKS Auto Mode: no node carries that label. The pods tolerate the `CriticalAddonsOnly` taint of
 *   Auto Mode's built-in `system` pool and select only Linux, so they run on the `system` pool
 *   or, when it is disabled or full, on `general-purpose`.
 */
export function systemPlacement(autoMode: boolean): PodPlacement {
  if (!autoMode) return { nodeSelector: systemNodeSelector(), tolerations: [] };
  return {
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: NodeScheduling.AUTO_MODE_SYSTEM_TAINT_KEY, operator: 'Exists', effect: 'NoSchedule' }],
  };
}

/** The Kubernetes toleration of `GPU_TAINT`. */
export function gpuToleration(): { key: string; operator: string; value: string; effect: string } {
  return { key: GPU_TAINT.key, operator: 'Equal', value: GPU_TAINT.value, effect: GPU_TAINT.effect };
}
