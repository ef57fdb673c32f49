/** How far the library implements a governance control. */
export enum GovernanceControlStatus {
  /** Built, configured by default and tested. */
  IMPLEMENTED = 'IMPLEMENTED',
  /** Built in part; the gap says what is missing. */
  PARTIAL = 'PARTIAL',
  /** Not built yet; the gap says what a reviewer must look for elsewhere. */
  NOT_BUILT = 'NOT_BUILT',
}

/** A fact a reviewer can check in the synthesized templates: a resource type with a property set. */
export interface GovernanceEvidence {
  /** The CloudFormation resource type: `AWS::DynamoDB::Table`. */
  readonly resourceType: string;
  /**
   * A property path that must be present (dot-separated, as in the template): `SSESpecification.KMSMasterKeyId`.
   * @default - the resource's presence is the evidence
   */
  readonly property?: string;
  /** What it shows. */
  readonly description: string;
}

/** One governance control of a fintech AI platform, mapped to what implements it. */
export interface GovernanceControl {
  /** The control: `Tenant-aware access control`. */
  readonly control: string;
  /** How far the library implements it. */
  readonly status: GovernanceControlStatus;
  /** The constructs and runtime parts that implement it. */
  readonly implementedBy: string[];
  /** The settings (props and their defaults) that matter. */
  readonly settings: string[];
  /** The test files that prove it. */
  readonly tests: string[];
  /** What to look for in the templates. */
  readonly evidence: GovernanceEvidence[];
  /**
   * What is not built, when the status is not IMPLEMENTED.
   * @default - nothing missing
   */
  readonly gap?: string;
}

/** A control with how many template resources show each of its evidence items. */
export interface GovernanceControlReport extends GovernanceControl {
  /** For each evidence item, in order: the number of resources of the app's templates that show it. */
  readonly evidenceFound: number[];
}

/**
 * The governance controls a fintech reviewer asks about (tenant-aware access control, data
 * minimisation, prompt redaction, logging policy, approval workflows, escalation, auditability,
 * incident response), mapped to the constructs, settings and tests that implement them, with the
 * template evidence `ComplianceReport` counts in the synthesized app.
 */
export class GovernanceControls {
  /** Every control, in report order. */
  public static all(): GovernanceControl[] {
    return [
      {
        control: 'Tenant-aware access control',
        status: GovernanceControlStatus.IMPLEMENTED,
        implementedBy: ['TenantKeyTable', 'TenantAuthorizer (lambda/authorizer)', 'TenantUsagePlans', 'TenantInferenceProfiles', 'router tenant and policy stages'],
        settings: ['tenant keys stored as SHA-256 only', 'every method: CUSTOM authorizer and usage identifier', 'per-tenant application inference profiles; the router may invoke only those', 'allowedAliases and sensitivityClearance per tenant', 'endpointType PRIVATE (optional)'],
        tests: ['test/gateway/tenant-keys/', 'test/lambda/authorizer/', 'test/gateway/ai-gateway.test.ts', 'test/gateway/gateway-private-api.test.ts', 'test/router/gateway.test.ts'],
        evidence: [
          { resourceType: 'AWS::ApiGateway::Authorizer', property: 'AuthorizerUri', description: 'the Lambda authorizer on the API' },
          { resourceType: 'AWS::ApiGateway::UsagePlan', property: 'Throttle', description: 'a usage plan per tier' },
          { resourceType: 'AWS::Bedrock::ApplicationInferenceProfile', property: 'Tags', description: 'a tagged inference profile per tenant and alias' },
        ],
      },
      {
        control: 'Data minimisation',
        status: GovernanceControlStatus.PARTIAL,
        implementedBy: ['GatewayApi (access log fields)', 'router usage records', 'UsageTable (record TTL)'],
        settings: ['access logs and usage records hold ids, counts and costs, never prompt text', 'execution logs without data trace', 'usage records expire (recordTtlDays)', 'restricted requests never written to the gateway logs'],
        tests: ['test/gateway/gateway-api.test.ts', 'test/usage/', 'test/router/gateway.test.ts'],
        evidence: [
          { resourceType: 'AWS::ApiGateway::Stage', property: 'AccessLogSetting.Format', description: 'access log format without bodies or keys' },
          { resourceType: 'AWS::DynamoDB::Table', property: 'TimeToLiveSpecification.AttributeName', description: 'usage records expire' },
        ],
        gap: 'Bedrock model invocation logging (ModelInvocationLogging) stores prompts and completions in full when enabled; minimising or redacting them is not built.',
      },
      {
        control: 'Prompt redaction',
        status: GovernanceControlStatus.IMPLEMENTED,
        implementedBy: ['GatewayGuardrail (PII filters)', 'router redaction stage (every prompt text through ApplyGuardrail before any target)', 'router input and output guardrail stages'],
        settings: [
          'AiGateway route `redact: true` (config `redactionGuardrail`): Bedrock and self-hosted targets alike, fail closed',
          'guardrail with PII anonymisation on routes that enable it', 'local mode: a pattern redactor, local only',
          'masked entities counted in the `x-gateway-redacted` header and the usage record (`redactedEntities`)',
          'a validation escalation is redacted again by its own route\'s redaction guardrail before its target sees the prompt',
        ],
        tests: ['test/router/restricted/redaction.test.ts', 'test/router/validation/escalation-targets.test.ts', 'test/bedrock/guardrails/', 'test/router/pipeline/'],
        evidence: [{ resourceType: 'AWS::Bedrock::Guardrail', property: 'SensitiveInformationPolicyConfig', description: 'a guardrail with sensitive-information filters' }],
      },
      {
        control: 'Logging policy',
        status: GovernanceControlStatus.IMPLEMENTED,
        implementedBy: ['every log group the platform produces, created in the templates', 'AiGateway-ServiceLogGroupManaged rule'],
        settings: ['KMS customer key, retention (one year by default) and RETAIN on access, execution, function, WAF, EKS control-plane, kubectl provider and trail log groups'],
        tests: ['test/compliance/rules/service-log-group-managed.test.ts', 'test/gateway/gateway-api.test.ts', 'test/selfhosted/eks/self-hosted-cluster.test.ts'],
        evidence: [
          { resourceType: 'AWS::Logs::LogGroup', property: 'KmsKeyId', description: 'log groups encrypted with a customer key' },
          { resourceType: 'AWS::Logs::LogGroup', property: 'RetentionInDays', description: 'log groups with a retention' },
        ],
      },
      {
        control: 'Outbound requests on client input (image URLs)',
        status: GovernanceControlStatus.IMPLEMENTED,
        implementedBy: ['router image stage and fetcher (lambda/router/images/fetch.ts)', 'route imageFetch allow-lists', 'router security group egress (routerEgress) in a VPC'],
        settings: [
          'image URLs refused unless the route lists the host (imageFetch.allowedHosts, exact names); base64 data URLs otherwise',
          'https and port 443 only, no credentials in URLs, same-host redirects only (at most 3)',
          'every resolved address public (no loopback, private, link-local or metadata addresses), the connection pinned to the checked address',
          'size limit (limits.maxImageBytes) and timeout (imageFetch.timeoutMs); image bytes checked by magic number',
        ],
        tests: ['test/router/images/fetch.test.ts', 'test/router/images/sniff.property.test.ts', 'test/router/e2e/openai-surface.test.ts'],
        evidence: [
          { resourceType: 'AWS::AppConfig::ConfigurationProfile', property: 'Validators', description: 'the router configuration, allow-lists included, validated against its schema before deployment' },
        ],
      },
      {
        control: 'Approval workflows',
        status: GovernanceControlStatus.IMPLEMENTED,
        implementedBy: ['ApprovalsTable', 'router approval stage', 'cdk-ai-gateway approvals grant|revoke|list', 'ResponseReviewQueue', 'cdk-ai-gateway reviews list|resolve'],
        settings: [
          'restricted data admitted only for a tenant × workflow with an approval in force (approver IAM ARN, ticket, reason, expiry), else 403 approval_required',
          'append-only history of every grant and revoke',
          'the usage record of each admitted restricted request names its approval (ticket, approver, grant and expiry times; never the reason)',
          'on by default with a restricted route (AiGateway `approvals`)',
          'flagged and rejected answers wait in a review queue until a reviewer (IAM ARN from STS) resolves them with a note',
        ],
        tests: ['test/router/restricted/approvals.test.ts', 'test/router/restricted/local-mode.test.ts', 'test/gateway/restricted-route.test.ts', 'test/cli/reviews.test.ts'],
        evidence: [{ resourceType: 'AWS::DynamoDB::Table', property: 'DeletionProtectionEnabled', description: 'the approvals table (among others) with deletion protection' }],
        gap: 'Pass the approvals and reviews tables to GatewayAuditTrail `tables` to capture their data events.',
      },
      {
        control: 'Restricted route',
        status: GovernanceControlStatus.IMPLEMENTED,
        implementedBy: ['router tenant and policy stages (sensitivity floor)', 'router approval and redaction stages', 'GatewayConfigValidator (TLS-only targets)', 'AiGateway synth checks (invocation logging)', 'router usage records and logs'],
        settings: [
          'sensitivity floor per tenant (`sensitivityFloor`) and per key (`keys create --sensitivity-floor`): a hint can raise it, never lower it',
          'restricted requests reach only `restrictedAllowed` routes whose targets are Bedrock or https (TLS) endpoints',
          'a restricted Bedrock route is refused at synth while ModelInvocationLogging delivers text, unless `restrictedTextLoggingReason` says why',
          'restricted prompts and answers never in the gateway logs, usage records or error details',
        ],
        tests: ['test/router/restricted/', 'test/shared/restricted-checks.test.ts', 'test/gateway/restricted-route.test.ts'],
        evidence: [{
          resourceType: 'AWS::AppConfig::HostedConfigurationVersion', property: 'Content',
          description: 'the router configuration (validated at synth: sensitivity floors, TLS-only restricted routes, redaction guardrails, the approval requirement)',
        }],
      },
      {
        control: 'Escalation',
        status: GovernanceControlStatus.IMPLEMENTED,
        implementedBy: ['router validation stage (route and prompt-version `validation`)', 'ResponseReviewQueue', 'cdk-ai-gateway reviews list|resolve', 'GatewayObservability (validation failures)'],
        settings: [
          'answers checked against the request\'s and the route\'s JSON schema, required/forbidden patterns, length bounds, the guardrail\'s assessment and an optional validator function',
          'patterns (validation and JSON schema `pattern`) run by a linear-time matcher (Thompson NFA, Pike VM): bounded steps whatever the answer; back-references and lookaround refused at synth',
          'on failure: retry with a repair instruction, escalate to another alias (tenant policy, the sensitivity floor and the incident kill switch re-applied; its own redaction and input guardrail), then reject (422 validation_failed) or flag',
          'an escalation that cannot be used (suspended, not allowed, blocked) is skipped and the usage record says why (`escalationSkipped`)',
          'flagged and rejected answers to a KMS-encrypted review queue with a dead-letter queue; content only when the sensitivity allows, in a quarantine bucket with a lifecycle',
          'validation failures in the usage record, per-route metrics, a dashboard widget and an alarm',
        ],
        tests: ['test/router/validation/', 'test/shared/linear-pattern.property.test.ts', 'test/validation/', 'test/example/example-app.test.ts', 'test/cli/reviews.test.ts'],
        evidence: [{ resourceType: 'AWS::SQS::Queue', property: 'KmsMasterKeyId', description: 'the review queue encrypted with a customer key' }],
      },
      {
        control: 'Auditability',
        status: GovernanceControlStatus.IMPLEMENTED,
        implementedBy: ['GatewayAuditTrail', 'ModelInvocationLogging', 'UsageTable (one record per request)', 'compliance report'],
        settings: ['all management events; DynamoDB data events of the key and controls tables; Bedrock guardrail data events', 'log-file validation, KMS, optional Object Lock'],
        tests: ['test/audit/gateway-audit-trail.test.ts', 'test/bedrock/invocation-logging/', 'test/usage/'],
        evidence: [
          { resourceType: 'AWS::CloudTrail::Trail', property: 'EnableLogFileValidation', description: 'a trail with log-file validation' },
          { resourceType: 'AWS::CloudTrail::Trail', property: 'AdvancedEventSelectors', description: 'data event selectors for the gateway tables and Bedrock' },
        ],
      },
      {
        control: 'Traceability',
        status: GovernanceControlStatus.IMPLEMENTED,
        implementedBy: ['router spans (OpenTelemetry GenAI conventions) exported to AWS X-Ray', 'GatewayRouter traceExport', 'GatewayTransactionSearch (opt-in)', 'GatewayObservability trace-chain widgets and queries', 'cdk-ai-gateway advise'],
        settings: ['one trace per request continuing API Gateway\'s, a span per stage and model call, carrying the request id of logs, usage record and feedback', 'exported after the answer, bounded queue, drops counted'],
        tests: ['test/router/tracing/', 'test/gateway/gateway-router-traces.test.ts', 'test/observability/', 'test/cli/advise/'],
        evidence: [
          { resourceType: 'AWS::Lambda::Function', property: 'TracingConfig', description: 'functions with X-Ray tracing (the router continues the trace with its spans)' },
        ],
      },
      {
        control: 'Incident response',
        status: GovernanceControlStatus.IMPLEMENTED,
        implementedBy: ['IncidentControlsTable', 'router incident-controls stage', 'cdk-ai-gateway incident', 'GatewayObservability alarms', 'docs/RUNBOOK.md'],
        settings: [
          'suspend a tenant, key, route or target, or force a fallback, within 30 s without a deploy',
          'a suspended tenant or key refused (403) before any other work on every router endpoint',
          'the controls apply to validation escalations as to the first route (a suspended route or target is never escalated to)',
          'every action in an append-only history with the operator IAM ARN',
        ],
        tests: ['test/router/incident/', 'test/router/validation/escalation-targets.test.ts', 'test/incident/incident-controls-table.test.ts'],
        evidence: [
          { resourceType: 'AWS::DynamoDB::Table', property: 'PointInTimeRecoverySpecification', description: 'the controls table (among others) with point-in-time recovery' },
          { resourceType: 'AWS::CloudWatch::Alarm', property: 'AlarmActions', description: 'alarms that notify' },
        ],
      },
      {
        control: 'Batch route',
        status: GovernanceControlStatus.IMPLEMENTED,
        implementedBy: ['BatchRoute (AiGateway `batch`)', 'router Batch API (lambda/router/batch)', 'batch worker (Bedrock job state changes, a 5-minute tick)', 'cdk-ai-gateway batch'],
        settings: [
          'batch files, Bedrock job files and spilled lists in an SSE-KMS bucket (the gateway key): TLS-only, private, versioned, server access logs, expired per prefix after `retention` (30 days by default)',
          'the Bedrock batch service role: assumable by bedrock.amazonaws.com for this account\'s jobs only, reads job inputs and writes job outputs under jobs/ only, invokes only the tenants\' inference profiles; no inline policy',
          'the router starts jobs only on the tenants\' inference profiles and the models they route to, with named actions on the state table, its two indexes and the bucket\'s prefixes',
          'the batch state table: encrypted with the gateway key, point-in-time recovery, items expire (ttl) with the files',
          'every line checked like a synchronous request before any runs; exactly one output or error line and one usage record (`<batch id>.<line>`) per line, at the batch price, or the on-demand price for lines no job took',
          'the 24 h completion window: lines still unfinished end `batch_expired`; cancellation stops the batch\'s jobs',
        ],
        tests: ['test/batch/batch-route.test.ts', 'test/router/batch/'],
        evidence: [
          { resourceType: 'AWS::S3::Bucket', property: 'BucketEncryption.ServerSideEncryptionConfiguration.0.ServerSideEncryptionByDefault.KMSMasterKeyID', description: 'buckets encrypted with a customer key (the batch bucket among them)' },
          { resourceType: 'AWS::S3::Bucket', property: 'LifecycleConfiguration.Rules.0.Prefix', description: 'the batch bucket, its files expired per prefix' },
          { resourceType: 'AWS::IAM::Role', property: 'AssumeRolePolicyDocument.Statement.0.Condition.ArnLike', description: 'service roles assumable only for this account\'s resources (the Bedrock batch service role among them)' },
          { resourceType: 'AWS::Events::Rule', property: 'EventPattern', description: 'the rule that sends Bedrock batch job state changes to the worker' },
          { resourceType: 'AWS::Scheduler::Schedule', property: 'Target.DeadLetterConfig.Arn', description: 'scheduled workers (the batch tick among them) with a dead-letter queue' },
        ],
      },
      {
        control: 'Retrieval governance',
        status: GovernanceControlStatus.PARTIAL,
        implementedBy: ['TenantKnowledgeBase', 'AiGateway knowledgeSources (bedrock:Retrieve on exactly those knowledge bases)', 'router retrieval stage', 'grounding check'],
        settings: [
          'knowledge sources granted per tenant (allowedKnowledgeSources)',
          'every search filtered by the gateway: tenant AND sensitivity at most the request\'s, AND the client filter (narrows only)',
          'every returned passage checked against tenant and clearance again',
          'context budget per source (maxResults, minScore, maxContextTokens, budgetSharePercent, costPerQueryUsd)',
          'contextual grounding per route: a failure follows the route\'s validation policy (validator grounding: retry, escalate, reject 422, flag), else 502 grounding_failed',
          'vector store: S3 Vectors, or OpenSearch Serverless with a customer-key encryption policy, Bedrock-only network policy and a data access policy scoped to the knowledge base role',
          'local sources searched with BM25 or by embeddings (OpenAI-compatible /v1/embeddings) behind the same tenant and clearance filter',
          'document ids, scores, context tokens and retrieval cost in the usage record; gateway.retrieval and gateway.validation spans',
          'ingestion on deploy (on create and on each data source configuration change) and on a schedule',
        ],
        tests: ['test/router/retrieval/', 'test/retrieval/'],
        evidence: [
          { resourceType: 'AWS::Bedrock::KnowledgeBase', property: 'StorageConfiguration', description: 'a knowledge base and its vector store' },
          { resourceType: 'AWS::S3Vectors::VectorBucket', property: 'EncryptionConfiguration.KmsKeyArn', description: 'a vector store encrypted with a customer key' },
          { resourceType: 'Custom::KnowledgeBaseIngestion', property: 'Create', description: 'an ingestion job started on deploy' },
        ],
        gap: 'Not verified against a deployment: that CloudFormation creates the OpenSearch Serverless vector index through a network policy that admits only Amazon Bedrock (add the deployment\'s VPC endpoint to vpcEndpointIds if it cannot).',
      },
      {
        control: 'Self-hosted batch Jobs (least privilege, cost attribution)',
        status: GovernanceControlStatus.PARTIAL,
        implementedBy: ['SelfHostedBatch', 'batch worker self-hosted launcher (lambda/router/batch/self-hosted-jobs.ts)', 'EKS token of the worker role (no kubectl, no stored credentials)'],
        settings: [
          'the worker role\'s access entry maps it to a Kubernetes group bound to a Role of the batch namespace only (Jobs create/get/list/delete, pods and logs get/list), no access policy',
          'the Jobs\' pods read only jobs/*/input.jsonl and write only jobs/*/output.jsonl of the batch bucket (EKS Pod Identity; the key only through S3), and a model\'s weights as its Deployment does (the weights prefix and its key, or the Hugging Face token secret)',
          'a PriorityClass below the model servers\' with preemptionPolicy Never; activeDeadlineSeconds = the rest of the completion window',
          'one usage record per line, priced from the Job\'s GPU hours shared by tokens',
        ],
        tests: ['test/batch/self-hosted-batch.test.ts', 'test/router/batch/self-hosted-jobs.test.ts', 'test/router/batch/eks-token.test.ts'],
        evidence: [
          { resourceType: 'AWS::EKS::AccessEntry', property: 'KubernetesGroups', description: 'an access entry mapped to Kubernetes groups (no access policy)' },
          { resourceType: 'AWS::EKS::PodIdentityAssociation', property: 'ServiceAccount', description: 'a service account with its own Pod Identity role' },
        ],
        gap: 'Not yet deployed by the example app; the GPU hours of a Job that answered no line are charged to no tenant.',
      },
    ];
  }
}
