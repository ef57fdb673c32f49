import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { PodIdentityRole } from '../pod-identity-role';
import { systemNodeSelector } from '../scheduling';

// KEDA 2.16.0: the newest keda/Chart.yaml in the stored kedacore/charts repository
// (https://kedacore.github.io/charts). Values used: `nodeSelector` (applied to the operator,
// metrics server and webhooks) and the chart's default operator service account `keda-operator`.
/** The pinned KEDA Helm chart version. */
export const KEDA_CHART_VERSION = '2.16.0';
/** The KEDA Helm repository. */
export const KEDA_CHART_REPOSITORY = 'https://kedacore.github.io/charts';

/** Properties of `Keda`. */
export interface KedaProps {
  /** The cluster to install KEDA into. */
  readonly cluster: eks.ICluster;

  /**
   * The namespace of the release.
   *
   * @default 'keda'
   */
  readonly operatorNamespace?: string;

  /**
   * The chart version.
   *
   * @default KEDA_CHART_VERSION
   */
  readonly version?: string;
}

/**
 * KEDA (Kubernetes Event-driven Autoscaling) from its Helm chart, on the system nodes. The
 * operator's service account `keda-operator` gets an IAM role through EKS Pod Identity, so
 * Prometheus triggers can sign Amazon Managed Service for Prometheus queries (`podIdentity.provider:
 * aws`); grant it what the triggers read (see `ManagedPrometheus.grantQuery`).
 *
 * @example
 * const keda = new Keda(this, 'Keda', { cluster });
 */
export class Keda extends Construct {
  /** The operator service account's name. */
  public static readonly OPERATOR_SERVICE_ACCOUNT = 'keda-operator';

  /** The role the KEDA operator runs with (EKS Pod Identity). */
  public readonly operatorRole: iam.IRole;
  /** The namespace KEDA runs in. */
  public readonly operatorNamespace: string;
  /** The Helm release; KEDA's CRDs exist once it is applied. */
  public readonly chart: eks.HelmChart;

  constructor(scope: Construct, id: string, props: KedaProps) {
    super(scope, id);
    this.operatorNamespace = props.operatorNamespace ?? 'keda';

    const role = new PodIdentityRole(this, 'OperatorRole', {
      cluster: props.cluster,
      namespace: this.operatorNamespace,
      serviceAccount: Keda.OPERATOR_SERVICE_ACCOUNT,
      description: 'KEDA operator (EKS Pod Identity): reads the metrics its triggers scale on',
    });
    this.operatorRole = role;

    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      chart: 'keda',
      repository: KEDA_CHART_REPOSITORY,
      version: props.version ?? KEDA_CHART_VERSION,
      release: 'keda',
      namespace: this.operatorNamespace,
      createNamespace: true,
      wait: true,
      values: {
        nodeSelector: systemNodeSelector(),
      },
    });
    // The Pod Identity webhook injects credentials when a pod is created: the association must
    // exist before the operator pod does.
    this.chart.node.addDependency(role.association);
  }
}
