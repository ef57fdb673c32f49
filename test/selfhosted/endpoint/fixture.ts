import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import {
  AwsLoadBalancerController, AwsLoadBalancerControllerProps, PrivateModelEndpoint, PrivateModelEndpointProps,
} from '../../../lib/selfhosted/endpoint';

/** Test region and account, so the template has literal ARNs where aws-cdk-lib can render them. */
export const ENV = { account: '111122223333', region: 'us-east-1' };

export interface EndpointFixture {
  readonly app: App;
  readonly stack: Stack;
  readonly vpc: ec2.Vpc;
  readonly cluster: eks.Cluster;
  readonly controller: AwsLoadBalancerController;
  readonly endpoint: PrivateModelEndpoint;
  readonly routerSecurityGroup: ec2.SecurityGroup;
}

export interface FixtureOptions {
  readonly app?: App;
  readonly controller?: Partial<AwsLoadBalancerControllerProps>;
  readonly endpoint?: Partial<PrivateModelEndpointProps>;
  /** Called with the stack before the endpoint is created (certificates, zones, buckets). */
  readonly extras?: (stack: Stack, vpc: ec2.Vpc) => Partial<PrivateModelEndpointProps>;
}

/** A VPC, an aws-eks-v2 cluster (kubectl v36 layer), the controller, one endpoint and a router security group it admits. */
export function endpointFixture(options: FixtureOptions = {}): EndpointFixture {
  const app = options.app ?? new App();
  const stack = new Stack(app, 'Endpoint', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new eks.Cluster(stack, 'Cluster', {
    version: eks.KubernetesVersion.V1_36,
    vpc,
    defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
    defaultCapacity: 0,
    kubectlProviderOptions: { kubectlLayer: new KubectlV36Layer(stack, 'Kubectl') },
  });
  const controller = new AwsLoadBalancerController(stack, 'Lbc', { cluster, ...options.controller });
  const extra = options.extras ? options.extras(stack, vpc) : {};
  const endpoint = new PrivateModelEndpoint(stack, 'Llama', {
    cluster,
    vpc,
    serviceName: 'vllm-llama-8b',
    serviceNamespace: 'models',
    loadBalancerController: controller,
    ...extra,
    ...options.endpoint,
  });
  const routerSecurityGroup = new ec2.SecurityGroup(stack, 'Router', { vpc, description: 'Router Lambda' });
  endpoint.connections.allowDefaultPortFrom(routerSecurityGroup, 'Gateway router');
  return { app, stack, vpc, cluster, controller, endpoint, routerSecurityGroup };
}
