/**
 * The fixture app of gateway-private-api.test.ts's compliance test, synthesized once per run by the
 * shared synthesis (test/helpers/synthesis). Not a test file: the synthesis server loads it with its TypeScript require hook.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { AiGateway } from '../../lib/gateway/ai-gateway';
import { GatewayEndpointType } from '../../lib/gateway/gateway-api';

/** A private gateway in an imported VPC, admitting one more VPC. */
export function privateGatewayApp(app: App): void {
  const stack = new Stack(app, 'Stack', { env: { account: '111122223333', region: 'us-east-1' } });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    vpcCidrBlock: '10.0.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
    privateSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
  });
  new AiGateway(stack, 'Gateway', {
    vpc,
    endpointType: GatewayEndpointType.PRIVATE,
    privateApi: { vpc, allowedVpcIds: ['vpc-0aaaaaaaaaaaaaaa1'] },
    routerReservedConcurrency: 50,
    tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10 }],
    tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }],
    routes: [{ alias: 'classify', model: ModelSource.foundationModel('amazon.nova-micro-v1:0') }],
  });
}
