/** AiGateway with knowledge sources: the configuration it writes and the router's Retrieve grant. */
import { App, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AiGateway } from '../../lib/gateway/ai-gateway';
import { ModelSource } from '../../lib/bedrock/inference-profiles/model-source';
import { TenantKnowledgeBase } from '../../lib/retrieval';
import { actionsOf, resourcesOf, statementsOfRole } from '../helpers/iam-statements';

function build(): { stack: Stack; gateway: AiGateway; template: Template } {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'us-east-1' } });
  const handbook = new TenantKnowledgeBase(stack, 'Handbook', { documents: s3.Bucket.fromBucketName(stack, 'Docs', 'docs') });
  const imported = TenantKnowledgeBase.fromKnowledgeBaseId(stack, 'Imported', 'ABCDEFGHIJ');
  const gateway = new AiGateway(stack, 'Gateway', {
    tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10, quota: { limit: 1000, period: apigateway.Period.DAY } }],
    tenants: [
      { id: 'acme', costCenter: 'cc-1', tier: 'standard', allowedKnowledgeSources: ['handbook', 'policies'] },
      { id: 'globex', costCenter: 'cc-2', tier: 'standard' },
    ],
    routes: [{ alias: 'answer', model: ModelSource.foundationModel('amazon.nova-micro-v1:0'), guardrail: false, retrieval: { source: 'handbook', topK: 3 } }],
    knowledgeSources: [{ id: 'handbook', source: handbook, maxContextTokens: 1500 }, { id: 'policies', source: imported }],
  });
  return { stack, gateway, template: Template.fromStack(stack) };
}

describe('AiGateway knowledge sources', () => {
  const built = build();

  test('the router may call bedrock:Retrieve on exactly the configured knowledge bases', () => {
    const { stack, gateway, template } = built;
    const statements = statementsOfRole(template, stack.getLogicalId(gateway.router.role.node.defaultChild as never))
      .filter((s) => actionsOf(s).includes('bedrock:Retrieve'));
    const resources = statements.flatMap((s) => resourcesOf(s)).map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(2);
    expect(resources.some((r) => r.includes('HandbookKnowledgeBase'))).toBe(true);
    expect(resources.some((r) => r.includes('knowledge-base/ABCDEFGHIJ'))).toBe(true);
  });

  test('the configuration carries the sources, the tenant grants and the route retrieval', () => {
    const config = built.gateway.config;
    expect(config.knowledgeSources?.map((k) => [k.id, k.kind, k.maxContextTokens])).toEqual([
      ['handbook', 'bedrock-knowledge-base', 1500], ['policies', 'bedrock-knowledge-base', undefined],
    ]);
    expect(config.tenants.find((t) => t.id === 'acme')?.allowedKnowledgeSources).toEqual(['handbook', 'policies']);
    expect(config.routes.find((r) => r.alias === 'answer')?.retrieval).toEqual({ source: 'handbook', topK: 3 });
  });

  test('a tenant granted an unknown source fails at synth', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'us-east-1' } });
    expect(() => new AiGateway(stack, 'Gateway', {
      tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10 }],
      tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard', allowedKnowledgeSources: ['nope'] }],
      routes: [{ alias: 'answer', model: ModelSource.foundationModel('amazon.nova-micro-v1:0'), guardrail: false }],
    })).toThrow(/allowedKnowledgeSources\[0\]: unknown knowledge source 'nope'/);
  });
});
