import { Match } from 'aws-cdk-lib/assertions';
import { EXAMPLE_APP_FIXTURE, SHARED_SYNTHESIS_TIMEOUT_MS, SharedApp, sharedSynthesis, TemplateJson } from '../helpers/synthesis';

const STACKS = ['AiGatewayInvocationLogging', 'AiGatewayNetwork', 'AiGatewaySelfHosted', 'AiGatewayExample'];

/** Resource type → count, sorted: what a stack creates, at a glance. */
function inventory(template: TemplateJson): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of Object.values(template.Resources ?? {})) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

interface RouterConfigJson {
  readonly routes: { alias: string; targets: string[]; guardrail?: string; retrieval?: unknown; validation?: { jsonSchema?: string } }[];
  readonly targets: { id: string }[];
  readonly tenants: { id: string; allowedKnowledgeSources?: string[]; allowedAliases?: string[] }[];
  readonly knowledgeSources?: unknown[];
  readonly autoRouting: unknown[];
  readonly restrictedData?: unknown;
}

/** The router's configuration (AppConfig hosted content), with CloudFormation tokens as 'TOKEN'. */
function routerConfig(template: TemplateJson): RouterConfigJson {
  const [version] = Object.values(template.Resources ?? {}).filter((r) => r.Type === 'AWS::AppConfig::HostedConfigurationVersion');
  const content = version.Properties?.Content as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof content === 'string' ? content : content['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text) as RouterConfigJson;
}

/**
 * The example platform (bin/example.ts), synthesized once per run with every pack (shared with
 * test/compliance/example-app.test.ts). Small snapshots of what a reviewer must see change — each
 * stack's resource inventory, the cross-stack contract — plus assertions of the behaviour the
 * example exists to show. The constructs' own suites assert their templates in detail.
 */
describe('the example app (bin/example.ts)', () => {
  let example: SharedApp;
  beforeAll(async () => {
    example = await sharedSynthesis(EXAMPLE_APP_FIXTURE);
  }, SHARED_SYNTHESIS_TIMEOUT_MS);

  test('has the invocation logging, network, self-hosted and gateway stacks; the gateway depends on the models, both on the network', () => {
    expect([...example.stackNames].sort()).toEqual([...STACKS].sort());
    expect([...example.stackDependencies('AiGatewayExample')].sort()).toEqual(['AiGatewayNetwork', 'AiGatewaySelfHosted']);
    expect(example.stackDependencies('AiGatewaySelfHosted')).toEqual(['AiGatewayNetwork']);
    expect(example.stackDependencies('AiGatewayNetwork')).toEqual([]);
    expect(example.stackDependencies('AiGatewayInvocationLogging')).toEqual([]);
  });

  test('the shared VPC has the router\'s endpoints, so the gateway creates none; the EKS cluster runs in its private subnets', () => {
    const network = example.template('AiGatewayNetwork');
    network.resourceCountIs('AWS::EC2::VPC', 1);
    network.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.bedrock-runtime', PrivateDnsEnabled: true });
    example.template('AiGatewayExample').resourceCountIs('AWS::EC2::VPC', 0);
    example.template('AiGatewaySelfHosted').resourceCountIs('AWS::EC2::VPC', 0);
  });

  test('synthesizes offline without an account: no lookups, no context needed', () => {
    expect(example.manifest.missing ?? []).toEqual([]);
  });

  test.each(STACKS)('%s creates the resources of its snapshot', (name) => {
    expect(inventory(example.templateJson(name))).toMatchSnapshot();
  });

  test('the cross-stack contract: every stack imports only what the stacks it depends on export, and every export is used', () => {
    const exportsOf = (name: string) => Object.values(example.templateJson(name).Outputs ?? {})
      .map((o) => o.Export?.Name).filter((n): n is string => typeof n === 'string');
    const importsOf = (name: string) => [...new Set(JSON.stringify(example.templateJson(name))
      .match(/"Fn::ImportValue":"[^"]+"/g)?.map((m) => m.slice('"Fn::ImportValue":"'.length, -1)) ?? [])].sort();
    const used = new Set<string>();
    for (const name of STACKS) {
      const available = new Set(example.stackDependencies(name).flatMap(exportsOf));
      for (const imported of importsOf(name)) {
        expect([name, imported, available.has(imported)]).toEqual([name, imported, true]);
        used.add(imported);
      }
    }
    const exported = STACKS.flatMap(exportsOf).sort();
    expect(exported.filter((e) => !used.has(e))).toEqual([]);
    expect(exported).toMatchSnapshot();
  });

  test('the self-hosted model is the chat-8b route\'s first target, and only the router may reach its load balancer', () => {
    example.template('AiGatewayExample').hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp', FromPort: 80, ToPort: 80,
      GroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('^AiGatewaySelfHosted:.*Endpoint0SecurityGroup') },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GatewayRouterSecurityGroup'), 'GroupId'] },
    });
    const selfHosted = example.template('AiGatewaySelfHosted');
    const ingress = Object.values(selfHosted.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter((r) => JSON.stringify(r.Properties.GroupId).includes('Endpoint0SecurityGroup'));
    expect(ingress).toEqual([]);
    const [endpointSg] = Object.entries(selfHosted.findResources('AWS::EC2::SecurityGroup')).filter(([id]) => /Endpoint0SecurityGroup/.test(id));
    expect(endpointSg[1].Properties.SecurityGroupIngress).toBeUndefined();
  });

  test('two tiers as usage plans: premium 50 rps (burst 100), standard 5 rps (burst 10) with 100,000 requests a month', () => {
    const gateway = example.template('AiGatewayExample');
    gateway.resourceCountIs('AWS::ApiGateway::UsagePlan', 2);
    gateway.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 50, BurstLimit: 100 }, Quota: Match.absent(), Tags: [{ Key: 'cdk-ai-gateway:tier', Value: 'premium' }],
    });
    gateway.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 5, BurstLimit: 10 }, Quota: { Limit: 100_000, Period: 'MONTH' }, Tags: [{ Key: 'cdk-ai-gateway:tier', Value: 'standard' }],
    });
  });

  test.each([
    ['acme', 'cc-1001', 'support-summary', ':inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0'],
    ['acme', 'cc-1001', 'classify', '::foundation-model/amazon.nova-micro-v1:0'],
    ['globex', 'cc-2002', 'support-summary', ':inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0'],
    ['globex', 'cc-2002', 'classify', '::foundation-model/amazon.nova-micro-v1:0'],
  ])('tenant %s (cost center %s) has its own application inference profile for %s', (tenant, costCenter, alias, source) => {
    example.template('AiGatewayExample').hasResourceProperties('AWS::Bedrock::ApplicationInferenceProfile', {
      ModelSource: { CopyFrom: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`${source.replace(/[.]/g, '\\.')}$`)])] } },
      Tags: Match.arrayWith([
        { Key: 'ai-gateway:cost-center', Value: costCenter }, { Key: 'ai-gateway:model-alias', Value: alias }, { Key: 'ai-gateway:tenant', Value: tenant },
      ]),
    });
  });

  test('the router\'s configuration: the routes, their fallbacks, the tenants\' aliases and budgets, auto-routing', () => {
    const config = routerConfig(example.templateJson('AiGatewayExample'));
    expect(config.routes.map((r) => [r.alias, r.targets, r.guardrail])).toEqual([
      ['support-summary', ['bedrock-support-summary', 'bedrock-classify'], 'gateway'],
      ['classify', ['bedrock-classify'], undefined],
      ['embed', ['bedrock-embed'], undefined],
      ['agent', ['bedrock-agent'], 'gateway'],
      ['chat-8b', ['llama-8b', 'bedrock-classify'], undefined],
      ['handbook-answer', ['bedrock-handbook-answer'], 'gateway'],
      ['kyc-review', ['bedrock-kyc-review'], 'gateway'],
      ['claims-extract', ['bedrock-claims-extract'], 'gateway'],
      ['claims-extract-strong', ['bedrock-claims-extract-strong'], 'gateway'],
    ]);
    // The restricted route: redacted by the gateway guardrail, approvals required.
    expect(config.routes.find((r) => r.alias === 'kyc-review')).toMatchObject({ restrictedAllowed: true, redactionGuardrail: 'gateway' });
    expect(config.restrictedData).toEqual({ requireApproval: true });
    expect(config.targets.find((t) => t.id === 'bedrock-embed')).toMatchObject({ priceModelId: 'amazon.titan-embed-text-v2:0', capabilities: { embeddings: true } });
    expect(config.targets.find((t) => t.id === 'bedrock-agent')).toMatchObject({ capabilities: { tools: true, structuredOutputs: true } });
    // The self-hosted model runs vLLM with a tool call parser: its target can serve tool requests.
    expect(config.targets.find((t) => t.id === 'llama-8b')).toMatchObject({
      kind: 'openai-compatible', baseUrl: expect.stringMatching(/^http:\/\/TOKEN/), capabilities: { tools: true },
    });
    expect(config.tenants).toEqual([
      expect.objectContaining({
        id: 'acme', tier: 'premium',
        allowedAliases: ['support-summary', 'classify', 'embed', 'agent', 'chat-8b', 'handbook-answer', 'kyc-review', 'claims-extract', 'claims-extract-strong'],
        sensitivityClearance: 'restricted', sensitivityFloor: 'internal',
      }),
      expect.objectContaining({ id: 'globex', tier: 'standard', allowedAliases: ['support-summary'], budget: { monthlyUsd: 200, dailyUsd: 20, softThresholdPercent: 80 } }),
    ]);
    expect(config.tenants[0]).not.toHaveProperty('budget');
    expect(config.autoRouting).toEqual([
      { alias: 'classify', latencyClasses: ['batch'], description: 'Batch work goes to the cheapest model' },
      { alias: 'support-summary', description: 'Everything else' },
    ]);
  });

  test('the validated route: schema and forbidden pattern, retry → escalate to the stronger alias → reject; failures go to the review queue', () => {
    const config = routerConfig(example.templateJson('AiGatewayExample'));
    const validation = config.routes.find((r) => r.alias === 'claims-extract')?.validation;
    expect(validation).toMatchObject({ retries: 1, escalateTo: 'claims-extract-strong', onFailure: 'reject', forbiddenPatterns: [expect.any(String)] });
    expect(JSON.parse(validation!.jsonSchema!)).toMatchObject({ required: ['claimId', 'amountUsd'] });
    // The escalation alias is one acme may call (an escalation the tenant may not use is skipped).
    expect(config.tenants[0].allowedAliases).toContain('claims-extract-strong');
    example.template('AiGatewayExample').hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ GATEWAY_REVIEW_TABLE: Match.anyValue(), GATEWAY_REVIEW_QUEUE_URL: Match.anyValue(), GATEWAY_REVIEW_BUCKET: Match.anyValue() }) },
    });
    const alarms = Object.values(example.templateJson('AiGatewayExample').Resources as Record<string, { Type: string; Properties: { AlarmDescription?: unknown } }>)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => String(r.Properties.AlarmDescription)).filter((d) => d.includes('response validation'));
    expect(alarms.filter((d) => /route 'claims-extract'/.test(d))).toHaveLength(1);
  });

  test('retrieval governance: acme may search the handbook knowledge base, whose route retrieves and checks grounding', () => {
    const config = routerConfig(example.templateJson('AiGatewayExample'));
    expect(config.knowledgeSources).toEqual([expect.objectContaining({ id: 'handbook', kind: 'bedrock-knowledge-base', maxContextTokens: 2000 })]);
    expect(config.tenants.map((t) => [t.id, t.allowedKnowledgeSources])).toEqual([['acme', ['handbook']], ['globex', undefined]]);
    expect(config.routes.find((r) => r.alias === 'handbook-answer')?.retrieval).toEqual({
      source: 'handbook', topK: 5, grounding: { guardrail: 'gateway', groundingThreshold: 0.7, relevanceThreshold: 0.5 },
    });
    // A failed grounding check follows the route's validation policy: one repair, then flagged (and
    // the route gets its validation-failure alarm).
    expect(config.routes.find((r) => r.alias === 'handbook-answer')?.validation).toEqual({ retries: 1, onFailure: 'flag' });
  });

  test('the router reaches Retrieve through a Bedrock Agent Runtime endpoint in the shared VPC', () => {
    example.template('AiGatewayExample').hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.us-east-1.bedrock-agent-runtime', PrivateDnsEnabled: true, VpcEndpointType: 'Interface',
    });
  });

  test('the gateway guardrail scores contextual grounding and relevance without blocking on them', () => {
    example.template('AiGatewayExample').hasResourceProperties('AWS::Bedrock::Guardrail', {
      ContextualGroundingPolicyConfig: { FiltersConfig: [
        { Type: 'GROUNDING', Threshold: 0, Action: 'NONE', Enabled: true }, { Type: 'RELEVANCE', Threshold: 0, Action: 'NONE', Enabled: true },
      ] },
    });
  });

  test('the OpenAI-compatible API: /v1/chat/completions, /v1/embeddings, /v1/models, /v1/models/{model}, feedback and usage, and the base URL as an output', () => {
    const gateway = example.template('AiGatewayExample');
    const parts = Object.values(gateway.findResources('AWS::ApiGateway::Resource')).map((r) => r.Properties.PathPart).sort();
    expect(parts).toEqual([
      'batches', 'cancel', 'chat', 'complete', 'completions', 'content', 'embeddings', 'feedback', 'files', 'models', 'uploads', 'usage', 'v1',
      '{batch_id}', '{file_id}', '{file_id}', '{model}',
    ]);
    gateway.hasOutput('BaseUrl', { Description: 'OpenAI-compatible base URL' });
  });

  test('the batch route stays inside the VPC: the Bedrock control plane through an endpoint, the bucket through S3\'s gateway endpoint', () => {
    const gateway = example.template('AiGatewayExample');
    gateway.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.bedrock', PrivateDnsEnabled: true, VpcEndpointType: 'Interface' });
    const [lookupId] = Object.keys(gateway.findResources('Custom::S3PrefixList'));
    gateway.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { DestinationPrefixListId: { 'Fn::GetAtt': [lookupId, 'PrefixLists.0.PrefixListId'] }, FromPort: 443 });
  });

  test('the classification workflow runs as batches: the Batch API, its worker, and Nova Micro at half its on-demand price', () => {
    const gateway = example.template('AiGatewayExample');
    gateway.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.batchHandler', Environment: { Variables: Match.objectLike({ GATEWAY_BATCH_MAX_RUNNING: '2' }) } });
    gateway.hasResourceProperties('AWS::Events::Rule', { EventPattern: { 'source': ['aws.bedrock'], 'detail-type': ['Batch Inference Job State Change'] } });
    const prices = (routerConfig(example.templateJson('AiGatewayExample')) as unknown as { prices: Record<string, Record<string, number>> }).prices;
    const nova = prices['amazon.nova-micro-v1:0'];
    expect(nova.batchInputUsdPer1K).toBeCloseTo(nova.inputUsdPer1K / 2, 12);
    expect(nova.batchOutputUsdPer1K).toBeCloseTo(nova.outputUsdPer1K / 2, 12);
  });

  test('self-hosted batches: the worker\'s access entry, a namespaced Role, a low PriorityClass and the Jobs\' Pod Identity, in the gateway stack', () => {
    const json = example.templateJson('AiGatewayExample');
    const resources = (json.Resources ?? {}) as Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;
    const idAt = (prefix: string): string => {
      const found = Object.keys(resources).filter((id) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id));
      expect([prefix, found.length]).toEqual([prefix, 1]);
      return found[0];
    };
    const objectsAt = (prefix: string) => JSON.parse(resources[idAt(prefix)].Properties?.Manifest as string) as { kind: string; metadata: { namespace?: string }; value?: number }[];
    const gateway = example.template('AiGatewayExample');
    const clusterName = { 'Fn::ImportValue': Match.stringLikeRegexp('^AiGatewaySelfHosted:.*SelfHostedCluster') };
    gateway.hasResourceProperties('AWS::EKS::AccessEntry', {
      ClusterName: clusterName, Type: 'STANDARD', KubernetesGroups: ['cdk-ai-gateway:batch-launcher'], AccessPolicies: Match.absent(),
      PrincipalArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GatewayRouterRole[0-9A-F]{8}$'), 'Arn'] },
    });
    expect(objectsAt('SelfHostedBatchRbac').map((o) => [o.kind, o.metadata.namespace])).toEqual([
      ['ServiceAccount', 'gateway-batch'], ['Role', 'gateway-batch'], ['RoleBinding', 'gateway-batch'],
    ]);
    expect(objectsAt('SelfHostedBatchPriorityClass')).toEqual([expect.objectContaining({ kind: 'PriorityClass', value: -100, preemptionPolicy: 'Never' })]);
    gateway.hasResourceProperties('AWS::EKS::PodIdentityAssociation', { ClusterName: clusterName, Namespace: 'gateway-batch', ServiceAccount: 'gateway-batch' });
    // The worker reaches the private API endpoint: an ingress rule of this stack on the imported cluster security group.
    gateway.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp', FromPort: 443, ToPort: 443, GroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('^AiGatewaySelfHosted:') },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GatewayRouterSecurityGroup'), 'GroupId'] },
    });
    // Dependency edges: RBAC after its namespace, the worker after every object it uses; the GPU pool and
    // the system nodes (the other stack) come first through the stack dependency.
    const [workerId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Handler === 'index.batchHandler')!;
    expect(resources[idAt('SelfHostedBatchRbac')].DependsOn).toContain(idAt('SelfHostedBatchNamespace'));
    expect(resources[workerId].DependsOn).toEqual(expect.arrayContaining(
      ['SelfHostedBatchNamespace', 'SelfHostedBatchRbac', 'SelfHostedBatchPriorityClass', 'SelfHostedBatchWorkerAccess', 'SelfHostedBatchJobRoleAssociation'].map(idAt),
    ));
    const config = JSON.stringify((resources[workerId].Properties?.Environment as { Variables: Record<string, unknown> }).Variables.GATEWAY_BATCH_SELF_HOSTED);
    for (const fact of ['\\"llama-8b\\":{', '\\"servedModelName\\":\\"llama-8b\\"', '\\"gpuHourUsd\\":0.8048', '\\"idleHours\\":{\\"startHour\\":22,\\"endHour\\":6}']) {
      expect(config).toContain(fact);
    }
  });

  test('invocation logging delivers no text (the restricted route reaches Bedrock) to the bucket under bedrock-invocations/ and to the log group', () => {
    example.template('AiGatewayInvocationLogging').hasResourceProperties('Custom::BedrockModelInvocationLogging', {
      TextDataDeliveryEnabled: false, S3KeyPrefix: 'bedrock-invocations',
      S3BucketName: { Ref: Match.anyValue() }, LogGroupName: { Ref: Match.anyValue() },
    });
  });

  test('the EKS cluster has a private endpoint only, every control-plane log type and encrypted secrets', () => {
    example.template('AiGatewaySelfHosted').hasResourceProperties('AWS::EKS::Cluster', {
      ResourcesVpcConfig: Match.objectLike({ EndpointPrivateAccess: true, EndpointPublicAccess: false }),
      Logging: { ClusterLogging: { EnabledTypes: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'].map((Type) => ({ Type })) } },
      EncryptionConfig: [Match.objectLike({ Resources: ['secrets'] })],
    });
  });
});
