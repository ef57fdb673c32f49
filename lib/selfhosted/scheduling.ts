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

/** The node label that says what a node is for. */
export const NODE_ROLE_LABEL = 'cdk-ai-gateway.io/node-role';
/** `NODE_ROLE_LABEL` on the system node group (Karpenter, KEDA, controllers, CoreDNS). */
export const SYSTEM_NODE_ROLE = 'system';
/** `NODE_ROLE_LABEL` on GPU nodes, managed node group and Karpenter pools alike. */
export const GPU_NODE_ROLE = 'gpu';

/**
 * The taint on every GPU node (the NVIDIA convention), so only pods that tolerate it — model
 * servers and the device plugin — land on GPU capacity.
 */
export const GPU_TAINT: NodeTaint = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' };

/** The extended resource a GPU pod requests. */
export const GPU_RESOURCE = 'nvidia.com/gpu';

/** The node selector for cluster services that must run on the system nodes. */
export function systemNodeSelector(): { [key: string]: string } {
  return { [NODE_ROLE_LABEL]: SYSTEM_NODE_ROLE };
}

/** The Kubernetes toleration of `GPU_TAINT`. */
export function gpuToleration(): { key: string; operator: string; value: string; effect: string } {
  return { key: GPU_TAINT.key, operator: 'Equal', value: GPU_TAINT.value, effect: GPU_TAINT.effect };
}
