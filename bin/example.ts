/**
 * The example platform: what `npx cdk synth` builds. Four stacks:
 * - `AiGatewayInvocationLogging`: Bedrock model invocation logging for the account and Region
 *   (an account-wide setting, so it lives in its own stack);
 * - `AiGatewayNetwork`: the VPC the models and the gateway share (`GatewayVpc`: flow logs with
 *   KMS, private subnets, the endpoints the router calls). It has a stack of its own so that the
 *   other two can depend on it and the gateway on the models, without a cycle;
 * - `AiGatewaySelfHosted`: the self-hosted route — an EKS cluster with private endpoint, Karpenter
 *   GPU capacity (on-demand, spot as overflow), Llama 3.1 8B Instruct on vLLM autoscaled by KEDA
 *   (two replicas at least), behind an internal load balancer that admits only the router (TLS on
 *   443 with `-c selfHostedCertificateArn=... -c selfHostedDomain=...`), with GPU metrics, capacity
 *   waste rules, alerts and a Grafana dashboard in Amazon Managed Service for Prometheus;
 * - `AiGatewayExample`: the gateway — two tenants on different tiers, a route on a cross-region
 *   inference profile with the guardrail, a route on a foundation model, each tenant with its own
 *   application inference profiles, and a route served by the self-hosted model with Bedrock as
 *   its fallback, a versioned prompt in Bedrock Prompt Management with a `prod` label and a
 *   10 % canary that alarms roll back, a validated route (retry → escalate → reject) whose
 *   failed answers go to a human review queue, and the Batch API, whose self-hosted lines run as
 *   `vllm run-batch` Jobs on the models' GPU pool (`SelfHostedBatch`).
 *
 * Synthesizes offline with no AWS credentials; every compliance pack runs on it and the synth
 * fails on any finding that is neither fixed nor acknowledged with a reason.
 */
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  AiGateway, BedrockPrices, GatewayAuditTrail, GatewayCompliance, GatewayTransactionSearch, GatewayEndpointType, GatewayVpc, LatencyClass, ModelInvocationLogging,
  ModelSource, ModelWeights, PromptCanaryRollback, PromptRegistry, PromptRole, ResponseReviewQueue, SelfHostedBatch, SelfHostedModels, Sensitivity, ServiceTier,
  TenantKnowledgeBase, ToolCallParser, ValidationFinalAction,
} from '../lib';

const CROSS_STACK_REFERENCES = '@aws-cdk/core:defaultCrossStackReferences';

/** Adds the example stacks to `app` (a new App when none is given) and returns it. */
export function buildExampleApp(app: App = new App()): App {
  // Offline synthesis has no account; the Region is fixed so that the template is the same on
  // every machine (override with `-c region=eu-west-1`).
  const env = { region: String(app.node.tryGetContext('region') ?? 'us-east-1') };
  // The models and gateway stacks import the network stack's VPC, and the gateway stack the models' endpoints: keep CloudFormation's
  // strong references (an export cannot be removed while imported) unless the user chose otherwise.
  if (app.node.tryGetContext(CROSS_STACK_REFERENCES) === undefined) app.node.setContext(CROSS_STACK_REFERENCES, 'strong');

  const logging = new Stack(app, 'AiGatewayInvocationLogging', {
    env,
    description: 'cdk-ai-gateway example: Bedrock model invocation logging (account and Region wide)',
  });
  // Text delivery off: the gateway's restricted route reaches Bedrock, and restricted prompts must not
  // land in the account-wide invocation logs (AiGateway refuses the route at synth otherwise).
  const invocationLogging = new ModelInvocationLogging(logging, 'InvocationLogging', { keyPrefix: 'bedrock-invocations', textDataDelivery: false });

  const network = new Stack(app, 'AiGatewayNetwork', {
    env,
    description: 'cdk-ai-gateway example: the VPC of the gateway and the self-hosted models',
  });
  const vpc = new GatewayVpc(network, 'Vpc');

  const selfHostedStack = new Stack(app, 'AiGatewaySelfHosted', {
    env,
    description: 'cdk-ai-gateway example: Llama 3.1 8B Instruct on vLLM, EKS GPU nodes from Karpenter, private to the gateway',
  });
  // TLS to the model when a certificate for *.<domain> is given (required for restricted data).
  const certificateArn = app.node.tryGetContext('selfHostedCertificateArn') as string | undefined;
  const domainName = app.node.tryGetContext('selfHostedDomain') as string | undefined;
  const tls = certificateArn && domainName
    ? { domainName, certificate: acm.Certificate.fromCertificateArn(selfHostedStack, 'ModelCertificate', certificateArn) }
    : undefined;
  // The default weight source, with a token for this gated model (see below); the batch Jobs load the same copy.
  const llamaWeights = ModelWeights.fromHuggingFaceViaS3({
    tokenSecret: secretsmanager.Secret.fromSecretNameV2(selfHostedStack, 'HuggingFaceToken', 'cdk-ai-gateway/hugging-face-token'),
    // Pin a commit of the repository for reproducible copies: the S3 prefix follows it.
    revision: 'main',
  });
  const selfHosted = new SelfHostedModels(selfHostedStack, 'SelfHosted', {
    clusterProps: { vpc },
    tls,
    models: [{
      name: 'llama-8b',
      modelId: 'meta-llama/Llama-3.1-8B-Instruct',
      instanceType: 'g6.xlarge',
      // The default weight source, with a token for this gated model: a one-time Job on the system
      // nodes copies the repository to a KMS-encrypted S3 bucket (token read from this secret,
      // create it first), and every replica loads the weights from S3 — never from Hugging Face.
      // ModelWeights.fromHuggingFace() downloads on every replica instead.
      weights: llamaWeights,
      // Checked at synth against the L4's 24 GiB: the model's own 128K context would not fit.
      maxModelLen: 16_384,
      maxReplicas: 4,
      // Assumed: an L4 serving an 8B model in bf16 at moderate concurrency. Measure yours.
      tokensPerSecond: 400,
      // Tool calls: vLLM reads Llama 3.1's JSON tool calls, and the gateway's target gets the tools
      // capability (without a parser, routing skips the model for requests with tools). vLLM's
      // documentation pairs this parser with its tool chat template for Llama 3.1
      // (`--chat-template`, in extraArgs) where the model's own template falls short.
      toolCallParser: ToolCallParser.LLAMA3_JSON,
    }],
  });

  const stack = new Stack(app, 'AiGatewayExample', {
    env,
    description: 'cdk-ai-gateway example: multi-tenant OpenAI-compatible gateway to Amazon Bedrock',
  });
  // Versioned prompts: every version stored in Bedrock Prompt Management; `prod` serves version 1,
  // `canary` sends 10 % of users (sticky per `user`) to version 2. Rolling back is moving the label.
  const prompts = new PromptRegistry(stack, 'Prompts', {
    prompts: [{
      id: 'support-summary',
      description: 'Summarises a support conversation for the next agent',
      versions: [
        {
          version: 1,
          system: 'You summarise support conversations of {{product}} for the next agent, in at most five bullet points.',
          messages: [{ role: PromptRole.USER, content: 'Conversation:\n{{conversation}}' }],
          variables: [{ name: 'product', maxLength: 100 }, { name: 'conversation', maxLength: 50_000 }],
          inference: { maxTokens: 400, temperature: 0.2 },
          routes: ['support-summary'],
        },
        {
          version: 2,
          system: 'You summarise support conversations of {{product}} for the next agent: the problem, what was tried, the next step.',
          messages: [{ role: PromptRole.USER, content: 'Conversation:\n{{conversation}}' }],
          variables: [{ name: 'product', maxLength: 100 }, { name: 'conversation', maxLength: 50_000 }],
          inference: { maxTokens: 300, temperature: 0.1 },
          routes: ['support-summary'],
          description: 'Fixed three-part structure, fewer output tokens',
        },
      ],
      labels: { prod: { version: 1 }, canary: { weights: { 1: 90, 2: 10 } } },
    }],
  });
  // Retrieval governance: a knowledge base over the documents of an existing bucket (create it
  // first, like the Hugging Face token: private, TLS-only, SSE-KMS, with access logs; name it with
  // `-c knowledgeBaseDocumentsBucket=…`). Each document has a `.metadata.json` sidecar naming its
  // tenant and sensitivity; the knowledge base ingests on deploy and daily, and the gateway fences
  // every search by the caller's tenant and clearance.
  const handbook = new TenantKnowledgeBase(stack, 'Handbook', {
    documents: s3.Bucket.fromBucketName(stack, 'HandbookDocuments',
      String(app.node.tryGetContext('knowledgeBaseDocumentsBucket') ?? 'cdk-ai-gateway-handbook-documents')),
    documentsPrefix: 'handbook/',
  });
  // Human review of answers that fail validation: flagged and rejected answers of validated routes
  // (request id, tenant, workflow, prompt version, validator, reason; the answer itself only for
  // public and internal requests, in a KMS-encrypted quarantine bucket). `cdk-ai-gateway reviews list|resolve`.
  const reviewQueue = new ResponseReviewQueue(stack, 'ResponseReviews');
  const gateway = new AiGateway(stack, 'Gateway', {
    tiers: [
      { name: 'standard', rateLimit: 5, burstLimit: 10, quota: { limit: 100_000, period: apigateway.Period.MONTH } },
      { name: 'premium', rateLimit: 50, burstLimit: 100 },
    ],
    tenants: [
      // acme's requests are never less than internal, whatever a client declares (a key may raise it further).
      {
        id: 'acme', costCenter: 'cc-1001', tier: 'premium', sensitivityClearance: Sensitivity.RESTRICTED, sensitivityFloor: Sensitivity.INTERNAL,
        tags: { team: 'payments' }, allowedKnowledgeSources: ['handbook'],
      },
      { id: 'globex', costCenter: 'cc-2002', tier: 'standard', allowedAliases: ['support-summary'], budget: { monthlyUsd: 200, dailyUsd: 20, softThresholdPercent: 80 } },
    ],
    routes: [
      {
        alias: 'support-summary',
        model: ModelSource.crossRegionProfile(`us.${HAIKU}`),
        fallbackAliases: ['classify'],
        guardrail: true,
        // Screenshots in support conversations (base64 data URLs), the long summarising instructions
        // cached after the system prompt, and the flex tier (summaries can wait; half price).
        capabilities: { images: true, promptCaching: true, serviceTiers: [ServiceTier.FLEX] },
        promptCaching: { afterSystem: true },
        serviceTier: ServiceTier.FLEX,
        description: 'Summaries of support conversations',
      },
      {
        alias: 'classify',
        model: ModelSource.foundationModel(NOVA_MICRO),
        guardrail: false,
        description: 'Cheap, fast classification',
      },
      {
        alias: 'embed',
        model: ModelSource.foundationModel('amazon.titan-embed-text-v2:0'),
        guardrail: false,
        description: 'Embeddings for retrieval (POST /v1/embeddings), Titan Text Embeddings V2',
      },
      {
        // Tool calls and enforced structured output (`response_format: json_schema`, enforced by a
        // forced tool): Claude's family defaults, stated here so a model swap cannot drop them.
        alias: 'agent',
        model: ModelSource.crossRegionProfile('us.anthropic.claude-haiku-4-5-20251001-v1:0'),
        capabilities: { tools: true, structuredOutputs: true },
        guardrail: true,
        description: 'Tool-calling agents and JSON Schema answers',
      },
      {
        alias: 'chat-8b',
        targets: ['llama-8b'],
        fallbackAliases: ['classify'],
        guardrail: false,
        description: 'High-volume chat on the self-hosted Llama 3.1 8B; Bedrock when it is unavailable',
      },
      {
        alias: 'handbook-answer',
        model: ModelSource.crossRegionProfile('us.anthropic.claude-haiku-4-5-20251001-v1:0'),
        guardrail: true,
        // Every request searches the handbook (the last user message is the query); every answer is
        // checked against the passages by the guardrail's contextual grounding. A failed check is a
        // validation failure (validator `grounding`): asked once more with a repair instruction, then
        // returned flagged (x-gateway-validation) and sent to the review queue.
        retrieval: { source: 'handbook', topK: 5, grounding: { guardrail: AiGateway.GUARDRAIL_ID, groundingThreshold: 0.7, relevanceThreshold: 0.5 } },
        validation: { retries: 1, onFailure: ValidationFinalAction.FLAG },
        description: 'Answers from the company handbook, with citations, grounded',
      },
      {
        // The restricted route: PII masked by the gateway guardrail before the model sees the prompt,
        // and admitted only for a tenant × workflow approved with `cdk-ai-gateway approvals grant`.
        alias: 'kyc-review',
        model: ModelSource.foundationModel('amazon.nova-micro-v1:0'),
        restrictedAllowed: true,
        redact: true,
        description: 'Restricted data: KYC file reviews (approval required, PII redacted)',
      },
      {
        // A validated route: every answer must be the JSON the claims system reads and must not hold a
        // card number. A failing answer is repaired once on the same model (the model is told which
        // check failed), then escalated once to the stronger alias below, then rejected (422
        // validation_failed, naming the validator, never the answer) and queued for review. The
        // escalation honours the incident kill switch: a suspended `claims-extract-strong` is skipped.
        alias: 'claims-extract',
        model: ModelSource.foundationModel('amazon.nova-micro-v1:0'),
        guardrail: true,
        validation: {
          jsonSchema: JSON.stringify({
            type: 'object', required: ['claimId', 'amountUsd'], additionalProperties: false,
            properties: { claimId: { type: 'string' }, amountUsd: { type: 'number', minimum: 0 } },
          }),
          forbiddenPatterns: ['\\b\\d{4}[ -]?\\d{4}[ -]?\\d{4}[ -]?\\d{4}\\b'],
          retries: 1,
          escalateTo: 'claims-extract-strong',
          onFailure: ValidationFinalAction.REJECT,
        },
        description: 'Claims extraction to JSON, validated: retry, escalate, reject',
      },
      {
        alias: 'claims-extract-strong',
        model: ModelSource.foundationModel('amazon.nova-pro-v1:0'),
        guardrail: true,
        description: 'The escalation of claims-extract: a stronger model',
      },
    ],
    // Flagged and rejected answers go to the review queue above.
    reviewQueue,
    knowledgeSources: [{ id: 'handbook', source: handbook, maxContextTokens: 2000, costPerQueryUsd: 0.0005 }],
    // The guardrail also scores contextual grounding (never blocks on it) for the grounded route.
    guardrailProps: { contextualGroundingScores: true },
    // Every tier a model offers is priced: flex at half the on-demand price (check your model's tier prices).
    // Classification batches (`/v1/batches`) pay Nova Micro's batch price, half the on-demand one.
    prices: {
      [HAIKU]: { ...BedrockPrices.of(HAIKU)!, tierMultipliers: { [ServiceTier.FLEX]: 0.5 } },
      [NOVA_MICRO]: BedrockPrices.withBatchDiscount(BedrockPrices.of(NOVA_MICRO)!),
    },
    invocationLogging,
    promptRegistry: prompts,
    vpc,
    selfHostedTargets: selfHosted.targets,
    // `-c privateApi=true`: the API is reachable only through an execute-api VPC endpoint in the
    // VPC, admitted by the API's resource policy; the web ACL and the tenant authorizer stay.
    endpointType: String(app.node.tryGetContext('privateApi')) === 'true' ? GatewayEndpointType.PRIVATE : GatewayEndpointType.REGIONAL,
    // The router's and the authorizer's DynamoDB egress is limited to the Region's DynamoDB prefix
    // list, resolved at deploy time; `-c dynamoDbPrefixListId=pl-…` names it instead (no lookup).
    dynamoDbPrefixListId: app.node.tryGetContext('dynamoDbPrefixListId') as string | undefined,
    autoRouting: [
      { alias: 'classify', latencyClasses: [LatencyClass.BATCH], description: 'Batch work goes to the cheapest model' },
      { alias: 'support-summary', description: 'Everything else' },
    ],
    // The usage ledger (on by default) with its sweeper: a router invocation that dies between the
    // budget reservation and the usage record is settled as `abandoned` within twice its timeout.
    usageSweeper: true,
    usageDimensionValueCap: 100,
    // The Batch API for the classification workflow: a tenant uploads a JSONL file of `classify`
    // requests (`/v1/files`, or `cdk-ai-gateway batch submit` above the payload limit) and creates a
    // batch (`/v1/batches`); each line is checked like a synchronous request, the lines run as Bedrock
    // batch inference jobs at the batch price, and each leaves one output or error line and one usage record.
    batch: { maxRunningBatchesPerTenant: 2 },
  });
  // Self-hosted batches: `chat-8b` lines of a batch run as `vllm run-batch` Jobs on the GPU pool (spot
  // preferred) from 22:00 to 06:00 UTC when the completion window allows, priced from the GPU hours each
  // Job used, below the model servers' priority. In this stack, not the self-hosted one: the worker's
  // access entry names the worker's role (this stack), which the self-hosted stack cannot import (this
  // stack already depends on it for the endpoints); from there this stack imports only the cluster's
  // name, ARN, security groups and kubectl provider, and the worker's HTTPS rules to the API endpoint
  // are this stack's resources (no cycle).
  // The Jobs load the model's weights as its Deployment does (`weights`, the same ModelWeights): an S3
  // copy of the gated repository, read through the batch pods' Pod Identity role. The copy is this
  // stack's own (the staging bucket is one per stack, and its one-time copy Job runs in the batch
  // namespace), so the weights are stored twice: tens of GiB, cents a month.
  const llama = selfHosted.models[0];
  new SelfHostedBatch(stack, 'SelfHostedBatch', {
    batch: gateway.batch!,
    cluster: selfHosted.cluster,
    after: [selfHosted.gpuNodePool.manifest, ...(selfHosted.selfHostedCluster?.systemNodeGroup ? [selfHosted.selfHostedCluster.systemNodeGroup] : [])],
    models: [{
      targetId: 'llama-8b', model: 'meta-llama/Llama-3.1-8B-Instruct', servedModelName: llama.servedModelName, instanceType: 'g6.xlarge',
      weights: llamaWeights,
      // The Deployment's context limit (the L4's memory).
      engineArgs: ['--max-model-len', '16384'],
    }],
    idleHours: { startHour: 22, endHour: 6 },
  });
  // The canary rolls itself back: when version 2's error rate, validation-failure rate or cost
  // per request crosses its threshold, the `canary` label goes back to version 1 within a minute
  // of the alarm (no deploy), and `cdk-ai-gateway prompts history` says why. The alarms also
  // notify the gateway's alarm topic.
  new PromptCanaryRollback(stack, 'PromptCanaryRollback', {
    registry: prompts,
    usageTable: gateway.usageTable!,
    alarmTopic: gateway.observability?.alarmTopic,
    canaries: [{ promptId: 'support-summary', label: 'canary', maxErrorRatePercent: 5, maxValidationFailureRatePercent: 10, maxCostPerRequestUsd: 0.02 }],
  });
  // One trace per request: the router's spans (a stage each, the model calls with the GenAI
  // attributes) go to X-Ray's OTLP endpoint (traceExport, X-Ray by default), continuing API
  // Gateway's trace. X-Ray keeps them once CloudWatch Transaction Search is on: an account-wide
  // setting, so deploy it once, here with `-c transactionSearch=true`.
  if (String(app.node.tryGetContext('transactionSearch')) === 'true') {
    new GatewayTransactionSearch(stack, 'TransactionSearch', { indexingPercentage: 1 });
  }
  // The audit trail, for accounts whose organisation trail does not record these: every management
  // event, and who read or changed a tenant key or an incident control (DynamoDB data events).
  new GatewayAuditTrail(stack, 'AuditTrail', {
    tables: [
      gateway.tenantKeyTable,
      ...(gateway.incidentControls ? [gateway.incidentControls.table] : []),
      ...(gateway.approvals ? [gateway.approvals.table] : []),
    ],
  });
  new CfnOutput(stack, 'ApprovalsTable', {
    value: gateway.approvals!.tableName,
    description: 'cdk-ai-gateway approvals grant|revoke|list --table <this>',
  });
  new CfnOutput(stack, 'IncidentControlsTable', {
    value: gateway.incidentControls!.tableName,
    description: 'cdk-ai-gateway incident <action> --table <this>',
  });
  new CfnOutput(stack, 'ReviewsTable', {
    value: reviewQueue.table.tableName,
    description: 'cdk-ai-gateway reviews list|resolve --table <this>',
  });
  new CfnOutput(stack, 'BaseUrl', {
    value: gateway.baseUrl,
    description: 'OpenAI-compatible base URL',
  });
  return app;
}

/** Claude Haiku 4.5 (the price table's key; its US cross-Region profile serves `support-summary`). */
const HAIKU = 'anthropic.claude-haiku-4-5-20251001-v1:0';
/** Amazon Nova Micro: `classify`, and the classification batches. */
const NOVA_MICRO = 'amazon.nova-micro-v1:0';

if (require.main === module) {
  const app = new App();
  GatewayCompliance.addPacks(app);
  buildExampleApp(app);
  app.synth();
}
