import { AwsLoadBalancerController } from './endpoint/load-balancer-controller';
import { Karpenter } from './karpenter/karpenter';
import { NvidiaDevicePlugin } from './karpenter/nvidia-device-plugin';
import { Keda } from './vllm/keda';

/** One pinned component of the self-hosted route and the Kubernetes versions its project supports. */
export interface SupportedComponent {
  /** The component's name, as the README's support matrix spells it. */
  readonly component: string;
  /** The version this library installs by default. */
  readonly version: string;
  /** The oldest Kubernetes minor version the project supports or tests, `1.N`. */
  readonly kubernetesMin: string;
  /** The newest Kubernetes minor version the project supports or tests, `1.N`; none when the project states no upper bound. */
  readonly kubernetesMax?: string;
  /** Where the range comes from. */
  readonly source: string;
}

/**
 * The support matrix of the self-hosted route: every version the constructs pin, with the
 * Kubernetes range its project documents. `lib/selfhosted/README.md` renders the same table, and a
 * test fails when a pinned version or the default Kubernetes version falls out of it.
 */
export class SelfHostedSupportMatrix {
  /** The rows, in the order of the README. */
  public static readonly COMPONENTS: SupportedComponent[] = [
    { component: 'Karpenter', version: Karpenter.DEFAULT_VERSION, kubernetesMin: '1.31', kubernetesMax: '1.37', source: 'karpenter.sh v1.15 compatibility matrix' },
    { component: 'KEDA', version: Keda.DEFAULT_CHART_VERSION, kubernetesMin: '1.34', kubernetesMax: '1.36', source: 'keda.sh cluster compatibility matrix (v2.21)' },
    { component: 'AWS Load Balancer Controller', version: AwsLoadBalancerController.CHART_VERSION, kubernetesMin: '1.22', source: 'aws-load-balancer-controller chart README (1.22+)' },
    { component: 'NVIDIA device plugin', version: NvidiaDevicePlugin.DEFAULT_VERSION, kubernetesMin: '1.10', source: 'NVIDIA/k8s-device-plugin README prerequisites (1.10+)' },
  ];

  /** The rows whose documented range does not contain Kubernetes `version` (`1.N`). */
  public static unsupportedOn(version: string): SupportedComponent[] {
    return SelfHostedSupportMatrix.COMPONENTS.filter((c) => !inRange(version, c.kubernetesMin, c.kubernetesMax));
  }
}

function minor(version: string): number {
  const match = /^1\.(\d+)/.exec(version);
  if (!match) throw new Error(`not a Kubernetes 1.N version: '${version}'`);
  return Number(match[1]);
}

function inRange(version: string, min: string, max?: string): boolean {
  const v = minor(version);
  return v >= minor(min) && (max === undefined || v <= minor(max));
}
