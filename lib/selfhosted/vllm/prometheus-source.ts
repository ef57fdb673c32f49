import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { Keda } from './keda';
import { AiGatewayValidationError } from '../../private/errors';

/** The pod labels every vLLM pod carries, and that the managed scraper keeps. */
const VLLM_POD_LABELS: { readonly [key: string]: string } = {
  'app.kubernetes.io/name': 'vllm',
  'app.kubernetes.io/part-of': 'cdk-ai-gateway',
};

/**
 * A Prometheus-compatible query endpoint that KEDA's Prometheus scaler reads the vLLM metrics
 * from. The series must carry the labels `namespace` (the pod's namespace) and `model_name`
 * (vLLM's own label: the served model name).
 */
export interface IPrometheusSource {
  /** The base URL KEDA appends `/api/v1/query` to. */
  readonly serverAddress: string;
  /**
   * When set, queries are signed with AWS SigV4 for this Region using the KEDA operator's
   * identity (`TriggerAuthentication` with `podIdentity.provider: aws`).
   *
   * @default - no signing
   */
  readonly sigV4Region?: string;
}

/** Properties of `ManagedPrometheus`. */
export interface ManagedPrometheusProps {
  /** The cluster whose vLLM pods are scraped. */
  readonly cluster: eks.ICluster;

  /**
   * KEDA, whose operator is granted the query actions on the workspace.
   *
   * @default - nobody: call `grantQuery` yourself
   */
  readonly keda?: Keda;

  /**
   * How often the scraper collects the vLLM metrics: 30 to 300 seconds (AWS managed scrapers
   * refuse intervals under 30 seconds).
   *
   * @default Duration.seconds(30)
   */
  readonly scrapeInterval?: Duration;

  /**
   * The subnets the scraper's network interfaces live in: at least two, in two Availability Zones,
   * able to reach the pods.
   *
   * @default - the cluster VPC's private subnets
   */
  readonly subnets?: ec2.SubnetSelection;

  /**
   * The security groups of the scraper's network interfaces; they must reach the pods on 8000.
   *
   * @default - the cluster security group, which EKS lets talk to the nodes
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Also scrape NVIDIA's dcgm-exporter pods (label `app.kubernetes.io/name=dcgm-exporter`, port
   * 9400) for GPU utilisation, memory and XID errors (see `GpuObservability`).
   *
   * @default true
   */
  readonly scrapeGpuMetrics?: boolean;
}

/**
 * Amazon Managed Service for Prometheus as the metrics source: a workspace and an AWS managed
 * scraper with the EKS cluster as its source, which discovers the vLLM pods by label and scrapes
 * `/metrics` on their `http` port.
 *
 * **Cluster access.** The cluster's authentication mode must be `API` or `API_AND_CONFIG_MAP`
 * (clusters of `aws-eks-v2` always use `API`). On such a cluster, creating the scraper creates the
 * EKS access entry, with its read-only access policy, for the scraper's service-linked role
 * `AWSServiceRoleForAmazonPrometheusScraper_*`: this construct adds no access entry and no
 * Kubernetes RBAC (https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html#AMP-collector-eks-setup).
 * The cluster endpoint must include private access and the VPC must have DNS enabled.
 *
 * **Encryption.** The workspace is encrypted at rest with an AWS owned key, not a customer-managed
 * key: a workspace with a customer-managed key cannot be written by an AWS managed scraper through
 * its service-linked role (https://docs.aws.amazon.com/prometheus/latest/userguide/encryption-at-rest-Amazon-Service-Prometheus.html).
 * The metrics are vLLM's operational series (queue lengths, KV-cache usage, token counters), no
 * prompts or completions. (The collector guide's alternative for customer-managed keys, a scraper
 * `roleConfiguration` with your own source and target roles, is not implemented here.) Where policy demands a customer-managed key for every data store, use
 * your own Prometheus with `PrometheusSource.fromUrl`.
 *
 * @example
 * const keda = new Keda(this, 'Keda', { cluster });
 * const metrics = PrometheusSource.managed(this, 'Metrics', { cluster, keda });
 */
export class ManagedPrometheus extends Construct implements IPrometheusSource {
  public readonly serverAddress: string;
  public readonly sigV4Region?: string;
  /** The workspace. */
  public readonly workspace: aps.CfnWorkspace;
  /** The scraper. */
  public readonly scraper: aps.CfnScraper;
  /** The workspace ARN. */
  public readonly workspaceArn: string;

  constructor(scope: Construct, id: string, props: ManagedPrometheusProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const interval = props.scrapeInterval ?? Duration.seconds(30);
    if (!Token.isUnresolved(interval.toSeconds()) && (interval.toSeconds() < 30 || interval.toSeconds() > 300)) {
      throw new AiGatewayValidationError(`scrapeInterval must be between 30 and 300 seconds (the AWS managed scraper minimum is 30); received ${interval.toSeconds()} seconds.`, this);
    }

    // No kmsKeyArn: AWS owned key, the only encryption an AWS managed scraper can write to through
    // its service-linked role (see the class documentation).
    this.workspace = new aps.CfnWorkspace(this, 'Workspace', {
      alias: `${stack.stackName}-vllm-metrics`.slice(0, 100),
    });
    this.workspaceArn = this.workspace.attrArn;
    this.sigV4Region = stack.region;
    this.serverAddress = `https://aps-workspaces.${stack.region}.${stack.urlSuffix}/workspaces/${this.workspace.attrWorkspaceId}`;

    const subnets = props.cluster.vpc.selectSubnets(props.subnets);
    const securityGroupIds = (props.securityGroups ?? [props.cluster.clusterSecurityGroup]).map((sg) => sg.securityGroupId);
    this.scraper = new aps.CfnScraper(this, 'Scraper', {
      alias: `${stack.stackName}-vllm`.slice(0, 100),
      source: { eksConfiguration: { clusterArn: props.cluster.clusterArn, subnetIds: subnets.subnetIds, securityGroupIds } },
      destination: { ampConfiguration: { workspaceArn: this.workspace.attrArn } },
      scrapeConfiguration: { configurationBlob: Buffer.from(scrapeConfiguration(interval.toSeconds(), props.scrapeGpuMetrics ?? true)).toString('base64') },
    });

    // No access entry and no RBAC here: on an API / API_AND_CONFIG_MAP cluster, CreateScraper creates
    // the access entry (and its access policy) for the scraper's service-linked role itself.
    // https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html#AMP-collector-eks-setup

    if (props.keda) this.grantQuery(props.keda.operatorRole);
  }

  /**
   * Lets `grantee` query the workspace: `aps:QueryMetrics`, `aps:GetSeries`, `aps:GetLabels` and
   * `aps:GetMetricMetadata` on this workspace only.
   */
  public grantQuery(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['aps:QueryMetrics', 'aps:GetSeries', 'aps:GetLabels', 'aps:GetMetricMetadata'],
      resourceArns: [this.workspace.attrArn],
    });
  }
}

/** The scrape configuration: vLLM pods of this library, by label, on their `http` port; dcgm-exporter pods with `gpu`. */
function scrapeConfiguration(intervalSeconds: number, gpu: boolean): string {
  const keep = Object.entries(VLLM_POD_LABELS).map(([label, value]) => [
    `      - source_labels: [__meta_kubernetes_pod_label_${label.replace(/[./-]/g, '_')}]`,
    '        action: keep',
    `        regex: ${value}`,
  ].join('\n'));
  return [
    'global:',
    `  scrape_interval: ${intervalSeconds}s`,
    'scrape_configs:',
    '  - job_name: vllm',
    '    metrics_path: /metrics',
    '    kubernetes_sd_configs:',
    '      - role: pod',
    '    relabel_configs:',
    ...keep,
    '      - source_labels: [__meta_kubernetes_pod_container_port_name]',
    '        action: keep',
    '        regex: http',
    '      - source_labels: [__meta_kubernetes_namespace]',
    '        target_label: namespace',
    '      - source_labels: [__meta_kubernetes_pod_name]',
    '        target_label: pod',
    ...(gpu ? dcgmScrapeJob() : []),
    '',
  ].join('\n');
}

/** An existing Prometheus (no authentication). */
class UrlPrometheusSource implements IPrometheusSource {
  constructor(public readonly serverAddress: string) {}
}

/**
 * Where KEDA reads the vLLM metrics from.
 *
 * @example
 * PrometheusSource.managed(this, 'Metrics', { cluster, keda });
 * PrometheusSource.fromUrl('http://prometheus-operated.monitoring.svc:9090');
 */
export class PrometheusSource {
  /** The pod labels every vLLM pod carries, and that the managed scraper keeps. */
  public static readonly VLLM_POD_LABELS: { [key: string]: string } = { ...VLLM_POD_LABELS };

  /** Amazon Managed Service for Prometheus with an AWS managed scraper (see `ManagedPrometheus`). */
  public static managed(scope: Construct, id: string, props: ManagedPrometheusProps): ManagedPrometheus {
    return new ManagedPrometheus(scope, id, props);
  }

  /**
   * An existing in-cluster or external Prometheus, queried without authentication. It must scrape
   * the vLLM pods and label their series with `namespace`.
   */
  public static fromUrl(url: string): IPrometheusSource {
    if (!Token.isUnresolved(url) && !/^https?:\/\/[^\s]+$/.test(url)) {
      throw new AiGatewayValidationError(`PrometheusSource.fromUrl: url must be an http(s) URL; received '${url}'.`);
    }
    return new UrlPrometheusSource(url.replace(/\/+$/, ''));
  }

  private constructor() {}
}

/** The scrape job for dcgm-exporter pods (the pods of NVIDIA's dcgm-exporter chart, metrics port 9400). */
function dcgmScrapeJob(): string[] {
  return [
    '  - job_name: dcgm-exporter',
    '    metrics_path: /metrics',
    '    kubernetes_sd_configs:',
    '      - role: pod',
    '    relabel_configs:',
    '      - source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name]',
    '        action: keep',
    '        regex: dcgm-exporter',
    '      - source_labels: [__meta_kubernetes_pod_container_port_number]',
    '        action: keep',
    '        regex: "9400"',
    '      - source_labels: [__meta_kubernetes_pod_node_name]',
    '        target_label: Hostname',
  ];
}
