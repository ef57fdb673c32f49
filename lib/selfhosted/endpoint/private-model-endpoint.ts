import { Duration, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LatencyClass, ModelPrice, TargetConfig, TargetKind, TimeoutPolicy } from '../../../lambda/shared/config';
import { TargetCapabilities } from '../../../lambda/shared/config-capabilities';
import { ID_PATTERN } from '../../../lambda/shared/schema';
import { GatewayCompliance } from '../../compliance/gateway-compliance';
import { AiGatewayValidationError } from '../../private/errors';
import { SelfHostedPrice } from '../../usage/self-hosted-price';
import { GpuInstanceTypes } from '../gpu-instances';
import { ISelfHostedTarget } from '../self-hosted-target';
import { AwsLoadBalancerController } from './load-balancer-controller';

/** Properties of {@link PrivateModelEndpoint}. */
export interface PrivateModelEndpointProps {
  /** The cluster that runs the model server. */
  readonly cluster: eks.ICluster;

  /** The VPC of the cluster and of the router; the load balancer is internal to it. */
  readonly vpc: ec2.IVpc;

  /**
   * The subnets of the load balancer.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /** The Kubernetes Service of the model server (a DNS-1035 label, e.g. `vllm-llama-8b`). */
  readonly serviceName: string;

  /** The namespace of the Service; it must exist before this construct's `TargetGroupBinding` is applied. */
  readonly serviceNamespace: string;

  /**
   * The port of the Service that `TargetGroupBinding.spec.serviceRef` names.
   * @default - `targetPort`
   */
  readonly servicePort?: number;

  /**
   * The container port of the model server pods: the target group's port, the health check
   * port and the only port the load balancer may reach on the nodes (vLLM's OpenAI server
   * listens on 8000).
   * @default 8000
   */
  readonly targetPort?: number;

  /**
   * The port the router connects to.
   * @default - 443 with `certificate`, 80 without
   */
  readonly listenerPort?: number;

  /**
   * A certificate for a TLS listener. Without it the listener is plain TCP carrying HTTP: the
   * path runs from the router's network interfaces in your VPC to the internal load balancer
   * and on to the pods, never leaving the VPC, and security groups admit only the peers you
   * allow. With it the load balancer terminates TLS (policy `RECOMMENDED_TLS`) and the base URL
   * is `https://<domainName>`; the router must trust the certificate's CA (an ACM public
   * certificate, or `NODE_EXTRA_CA_CERTS` for a private CA).
   * @default - no TLS: HTTP inside the VPC
   */
  readonly certificate?: acm.ICertificate;

  /**
   * The DNS name the router uses, which `certificate` must cover (the load balancer's own
   * `*.elb.amazonaws.com` name cannot carry a certificate of yours). Required with `certificate`.
   * @default - the load balancer's DNS name
   */
  readonly domainName?: string;

  /**
   * A private hosted zone in which to create an alias record `domainName` → the load balancer.
   * @default - no record: point `domainName` at the load balancer yourself
   */
  readonly privateHostedZone?: route53.IPrivateHostedZone;

  /**
   * A bucket for the load balancer's access logs. Network Load Balancers write access logs
   * only for TLS listeners, so this needs `certificate`. The bucket must allow log delivery
   * (see "Access logs for your Network Load Balancer" in the Elastic Load Balancing guide) and
   * be encrypted with SSE-S3 or a customer managed KMS key that the delivery service may use.
   * @default - no access logs
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * The path vLLM answers health checks on (HTTP 200 when the engine is up).
   * @default '/health'
   */
  readonly healthCheckPath?: string;

  /**
   * How long a deregistering pod keeps its open connections before the load balancer closes
   * them (0 to 3600 s). Set it to at least the pod's drain time (its preStop sleep plus vLLM's
   * `--shutdown-timeout`), so streams in flight finish while the pod stops; a value longer than
   * the pod's `terminationGracePeriodSeconds` adds nothing.
   * @default Duration.seconds(120)
   */
  readonly deregistrationDelay?: Duration;

  /**
   * Deletion protection of the load balancer. Turn it off only for stacks you intend to destroy
   * (a protected load balancer makes stack deletion fail until it is turned off).
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * The AWS Load Balancer Controller that binds the Service's pods to the target group. Its
   * Helm release (with the `TargetGroupBinding` CRD) is applied before this construct's binding.
   */
  readonly loadBalancerController: AwsLoadBalancerController;
}

/** Options of {@link PrivateModelEndpoint.selfHostedTarget}. */
export interface SelfHostedTargetOptions {
  /** The router target id (lower-case letters, digits, `.`, `_`, `-`; at most 64 characters). */
  readonly id: string;

  /** The model name vLLM serves (`--served-model-name`), sent as `model`. */
  readonly servedModelName: string;

  /** The price of the model's tokens (see `PrivateModelEndpoint.gpuPrice`). */
  readonly price: ModelPrice;

  /**
   * Time limits for calls to this target; each field given replaces the default.
   * @default - 2000 ms to connect (inside the VPC a slower connect means no healthy target),
   * 30000 ms to the first streamed token (a queue that long fails over), 120000 ms in total
   */
  readonly timeouts?: TimeoutPolicy;

  /**
   * Whether the target is cleared for restricted data. Only a TLS endpoint (`certificate`) may be:
   * restricted requests never travel in clear text.
   * @default false
   */
  readonly restrictedAllowed?: boolean;

  /**
   * The latency classes this target serves.
   * @default - all latency classes
   */
  readonly latencyClasses?: LatencyClass[];

  /**
   * The router environment variable holding a bearer token for vLLM's `--api-key`.
   * @default - no Authorization header
   */
  readonly apiKeyEnv?: string;

  /**
   * A description for operators.
   * @default - names the Service and namespace
   */
  readonly description?: string;

  /**
   * What the served model can do beyond plain chat (`tools` when vLLM runs with a tool call
   * parser, `images` for a vision model); routing skips the target for requests that need more.
   * @default - the OpenAI-compatible defaults (no tools, no images; structured outputs and logprobs)
   */
  readonly capabilities?: TargetCapabilities;
}

/** Options of {@link PrivateModelEndpoint.gpuPrice}. */
export interface GpuPriceOptions {
  /** The GPU instance type the model runs on, e.g. `g6e.xlarge` (see `GpuInstanceTypes`). */
  readonly instanceType: string;

  /**
   * Output tokens per second that ONE model server replica generates across its concurrent
   * requests. This is an assumption until you measure it with your prompts (vLLM's
   * `vllm:generation_tokens_total` rate at your typical concurrency); it sets the price.
   */
  readonly tokensPerSecond: number;

  /**
   * The instance's cost per hour in USD.
   * @default - `GpuInstanceTypes.of(instanceType).onDemandUsdPerHour` (us-east-1 on-demand list price)
   */
  readonly hourlyUsd?: number;

  /**
   * Model server replicas on one instance (each needs its own GPUs), from 1 to the instance's GPU count.
   * @default 1
   */
  readonly replicasPerInstance?: number;

  /**
   * Input (prefill) tokens per second of one replica.
   * @default - `tokensPerSecond` (input priced like output: an upper bound)
   */
  readonly inputTokensPerSecond?: number;

  /**
   * The share of paid GPU time that serves requests, in percent (1 to 100).
   * @default 100
   */
  readonly utilizationPercent?: number;
}

const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Timeouts of a self-hosted GPU target, each overridable through `SelfHostedTargetOptions.timeouts`. */
const DEFAULT_TIMEOUTS = { connectMs: 2000, firstTokenMs: 30_000, totalMs: 120_000 };

function checkPort(prop: string, value: number, scope: Construct): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new AiGatewayValidationError(`${prop} must be an integer port from 1 to 65535, received ${value}.`, scope);
  }
}

function checkLabel(prop: string, value: string, pattern: RegExp, kind: string, scope: Construct): void {
  if (Token.isUnresolved(value)) return;
  if (typeof value !== 'string' || value.length > 63 || !pattern.test(value)) {
    throw new AiGatewayValidationError(`${prop} must be a ${kind} (lower-case letters, digits and '-', at most 63 characters${kind.includes('1035') ? ', starting with a letter' : ''}, not ending with '-'), received '${value}'.`, scope);
  }
}

/**
 * The private path from the gateway's router to a model server on EKS: an internal Network Load
 * Balancer created by CloudFormation (so every network fact is in the template, and its DNS name
 * is a deploy-time value the router configuration can carry), an IP target group, and a
 * `TargetGroupBinding` with which the AWS Load Balancer Controller keeps the Service's ready pods
 * registered in it.
 *
 * Security groups: the load balancer's own group admits nothing until you call
 * `connections.allowFrom(router, ...)` (or `allowDefaultPortFrom`), and may send only to the
 * cluster security group on `targetPort`; the cluster security group (used by managed and
 * Karpenter nodes) admits the load balancer's group on `targetPort` only. The rules are
 * CloudFormation resources, not `TargetGroupBinding.spec.networking`, so a reviewer sees them.
 *
 * @example
 * const lbc = new AwsLoadBalancerController(this, 'Lbc', { cluster });
 * const endpoint = new PrivateModelEndpoint(this, 'Llama', {
 *   cluster, vpc, serviceName: 'vllm-llama-8b', serviceNamespace: 'models', loadBalancerController: lbc,
 * });
 * const target = endpoint.selfHostedTarget({
 *   id: 'llama-8b', servedModelName: 'llama-3.1-8b-instruct',
 *   price: PrivateModelEndpoint.gpuPrice({ instanceType: 'g6e.xlarge', tokensPerSecond: 800 }),
 * });
 */
export class PrivateModelEndpoint extends Construct implements ec2.IConnectable {
  /** The router's time limits of a self-hosted target when none are given: 2 s to connect, 30 s to the first token, 120 s in all. */
  public static readonly DEFAULT_TIMEOUTS: TimeoutPolicy = DEFAULT_TIMEOUTS;

  /**
   * The price per 1,000 tokens of a model served from GPU instances: the instance's hourly cost
   * divided by what its replicas generate, `SelfHostedPrice.fromGpuHour(hourlyUsd,
   * tokensPerSecond × replicasPerInstance, ...)`.
   */
  public static gpuPrice(options: GpuPriceOptions): ModelPrice {
    const spec = GpuInstanceTypes.of(options.instanceType);
    const replicas = options.replicasPerInstance ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > spec.gpuCount) {
      throw new AiGatewayValidationError(`replicasPerInstance must be an integer from 1 to ${spec.gpuCount} (the GPUs of ${spec.instanceType}), received ${replicas}.`);
    }
    if (typeof options.tokensPerSecond !== 'number' || !Number.isFinite(options.tokensPerSecond) || options.tokensPerSecond <= 0) {
      throw new AiGatewayValidationError(`tokensPerSecond must be a number greater than 0, received ${options.tokensPerSecond}.`);
    }
    return SelfHostedPrice.fromGpuHour(options.hourlyUsd ?? spec.onDemandUsdPerHour, options.tokensPerSecond * replicas, {
      inputTokensPerSecond: options.inputTokensPerSecond === undefined ? undefined : options.inputTokensPerSecond * replicas,
      utilizationPercent: options.utilizationPercent,
    });
  }

  /** The internal Network Load Balancer. */
  public readonly loadBalancer: elbv2.NetworkLoadBalancer;
  /** The IP target group the controller registers the pods in. */
  public readonly targetGroup: elbv2.NetworkTargetGroup;
  /** The listener the router connects to. */
  public readonly listener: elbv2.NetworkListener;
  /** The load balancer's security group. */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** The load balancer's connections; `connections.allowDefaultPortFrom(router)` admits the router on `port`. */
  public readonly connections: ec2.Connections;
  /** The `TargetGroupBinding` manifest. */
  public readonly targetGroupBinding: eks.KubernetesManifest;
  /** The OpenAI base URL the router calls: `http://<dns>/v1`, or `https://<domainName>/v1` with a certificate. */
  public readonly baseUrl: string;
  /** The listener port. */
  public readonly port: number;
  /** The container port of the pods. */
  public readonly targetPort: number;

  /** Whether the listener terminates TLS. */
  public readonly tls: boolean;

  private readonly serviceName: string;
  private readonly serviceNamespace: string;

  constructor(scope: Construct, id: string, props: PrivateModelEndpointProps) {
    super(scope, id);
    const tls = this.tls = props.certificate !== undefined;
    this.targetPort = props.targetPort ?? 8000;
    this.port = props.listenerPort ?? (tls ? 443 : 80);
    const servicePort = props.servicePort ?? this.targetPort;
    const healthCheckPath = props.healthCheckPath ?? '/health';
    const deregistrationDelay = props.deregistrationDelay ?? Duration.seconds(120);
    this.serviceName = props.serviceName;
    this.serviceNamespace = props.serviceNamespace;

    checkPort('targetPort', this.targetPort, this);
    checkPort('listenerPort', this.port, this);
    checkPort('servicePort', servicePort, this);
    checkLabel('serviceName', props.serviceName, DNS_1035_LABEL, 'DNS-1035 label', this);
    checkLabel('serviceNamespace', props.serviceNamespace, DNS_1123_LABEL, 'DNS-1123 label', this);
    if (!Token.isUnresolved(healthCheckPath) && (!healthCheckPath.startsWith('/') || healthCheckPath.length > 1024 || /\s/.test(healthCheckPath))) {
      throw new AiGatewayValidationError(`healthCheckPath must be a path starting with '/', without spaces, at most 1024 characters, received '${healthCheckPath}'.`, this);
    }
    if (!deregistrationDelay.isUnresolved()) {
      const seconds = deregistrationDelay.toSeconds();
      if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) {
        throw new AiGatewayValidationError(`deregistrationDelay must be a whole number of seconds from 0 to 3600, received ${seconds} s.`, this);
      }
    }
    if (tls && props.domainName === undefined) {
      throw new AiGatewayValidationError('domainName is required with certificate: the certificate must cover the name the router calls, and the load balancer\'s own DNS name cannot carry your certificate.', this);
    }
    if (props.domainName !== undefined && !Token.isUnresolved(props.domainName) && !DOMAIN_NAME.test(props.domainName)) {
      throw new AiGatewayValidationError(`domainName must be a lower-case DNS name such as llama.models.internal.example.com, received '${props.domainName}'.`, this);
    }
    if (props.privateHostedZone && props.domainName === undefined) {
      throw new AiGatewayValidationError('privateHostedZone needs domainName: the alias record is created for domainName.', this);
    }
    if (props.accessLogsBucket && !tls) {
      throw new AiGatewayValidationError('accessLogsBucket needs certificate: Network Load Balancers write access logs only for TLS listeners.', this);
    }

    const clusterSecurityGroup = props.cluster.clusterSecurityGroup;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      allowAllOutbound: false,
      description: `Internal NLB of ${props.serviceNamespace}/${props.serviceName}: in from allowed peers on ${this.port}, out to the cluster on ${this.targetPort}`,
    });
    // The only egress: to the nodes' cluster security group on the pods' port (traffic and health checks).
    this.securityGroup.addEgressRule(clusterSecurityGroup, ec2.Port.tcp(this.targetPort), `Model server pods (${props.serviceName})`);
    clusterSecurityGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(this.targetPort), `Internal NLB of ${props.serviceNamespace}/${props.serviceName}`);

    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      internetFacing: false,
      crossZoneEnabled: true,
      deletionProtection: props.deletionProtection ?? true,
      securityGroups: [this.securityGroup],
    });
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup], defaultPort: ec2.Port.tcp(this.port) });

    this.targetGroup = new elbv2.NetworkTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      port: this.targetPort,
      protocol: elbv2.Protocol.TCP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay,
      connectionTermination: true,
      healthCheck: {
        protocol: elbv2.Protocol.HTTP,
        path: healthCheckPath,
        port: 'traffic-port',
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(6),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
    });

    this.listener = this.loadBalancer.addListener('Listener', {
      port: this.port,
      protocol: tls ? elbv2.Protocol.TLS : elbv2.Protocol.TCP,
      certificates: tls ? [elbv2.ListenerCertificate.fromCertificateManager(props.certificate!)] : undefined,
      sslPolicy: tls ? elbv2.SslPolicy.RECOMMENDED_TLS : undefined,
      defaultTargetGroups: [this.targetGroup],
    });

    if (props.accessLogsBucket) {
      this.loadBalancer.logAccessLogs(props.accessLogsBucket, `${props.serviceNamespace}/${props.serviceName}`);
    }
    if (props.privateHostedZone && props.domainName) {
      new route53.ARecord(this, 'AliasRecord', {
        zone: props.privateHostedZone,
        recordName: props.domainName,
        target: route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(this.loadBalancer)),
      });
    }

    const host = props.domainName ?? this.loadBalancer.loadBalancerDnsName;
    const scheme = tls ? 'https' : 'http';
    const defaultPort = tls ? 443 : 80;
    this.baseUrl = `${scheme}://${host}${this.port === defaultPort ? '' : `:${this.port}`}/v1`;

    props.loadBalancerController.allowTargetGroup(this.targetGroup);
    this.targetGroupBinding = new eks.KubernetesManifest(this, 'TargetGroupBinding', {
      cluster: props.cluster,
      manifest: [{
        apiVersion: 'elbv2.k8s.aws/v1beta1',
        kind: 'TargetGroupBinding',
        metadata: {
          name: `${props.serviceName}-nlb`,
          namespace: props.serviceNamespace,
          labels: { 'app.kubernetes.io/managed-by': 'cdk-ai-gateway' },
        },
        spec: {
          serviceRef: { name: props.serviceName, port: servicePort },
          targetGroupARN: this.targetGroup.targetGroupArn,
          targetType: 'ip',
          // No `networking`: the security group rules are the CloudFormation rules above.
        },
      }],
    });
    // The CRD, its webhook and the controller's permissions must exist before the binding is
    // applied; on deletion the controller must still run to remove the binding's finalizer.
    this.targetGroupBinding.node.addDependency(props.loadBalancerController);

    this.acknowledgeFindings(tls, props);
  }

  /**
   * The router target for this endpoint: kind `openai-compatible`, this endpoint's base URL, the
   * served model name, timeouts for a GPU model, the price, and the connections the router must
   * be admitted through (`target.connections.allowDefaultPortFrom(router)`).
   */
  public selfHostedTarget(options: SelfHostedTargetOptions): ISelfHostedTarget {
    if (!Token.isUnresolved(options.id) && !new RegExp(ID_PATTERN).test(options.id)) {
      throw new AiGatewayValidationError(`id must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64 characters, received '${options.id}'.`, this);
    }
    if (!Token.isUnresolved(options.servedModelName) && (options.servedModelName.length < 1 || options.servedModelName.length > 256)) {
      throw new AiGatewayValidationError(`servedModelName must be 1 to 256 characters, received '${options.servedModelName}'.`, this);
    }
    if (options.restrictedAllowed && !this.tls) {
      throw new AiGatewayValidationError(`restrictedAllowed needs a TLS endpoint: target '${options.id}' is reached over plain HTTP; give the endpoint certificate and domainName, or leave restrictedAllowed unset.`, this);
    }
    const timeouts: TimeoutPolicy = { ...DEFAULT_TIMEOUTS, ...stripUndefined(options.timeouts ?? {}) };
    const target: TargetConfig = {
      id: options.id,
      kind: TargetKind.OPENAI_COMPATIBLE,
      baseUrl: this.baseUrl,
      model: options.servedModelName,
      timeouts,
      description: options.description ?? `vLLM Service ${this.serviceNamespace}/${this.serviceName} through its internal load balancer`,
      ...(options.apiKeyEnv !== undefined ? { apiKeyEnv: options.apiKeyEnv } : {}),
      ...(options.restrictedAllowed !== undefined ? { restrictedAllowed: options.restrictedAllowed } : {}),
      ...(options.latencyClasses !== undefined ? { latencyClasses: options.latencyClasses } : {}),
      ...(options.capabilities !== undefined ? { capabilities: options.capabilities } : {}),
    };
    return { target, price: options.price, port: this.port, connections: this.connections, vpc: this.loadBalancer.vpc };
  }

  private acknowledgeFindings(tls: boolean, props: PrivateModelEndpointProps): void {
    const lb = this.loadBalancer.node.defaultChild as elbv2.CfnLoadBalancer;
    if (!props.accessLogsBucket) {
      const reason = tls
        ? 'Access logs are off because the accessLogsBucket prop is unset. Network Load Balancers log only TLS connections; set '
          + 'accessLogsBucket to a bucket that allows log delivery to record them. The load balancer is internal, and its security '
          + 'group admits only the peers allowed through connections (the gateway router), whose own logs record every request.'
        : 'This internal Network Load Balancer has only a TCP listener, and Elastic Load Balancing writes Network Load Balancer '
          + 'access logs only for TLS listeners, so there is nothing to enable. Every request is logged by the gateway router, the '
          + 'only peer its security group admits; set certificate (and accessLogsBucket) for a TLS listener with access logs.';
      for (const findingId of ['AwsSolutions-ELB2', 'NIST.800.53.R5-ELBLoggingEnabled', 'HIPAA.Security-ELBLoggingEnabled',
        'PCI.DSS.321-ELBLoggingEnabled', 'CT.ELASTICLOADBALANCING.PR.6']) {
        GatewayCompliance.acknowledge(lb, findingId, reason);
      }
    }
    if (!tls) {
      const listener = this.listener.node.defaultChild as elbv2.CfnListener;
      const reason = 'The listener is plain TCP because the certificate prop is unset: the internal load balancer is reachable '
        + 'only inside the VPC, and its security group admits only the peers allowed through connections (the gateway router), '
        + 'so requests never leave the VPC. Set certificate and domainName for a TLS listener with an ACM certificate.';
      for (const findingId of ['NIST.800.53.R5-ELBv2ACMCertificateRequired', 'HIPAA.Security-ELBv2ACMCertificateRequired',
        'PCI.DSS.321-ELBv2ACMCertificateRequired']) {
        GatewayCompliance.acknowledge(listener, findingId, reason);
      }
    }
    if (props.deletionProtection === false) {
      GatewayCompliance.acknowledge(lb, 'NIST.800.53.R5-ELBDeletionProtectionEnabled',
        'Deletion protection is off because the deletionProtection prop was set to false for a stack meant to be destroyed; '
        + 'the load balancer holds no data and CloudFormation recreates it with the same configuration.');
    }
  }
}

function stripUndefined(timeouts: TimeoutPolicy): TimeoutPolicy {
  return Object.fromEntries(Object.entries(timeouts).filter(([, v]) => v !== undefined)) as TimeoutPolicy;
}
