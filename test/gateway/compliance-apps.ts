import { App, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { GatewayConfig, TargetKind } from '../../lambda/shared/config';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { AiGateway, AiGatewayProps } from '../../lib/gateway/ai-gateway';
import { GatewayRouter } from '../../lib/gateway/gateway-router';
import { testConfig } from '../helpers/router-config';

/**
 * Apps the shared synthesis builds for ai-gateway-compliance.test.ts and
 * gateway-router-compliance.test.ts (test/helpers/synthesis), and the props those suites share.
 */

export const ENV = { account: '111122223333', region: 'us-east-1' };
export const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';

export const AI_GATEWAY_BASE: AiGatewayProps = {
  tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10 }],
  tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard' }],
  routes: [
    { alias: 'summary', model: ModelSource.crossRegionProfile(`us.${HAIKU}`), fallbackAliases: ['classify'] },
    { alias: 'classify', model: ModelSource.foundationModel('amazon.nova-micro-v1:0') },
  ],
};

/** An AiGateway in an imported VPC, with reserved concurrency and a daily quota. */
export function aiGatewayInVpcApp(app: App): void {
  const stack = new Stack(app, 'Stack', { env: ENV });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
    privateSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
  });
  new AiGateway(stack, 'Gateway', {
    ...AI_GATEWAY_BASE,
    vpc,
    routerReservedConcurrency: 50,
    tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10, quota: { limit: 1000, period: apigateway.Period.DAY } }],
  });
}

/** A gateway whose only target is a Bedrock model: the router then calls nothing but AWS APIs. */
export const BEDROCK_ONLY: GatewayConfig = {
  tenants: [{ id: 'acme', allowedAliases: ['chat'] }],
  targets: [{ id: 'nova', kind: TargetKind.BEDROCK, modelId: 'amazon.nova-lite-v1:0' }],
  routes: [{ alias: 'chat', targets: ['nova'] }],
  prices: { 'amazon.nova-lite-v1:0': { inputUsdPer1K: 0.00006, outputUsdPer1K: 0.00024 } },
};

/** A GatewayRouter alone, with the Bedrock-only configuration or (`selfHosted`) one with an OpenAI-compatible target. */
export function routerApp(app: App, args?: { readonly selfHosted?: boolean }): void {
  new GatewayRouter(new Stack(app, 'Stack', { env: ENV }), 'Router', { config: args?.selfHosted ? testConfig() : BEDROCK_ONLY });
}
