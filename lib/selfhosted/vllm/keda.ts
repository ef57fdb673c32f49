import { Duration } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { AiGatewayValidationError } from '../../private/errors';
import { CapacityMode } from '../eks/self-hosted-cluster';
import { PodIdentityRole } from '../pod-identity-role';
import { systemPlacement } from '../scheduling';

// KEDA 2.21.1: kedacore/charts release v2.21.1 (16 Nov 2026, "Chart: v2.21.1 | App: v2.21.1"),
// tested by KEDA on Kubernetes 1.34–1.36 (keda.sh/docs/2.22/operate/cluster, compatibility
// matrix). Values used: `nodeSelector` and `tolerations`, top-level maps the chart applies to the
// operator, the metrics server and the admission webhooks, and the chart's default operator
// service account `keda-operator`.
const DEFAULT_CHART_VERSION = '2.21.1';
const CHART_REPOSITORY = 'https://kedacore.github.io/charts';

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
   * @default Keda.DEFAULT_CHART_VERSION
   */
  readonly version?: string;

  /**
   * Who provides the cluster's nodes; it decides where KEDA's pods run (the system node group,
   * or EKS Auto Mode's built-in pools).
   *
   * @default CapacityMode.KARPENTER
   */
  readonly capacityMode?: CapacityMode;
}

/**
 * KEDA (Kubernetes Event-driven Autoscaling) from its Helm chart, on the system nodes. The
 * operator's service account `keda-operator` gets an IAM role through EKS Pod Identity, so
 * Prometheus triggers can sign Amazon Managed Service for Prometheus queries (`podIdentity.provider:
 * aws`); grant it what the triggers read (see `ManagedPrometheus.grantQuery`).
 *
 * Helm waits up to 15 minutes for the operator, metrics server and webhooks to become ready. On a
 * new cluster, make the chart depend on the nodes it runs on and on CoreDNS
 * (`keda.chart.node.addDependency(...)`); `SelfHostedModels` does.
 *
 * @example
 * const keda = new Keda(this, 'Keda', { cluster });
 */
export class Keda extends Construct {
  /** The operator service account's name. */
  public static readonly OPERATOR_SERVICE_ACCOUNT = 'keda-operator';
  /** The KEDA Helm chart version installed when no `version` is given. */
  public static readonly DEFAULT_CHART_VERSION: string = DEFAULT_CHART_VERSION;
  /** The KEDA Helm repository. */
  public static readonly CHART_REPOSITORY: string = CHART_REPOSITORY;

  /** The role the KEDA operator runs with (EKS Pod Identity). */
  public readonly operatorRole: iam.IRole;
  /** The namespace KEDA runs in. */
  public readonly operatorNamespace: string;
  /** The chart version installed. */
  public readonly version: string;
  /** The Helm release; KEDA's CRDs exist once it is applied. */
  public readonly chart: eks.HelmChart;

  constructor(scope: Construct, id: string, props: KedaProps) {
    super(scope, id);
    this.operatorNamespace = props.operatorNamespace ?? 'keda';
    this.version = props.version ?? DEFAULT_CHART_VERSION;
    if (!/^\d+\.\d+\.\d+$/.test(this.version)) {
      throw new AiGatewayValidationError(`version must be a KEDA chart version such as '${DEFAULT_CHART_VERSION}' (no 'v' prefix); received '${this.version}'.`, this);
    }

    const role = new PodIdentityRole(this, 'OperatorRole', {
      cluster: props.cluster,
      namespace: this.operatorNamespace,
      serviceAccount: Keda.OPERATOR_SERVICE_ACCOUNT,
      description: 'KEDA operator (EKS Pod Identity): reads the metrics its triggers scale on',
    });
    this.operatorRole = role;

    const placement = systemPlacement(props.capacityMode === CapacityMode.AUTO_MODE);
    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      chart: 'keda',
      repository: CHART_REPOSITORY,
      version: this.version,
      release: 'keda',
      namespace: this.operatorNamespace,
      createNamespace: true,
      wait: true,
      timeout: Duration.minutes(15),
      values: {
        nodeSelector: placement.nodeSelector,
        ...(placement.tolerations.length > 0 ? { tolerations: placement.tolerations } : {}),
      },
    });
    // The Pod Identity webhook injects credentials when a pod is created: the association must
    // exist before the operator pod does.
    this.chart.node.addDependency(role.association);
  }
}
