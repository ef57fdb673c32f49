import { App, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  GatewayCompliance, GatewayGuardrail, ModelInvocationLogging, ModelSource, TenantInferenceProfiles, TenantKeyTable,
  TenantUsagePlans, UsageTable,
} from '../../lib';

/**
 * The grants of grant-acknowledgments.test.ts and the fixture app that applies them, synthesized
 * once per run by the shared synthesis (test/helpers/synthesis). Not a test file: the synthesis
 * server loads it with its TypeScript require hook.
 */

const ENV = { account: '111122223333', region: 'us-east-1' };
const INLINE = ['NIST.800.53.R5-IAMNoInlinePolicy', 'HIPAA.Security-IAMNoInlinePolicy', 'PCI.DSS.321-IAMNoInlinePolicy'];
const REASON = 'Test fixture: the role of an operator who needs exactly this grant, as the README documents for it.';

export interface GrantCase {
  /** The README that documents the grant, relative to the repository root. */
  readonly readme: string;
  /** The grant as the README names it. */
  readonly grant: string;
  /** The ids as the README writes them (no logical-id hash). */
  readonly documented: string[];
  /** Grants to `role` and returns the concrete ids to acknowledge on it. */
  readonly apply: (stack: Stack, role: iam.Role) => string[];
}

/** Shared constructs of the fixture stack, built once. */
interface Fixture {
  readonly logging: ModelInvocationLogging;
  readonly profiles: TenantInferenceProfiles;
  readonly guardrail: GatewayGuardrail;
  readonly usage: UsageTable;
  readonly keys: TenantKeyTable;
  readonly plans: TenantUsagePlans;
}
/** Set by `grantsApp` before the grants apply. */
let fixture: Fixture;

export const CASES: GrantCase[] = [
  {
    readme: 'lib/bedrock/invocation-logging/README.md',
    grant: 'grantRead',
    documented: [
      'AwsSolutions-IAM5[Action::s3:GetObject*]', 'AwsSolutions-IAM5[Action::s3:GetBucket*]', 'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Resource::<bucket ARN>/<keyPrefix>/*]', 'AwsSolutions-IAM5[Resource::<bucket ARN>/<largeDataDeliveryKeyPrefix>/*]', ...INLINE,
    ],
    apply: (_stack, role) => {
      const { logging } = fixture;
      logging.grantRead(role);
      return [
        'AwsSolutions-IAM5[Action::s3:GetObject*]', 'AwsSolutions-IAM5[Action::s3:GetBucket*]', 'AwsSolutions-IAM5[Action::s3:List*]',
        GatewayCompliance.wildcardResourceFindingId(role, logging.bucket.arnForObjects(`${logging.keyPrefix}/*`)),
        GatewayCompliance.wildcardResourceFindingId(role, logging.bucket.arnForObjects(`${logging.largeDataDeliveryKeyPrefix}/*`)),
        ...INLINE,
      ];
    },
  },
  {
    readme: 'lib/bedrock/README.md',
    grant: 'grantInvoke',
    documented: ['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/<model id>]', ...INLINE],
    apply: (_stack, role) => {
      fixture.profiles.grantInvoke(role);
      return ['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0]', ...INLINE];
    },
  },
  {
    readme: 'lib/bedrock/README.md',
    grant: 'grantInvokeTenant',
    documented: ['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/<model id>]', ...INLINE],
    apply: (_stack, role) => {
      fixture.profiles.grantInvokeTenant(role, 'acme');
      return ['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0]', ...INLINE];
    },
  },
  {
    readme: 'lib/bedrock/README.md',
    grant: 'grantInvokeProfile',
    documented: INLINE,
    apply: (_stack, role) => { fixture.profiles.grantInvokeProfile(role, 'acme', 'fast'); return INLINE; },
  },
  {
    readme: 'lib/bedrock/README.md',
    grant: 'grantApply',
    documented: INLINE,
    apply: (_stack, role) => { fixture.guardrail.grantApply(role); return INLINE; },
  },
  {
    readme: 'lib/usage/README.md',
    grant: 'grantWriteUsage',
    documented: INLINE,
    apply: (_stack, role) => { fixture.usage.grantWriteUsage(role); return INLINE; },
  },
  {
    readme: 'lib/usage/README.md',
    grant: 'grantReadUsage',
    documented: INLINE,
    apply: (_stack, role) => { fixture.usage.grantReadUsage(role); return INLINE; },
  },
  {
    readme: 'lib/gateway/tenant-keys/README.md',
    grant: 'grantReadKeys',
    documented: INLINE,
    apply: (_stack, role) => { fixture.keys.grantReadKeys(role); return INLINE; },
  },
  {
    readme: 'lib/gateway/tenant-keys/README.md',
    grant: 'grantManageKeys',
    documented: ['AwsSolutions-IAM5[Action::kms:ReEncrypt*]', 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', ...INLINE],
    apply: (_stack, role) => {
      fixture.keys.grantManageKeys(role);
      return ['AwsSolutions-IAM5[Action::kms:ReEncrypt*]', 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', ...INLINE];
    },
  },
  {
    readme: 'lib/gateway/tenant-keys/README.md',
    grant: 'grantReadApiKeys',
    documented: ['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<region>::/apikeys/*]', ...INLINE],
    apply: (_stack, role) => {
      fixture.plans.grantReadApiKeys(role);
      return ['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:us-east-1::/apikeys/*]', ...INLINE];
    },
  },
];

export const roleId = (c: GrantCase) => `${c.grant[0].toUpperCase()}${c.grant.slice(1)}Role`;

/** One stack: the constructs whose grants the READMEs show, and one role per grant with its documented acknowledgments. */
export function grantsApp(app: App): void {
  const stack = new Stack(app, 'Grants', { env: ENV });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const keys = new TenantKeyTable(stack, 'Keys', { encryptionKey: key });
  const api = new apigateway.RestApi(stack, 'Api', { apiKeySourceType: apigateway.ApiKeySourceType.AUTHORIZER });
  api.root.addMethod('GET', new apigateway.MockIntegration());
  fixture = {
    logging: new ModelInvocationLogging(stack, 'Logging'),
    profiles: new TenantInferenceProfiles(stack, 'Profiles', {
      tenants: [{ id: 'acme', costCenter: 'cc-1' }],
      models: [
        { alias: 'chat', source: ModelSource.crossRegionProfile('us.anthropic.claude-haiku-4-5-20251001-v1:0') },
        { alias: 'fast', source: ModelSource.foundationModel('amazon.nova-micro-v1:0') },
      ],
    }),
    guardrail: new GatewayGuardrail(stack, 'Guardrail', {}),
    usage: new UsageTable(stack, 'Usage', { encryptionKey: key }),
    keys,
    plans: new TenantUsagePlans(stack, 'Plans', {
      tenantKeyTable: keys.table,
      tiers: [{ name: 'standard', rateLimit: 1, burstLimit: 2 }],
      stages: [{ api, stage: api.deploymentStage }],
    }),
  };
  for (const c of CASES) {
    const role = new iam.Role(stack, roleId(c), { assumedBy: new iam.AccountRootPrincipal() });
    for (const id of c.apply(stack, role)) GatewayCompliance.acknowledge(role, id, REASON);
  }
}
