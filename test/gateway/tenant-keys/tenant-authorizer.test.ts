import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { GatewayCompliance, TenantAuthorizer, TenantAuthorizerProps, TenantKeyTable } from '../../../lib';
import { AiGatewayValidationError } from '../../../lib/private/errors';
import { actionsOf, DENY_GRANTS_EXCEPT_FOR_AWS_SERVICES, statementsOfRole } from '../../helpers/iam-statements';

function stack(env: { account?: string; region: string } = { account: '111122223333', region: 'eu-west-1' }): Stack {
  return new Stack(new App(), 'Test', { env });
}

/** The finding ids acknowledged on the construct at `path` (relative to the stack), sorted. */
function acknowledgedOn(s: Stack, path: string): string[] {
  return GatewayCompliance.reviewAcknowledgments(s)
    .filter((a) => a.constructPath === `${s.node.path}/${path}`)
    .map((a) => a.findingId).sort();
}

/** A tiny REST API with one method using the authorizer (a RequestAuthorizer must be attached to synthesize). */
function withApi(s: Stack, authorizer: TenantAuthorizer): apigateway.RestApi {
  const api = new apigateway.RestApi(s, 'Api', { apiKeySourceType: apigateway.ApiKeySourceType.AUTHORIZER });
  api.root.addMethod('GET', new apigateway.MockIntegration(), { authorizer: authorizer.authorizer, apiKeyRequired: true });
  return api;
}

function synth(props: TenantAuthorizerProps = {}, prepare?: (s: Stack) => TenantAuthorizerProps, s = stack()): { template: Template; authorizer: TenantAuthorizer; stack: Stack } {
  const authorizer = new TenantAuthorizer(s, 'Tenants', { ...props, ...(prepare ? prepare(s) : {}) });
  withApi(s, authorizer);
  return { template: Template.fromStack(s), authorizer, stack: s };
}

const only = (template: Template, type: string): string => {
  const ids = Object.keys(template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0];
};

describe('TenantAuthorizer defaults', () => {
  const { template } = synth();

  test('the function: the latest Node.js runtime, arm64, the bundled handler, 256 MiB, 10 s, X-Ray tracing', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      TracingConfig: { Mode: 'Active' },
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 10,
      VpcConfig: Match.absent(),
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  test('the environment names the table and the in-memory cache, nothing secret', () => {
    const tableId = only(template, 'AWS::DynamoDB::Table');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          TENANT_KEY_TABLE_NAME: { Ref: tableId },
          KEY_CACHE_TTL_SECONDS: '30',
          KEY_CACHE_MAX_ENTRIES: '10000',
          POWERTOOLS_SERVICE_NAME: 'cdk-ai-gateway-authorizer',
        },
      },
    });
  });

  test('a log group kept one year, encrypted with its own rotating key usable by CloudWatch Logs for that log group only', () => {
    const fnId = only(template, 'AWS::Lambda::Function');
    const logGroupId = only(template, 'AWS::Logs::LogGroup');
    const fn = template.findResources('AWS::Lambda::Function')[fnId];
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
    const logGroup = template.findResources('AWS::Logs::LogGroup')[logGroupId];
    expect(logGroup.Properties.RetentionInDays).toBe(365);
    const keyRef = logGroup.Properties.KmsKeyId['Fn::GetAtt'][0] as string;
    template.hasResource('AWS::KMS::Key', {
      Properties: {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([{
            Sid: 'AllowCloudWatchLogsToEncryptLogGroups',
            Effect: 'Allow',
            Principal: { Service: { 'Fn::Join': ['', ['logs.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
            Resource: '*',
            Condition: {
              ArnLike: {
                // CloudFormation names it <stack name>-<logical id>-<random suffix>.
                'kms:EncryptionContext:aws:logs:arn': [{
                  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:eu-west-1:111122223333:log-group:Test-${logGroupId}-*`]],
                }],
              },
            },
          }]),
        },
      },
    });
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toContain(keyRef);
  });

  test('both keys it creates let only AWS services create grants (CT.KMS.PR.3)', () => {
    const keys = Object.values(template.findResources('AWS::KMS::Key'));
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key.Properties.KeyPolicy.Statement).toContainEqual(DENY_GRANTS_EXCEPT_FOR_AWS_SERVICES);
    }
  });

  test('IAM: its own log group, exactly GetItem on the tenant-key table and kms:Decrypt on its key, in a customer-managed policy', () => {
    const tableId = only(template, 'AWS::DynamoDB::Table');
    const tableKeyId = (template.findResources('AWS::DynamoDB::Table')[tableId].Properties.SSESpecification.KMSMasterKeyId['Fn::GetAtt'] as string[])[0];
    const logGroupId = only(template, 'AWS::Logs::LogGroup');
    // No inline policy (NIST/HIPAA/PCI IAMNoInlinePolicy).
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          { Sid: 'WriteOwnLogs', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
          { Action: 'dynamodb:GetItem', Effect: 'Allow', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
          { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [tableKeyId, 'Arn'] } },
        ],
      },
    });
  });

  test('IAM: the execution role has no AWS managed policy and no inline policy; X-Ray writes sit in their own policy', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
    const role = template.findResources('AWS::IAM::Role')[roleId];
    expect(role.Properties.Policies).toBeUndefined();
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    // Every attached policy is one of this template's customer-managed policies (not AWSLambdaBasicExecutionRole).
    expect(role.Properties.ManagedPolicyArns).toHaveLength(2);
    for (const arn of role.Properties.ManagedPolicyArns) expect(Object.keys(policies)).toContain(arn.Ref);
    const tracing = Object.values(policies).filter((p) => JSON.stringify(p).includes('xray:'));
    expect(tracing).toHaveLength(1);
    expect(tracing[0].Properties.PolicyDocument.Statement).toEqual([
      { Sid: 'WriteTraces', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
    ]);
  });

  test('the API Gateway authorizer: REQUEST, keyed on the Authorization header, cached 60 s', () => {
    const fnId = only(template, 'AWS::Lambda::Function');
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 60,
      AuthorizerUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [fnId, 'Arn'] }])] }),
    });
  });

  test('only this API’s authorizer may invoke the function', () => {
    const authorizerId = only(template, 'AWS::ApiGateway::Authorizer');
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/authorizers/'), { Ref: authorizerId }])] }),
    });
  });

  test('the method uses the authorizer', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: only(template, 'AWS::ApiGateway::Authorizer') },
      ApiKeyRequired: true,
    });
  });

  test('it creates a TenantKeyTable with the secure defaults', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
    });
  });
});

describe('TenantAuthorizer props', () => {
  test('cache TTLs, entries, memory, name and log retention are configurable; a TTL of 0 disables API Gateway caching', () => {
    const { template } = synth({
      resultsCacheTtl: Duration.seconds(0), keyCacheTtl: Duration.minutes(2), keyCacheMaxEntries: 500, memorySize: 512, reservedConcurrentExecutions: 50,
      authorizerName: 'tenant-keys', logRetention: logs.RetentionDays.THREE_MONTHS,
    });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0, Name: 'tenant-keys' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      ReservedConcurrentExecutions: 50,
      Environment: { Variables: Match.objectLike({ KEY_CACHE_TTL_SECONDS: '120', KEY_CACHE_MAX_ENTRIES: '500' }) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  test('an imported table is read, and no table is created', () => {
    const { template, authorizer } = synth({}, (s) => ({
      tenantKeyTable: dynamodb.Table.fromTableAttributes(s, 'Existing', {
        tableName: 'existing-keys',
        encryptionKey: kms.Key.fromKeyArn(s, 'ExistingKey', 'arn:aws:kms:eu-west-1:111122223333:key/existing'),
      }),
    }));
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(authorizer.tenantKeyTable).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TENANT_KEY_TABLE_NAME: 'existing-keys' }) },
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Sid: 'WriteOwnLogs' }),
          {
            Action: 'dynamodb:GetItem', Effect: 'Allow',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:eu-west-1:111122223333:table/existing-keys']] },
          },
          { Action: 'kms:Decrypt', Effect: 'Allow', Resource: 'arn:aws:kms:eu-west-1:111122223333:key/existing' },
        ],
      },
    });
  });

  test('a TenantKeyTable passed as its table is the one read', () => {
    const s = stack();
    const keys = new TenantKeyTable(s, 'Keys');
    const authorizer = new TenantAuthorizer(s, 'Tenants', { tenantKeyTable: keys.table });
    withApi(s, authorizer);
    const template = Template.fromStack(s);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(authorizer.table).toBe(keys.table);
  });

  test('a given log key is used and no log key is created', () => {
    const { template } = synth({}, (s) => ({ logEncryptionKey: new kms.Key(s, 'PlatformLogKey', { enableKeyRotation: true }) }));
    // The table's key and the platform key only.
    template.resourceCountIs('AWS::KMS::Key', 2);
    const logGroup = Object.values(template.findResources('AWS::Logs::LogGroup'))[0];
    expect(logGroup.Properties.KmsKeyId['Fn::GetAtt'][0]).toMatch(/^PlatformLogKey/);
  });

  test('VPC placement', () => {
    const { template } = synth({}, (s) => {
      const vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      return { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } };
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^VpcisolatedSubnet1') }]), SecurityGroupIds: Match.anyValue() },
    });
  });

  test.each([
    [{ resultsCacheTtl: Duration.seconds(3601) }, /resultsCacheTtl must be a whole number of seconds from 0 to 3600, received 1 hour 1 second/],
    [{ resultsCacheTtl: Duration.millis(1500) }, /resultsCacheTtl must be a whole number of seconds/],
    [{ keyCacheTtl: Duration.minutes(16) }, /keyCacheTtl must be a whole number of seconds from 0 to 900, received 16 minutes/],
    [{ keyCacheMaxEntries: 0 }, /keyCacheMaxEntries must be an integer from 1 to 1000000, received 0/],
    [{ keyCacheMaxEntries: -5 }, /keyCacheMaxEntries .* received -5/],
    [{ memorySize: 64 }, /memorySize must be an integer from 128 to 10240, received 64/],
    [{ reservedConcurrentExecutions: 0 }, /reservedConcurrentExecutions must be an integer from 1 to 100000, received 0/],
    [{ securityGroups: [] }, /vpcSubnets and securityGroups need vpc/],
  ])('bad props are refused: %#', (props, message) => {
    expect(() => new TenantAuthorizer(stack(), 'Tenants', props)).toThrow(AiGatewayValidationError);
    expect(() => new TenantAuthorizer(stack(), 'Tenants', props)).toThrow(message);
  });
});

describe('TenantAuthorizer compliance', () => {
  const DLQ = ['HIPAA.Security-LambdaDLQ', 'NIST.800.53.R5-LambdaDLQ', 'Serverless-LambdaDLQ'];
  const CONCURRENCY = ['HIPAA.Security-LambdaConcurrency', 'NIST.800.53.R5-LambdaConcurrency'];
  const OUTSIDE_VPC = ['CT.LAMBDA.PR.3', 'HIPAA.Security-LambdaInsideVPC', 'NIST.800.53.R5-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC'];

  test('by default the function acknowledges the dead-letter queue, reserved concurrency and VPC findings, and X-Ray\'s "*" on the tracing policy only', () => {
    const { stack: s } = synth();
    expect(acknowledgedOn(s, 'Tenants/Handler/Resource')).toEqual([...DLQ, ...CONCURRENCY, ...OUTSIDE_VPC].sort());
    expect(acknowledgedOn(s, 'Tenants/Role/TracingPolicy')).toEqual(['AwsSolutions-IAM5[Resource::*]']);
    // Nothing on the role as a whole or on the policy that holds the grants.
    expect(acknowledgedOn(s, 'Tenants/Role')).toEqual([]);
    expect(acknowledgedOn(s, 'Tenants/Role/Policy')).toEqual([]);
    const reasons = GatewayCompliance.reviewAcknowledgments(s).filter((a) => a.constructPath.startsWith('Test/Tenants/'));
    expect(reasons.filter((a) => a.problem !== undefined)).toEqual([]);
    expect(reasons.find((a) => a.findingId === 'NIST.800.53.R5-LambdaDLQ')!.reason).toMatch(/synchronously.*REQUEST authorizer/);
    expect(reasons.find((a) => a.findingId === 'CT.LAMBDA.PR.3')!.reason).toMatch(/DynamoDB \(GetItem on the tenant-key table\)/);
  });

  test('with reserved concurrency and a VPC those findings do not arise, and are not acknowledged', () => {
    const { stack: s, template } = synth({ reservedConcurrentExecutions: 20 }, (st) => ({
      vpc: new ec2.Vpc(st, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] }),
    }));
    expect(acknowledgedOn(s, 'Tenants/Handler/Resource')).toEqual(DLQ);
    // Lambda's network interface actions: their own customer-managed policy, not AWSLambdaVPCAccessExecutionRole.
    expect(acknowledgedOn(s, 'Tenants/Role/NetworkInterfacesPolicy')).toEqual(['AwsSolutions-IAM5[Resource::*]']);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [{
          Sid: 'ManageVpcNetworkInterfaces',
          Effect: 'Allow',
          Action: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
          Resource: '*',
        }],
      },
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toMatch(/AWSLambda/);
  });

  test('without tracing there is no X-Ray permission and nothing to acknowledge for it', () => {
    const { stack: s, template } = synth({ tracing: lambda.Tracing.DISABLED });
    template.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: Match.absent() });
    expect(JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'))).not.toMatch(/xray:/);
    expect(acknowledgedOn(s, 'Tenants/Role/TracingPolicy')).toEqual([]);
  });

  test('later grants to the function land in its customer-managed policy, never in an inline policy', () => {
    const s = stack();
    const authorizer = new TenantAuthorizer(s, 'Tenants');
    withApi(s, authorizer);
    new TenantKeyTable(s, 'Other').grantReadKeys(authorizer.handler);
    const template = Template.fromStack(s);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    const statements = statementsOfRole(template, fn.Properties.Role['Fn::GetAtt'][0]);
    expect(statements.filter((st) => actionsOf(st).includes('dynamodb:GetItem'))).toHaveLength(2);
  });

  test('CT.LAMBDA.PR.2: with a known account API Gateway\'s permission also names SourceAccount, and nothing is acknowledged', () => {
    const { stack: s, template } = synth();
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com', SourceAccount: '111122223333', SourceArn: Match.anyValue(),
    });
    expect(GatewayCompliance.reviewAcknowledgments(s).filter((a) => a.findingId === 'CT.LAMBDA.PR.2')).toEqual([]);
  });

  test('CT.LAMBDA.PR.2: without an account at synth it is acknowledged on the permission, whose SourceArn names the authorizer', () => {
    const { stack: s, template } = synth({}, undefined, stack({ region: 'eu-west-1' }));
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'apigateway.amazonaws.com', SourceAccount: Match.absent() });
    const acks = GatewayCompliance.reviewAcknowledgments(s).filter((a) => a.findingId === 'CT.LAMBDA.PR.2');
    expect(acks).toHaveLength(1);
    expect(acks[0].constructPath).toMatch(/^Test\/Tenants\/Handler\/.*:Permissions$/);
    expect(acks[0].reason).toMatch(/tenant authorizer/);
  });
});
