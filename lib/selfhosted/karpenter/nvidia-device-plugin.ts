import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { AiGatewayValidationError } from '../../private/errors';
import { GPU_NODE_ROLE, NODE_ROLE_LABEL, gpuToleration } from '../scheduling';

// NVIDIA k8s-device-plugin v0.20.1 (release of 22 Sep 2026: NodeFeature delete privileges,
// container toolkit v1.20.1, allocation fixes). The DaemonSet follows the project's own
// deployments/static/nvidia-device-plugin.yml — the same container name, dropped capabilities, the
// kubelet device-plugins hostPath and the system-node-critical priority class — except
// FAIL_ON_INIT_ERROR, which is true here: with false, a node whose driver failed to load
// advertises zero GPUs and model pods stay pending with no error anywhere; with true the plugin
// crash-loops, which a restart alarm and node repair can see. We render the static manifest rather
// than install the nvdp Helm chart: it is one small object, its toleration and node affinity come
// from the shared scheduling constants, the test suite validates it against the Kubernetes schema,
// and the kubectl Lambda does not have to reach a second Helm repository at deploy time.
const DEFAULT_VERSION = 'v0.20.1';
const IMAGE_REPOSITORY = 'nvcr.io/nvidia/k8s-device-plugin';
const APP_LABEL = 'nvidia-device-plugin-ds';

/**
 * Properties of an `NvidiaDevicePlugin`.
 */
export interface NvidiaDevicePluginProps {
  /** The cluster to install the device plugin into. */
  readonly cluster: eks.ICluster;

  /**
   * The `nvcr.io/nvidia/k8s-device-plugin` image tag (`vX.Y.Z`).
   * @default - `NvidiaDevicePlugin.DEFAULT_VERSION` (v0.20.1)
   */
  readonly version?: string;

  /**
   * The namespace of the DaemonSet.
   * @default 'kube-system'
   */
  readonly pluginNamespace?: string;
}

/**
 * The NVIDIA device plugin DaemonSet, which advertises `nvidia.com/gpu` on GPU nodes. The EKS
 * optimized AL2023 NVIDIA AMI ships the driver and container toolkit but not the device plugin;
 * Bottlerocket NVIDIA variants and EKS Auto Mode run their own, so install this only for AL2023
 * GPU capacity (see `GpuNodePool.needsDevicePlugin`).
 *
 * The pods run only on GPU nodes (node affinity on `NodeScheduling.NODE_ROLE_LABEL=NodeScheduling.GPU_NODE_ROLE` (`cdk-ai-gateway.io/node-role=gpu`)), tolerate the
 * GPU taint, and use the `system-node-critical` priority class so they are never evicted before
 * the model servers that depend on them.
 *
 * @example
 * declare const cluster: eks.Cluster;
 * new NvidiaDevicePlugin(this, 'DevicePlugin', { cluster });
 */
export class NvidiaDevicePlugin extends Construct {
  /** The image tag installed when no `version` is given. */
  public static readonly DEFAULT_VERSION: string = DEFAULT_VERSION;

  /** The container image, `nvcr.io/nvidia/k8s-device-plugin:<version>`. */
  public readonly image: string;

  /** The namespace of the DaemonSet. */
  public readonly pluginNamespace: string;

  /** The manifest that applies the DaemonSet. */
  public readonly manifest: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: NvidiaDevicePluginProps) {
    super(scope, id);
    const version = props.version ?? DEFAULT_VERSION;
    if (!/^v\d+\.\d+\.\d+$/.test(version)) {
      throw new AiGatewayValidationError(`NvidiaDevicePlugin version must be a release tag such as '${DEFAULT_VERSION}'; received '${version}'.`, this);
    }
    this.pluginNamespace = props.pluginNamespace ?? 'kube-system';
    this.image = `${IMAGE_REPOSITORY}:${version}`;
    this.manifest = props.cluster.addManifest(`${id}DaemonSet`, this.daemonSet());
  }

  private daemonSet(): Record<string, unknown> {
    const labels = { 'name': APP_LABEL, 'app.kubernetes.io/name': 'nvidia-device-plugin', 'app.kubernetes.io/managed-by': 'cdk-ai-gateway' };
    return {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'nvidia-device-plugin-daemonset', namespace: this.pluginNamespace, labels },
      spec: {
        selector: { matchLabels: { name: APP_LABEL } },
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels },
          spec: {
            tolerations: [gpuToleration()],
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchExpressions: [{ key: NODE_ROLE_LABEL, operator: 'In', values: [GPU_NODE_ROLE] }] }],
                },
              },
            },
            priorityClassName: 'system-node-critical',
            containers: [{
              name: 'nvidia-device-plugin-ctr',
              image: this.image,
              env: [{ name: 'FAIL_ON_INIT_ERROR', value: 'true' }],
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'kubelet-device-plugins-dir', mountPath: '/var/lib/kubelet/device-plugins' }],
            }],
            volumes: [{ name: 'kubelet-device-plugins-dir', hostPath: { path: '/var/lib/kubelet/device-plugins', type: 'Directory' } }],
          },
        },
      },
    };
  }
}
