import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as backup from 'aws-cdk-lib/aws-backup';
import { CompliancePack, GatewayCompliance, TenantKeyTable } from '../../../lib';
import { AiGatewayValidationError } from '../../../lib/private/errors';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../../helpers/synthesis';
import { DENY_GRANTS_EXCEPT_FOR_AWS_SERVICES } from '../../helpers/iam-statements';

function stack(): Stack {
  return new Stack(new App(), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
}

function keyLogicalId(template: Template): string {
  return Object.keys(template.findResources('AWS::KMS::Key'))[0];
}

describe('TenantKeyTable defaults', () => {
  const s = stack();
  new TenantKeyTable(s, 'Keys');
  const template = Template.fromStack(s);

  test('a customer-managed KMS key with rotation encrypts the table', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyLogicalId(template), 'Arn'] } },
    });
  });

  test('only AWS services may create grants on the key it creates (CT.KMS.PR.3)', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([DENY_GRANTS_EXCEPT_FOR_AWS_SERVICES]),
      },
    });
  });

  test('point-in-time recovery is on for 35 days', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
    });
  });

  test('deletion protection is on and the table and key are retained', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('keys by hash, on-demand, no physical name, no stream', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TableName: Match.absent(),
      StreamSpecification: Match.absent(),
    });
  });

  test('the byTenant index projects listing attributes, never the usage identifier', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'tenantId', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [{
        IndexName: 'byTenant',
        KeySchema: [{ AttributeName: 'tenantId', KeyType: 'HASH' }, { AttributeName: 'createdAt', KeyType: 'RANGE' }],
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: ['keyId', 'keyPrefix', 'tier', 'aliases', 'status', 'expiresAt', 'revokedAt', 'usageKeyId', 'sensitivityFloor'],
        },
      }],
    });
  });
});

describe('TenantKeyTable props', () => {
  test('uses the given key and creates none', () => {
    const s = stack();
    const key = kms.Key.fromKeyArn(s, 'Mine', 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555');
    const table = new TenantKeyTable(s, 'Keys', { encryptionKey: key });
    const template = Template.fromStack(s);
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: key.keyArn },
    });
    expect(table.encryptionKey).toBe(key);
  });

  test('deletion protection and retention can be turned off, PITR window and name set', () => {
    const s = stack();
    new TenantKeyTable(s, 'Keys', { deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY, pointInTimeRecoveryDays: 7, tableName: 'gw-tenant-keys' });
    const template = Template.fromStack(s);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      DeletionProtectionEnabled: false,
      TableName: 'gw-tenant-keys',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 },
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test.each([
    [{ pointInTimeRecoveryDays: 0 }, /pointInTimeRecoveryDays must be an integer from 1 to 35, received 0/],
    [{ pointInTimeRecoveryDays: 36 }, /pointInTimeRecoveryDays must be an integer from 1 to 35, received 36/],
    [{ pointInTimeRecoveryDays: 2.5 }, /pointInTimeRecoveryDays .* received 2.5/],
    [{ tableName: 'no spaces' }, /tableName must be 3 to 255 characters of A-Z a-z 0-9 _ \. -, received "no spaces"/],
    [{ tableName: 'ab' }, /tableName .* received "ab"/],
  ])('%j is refused', (props, message) => {
    expect(() => new TenantKeyTable(stack(), 'Keys', props)).toThrow(AiGatewayValidationError);
    expect(() => new TenantKeyTable(stack(), 'Keys', props)).toThrow(message);
  });
});

describe('grants', () => {
  function policyOf(template: Template): unknown {
    const policies = template.findResources('AWS::IAM::Policy');
    expect(Object.keys(policies)).toHaveLength(1);
    return Object.values(policies)[0].Properties.PolicyDocument.Statement;
  }

  test('grantReadKeys: GetItem on the table only, and kms:Decrypt on its key', () => {
    const s = stack();
    const keys = new TenantKeyTable(s, 'Keys');
    const role = new iam.Role(s, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    keys.grantReadKeys(role);
    const template = Template.fromStack(s);
    const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0];
    expect(policyOf(template)).toEqual([
      { Action: 'dynamodb:GetItem', Effect: 'Allow', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [keyLogicalId(template), 'Arn'] } },
    ]);
  });

  test('grantManageKeys: item reads and writes, Query on the tenant index, encrypt/decrypt — no Scan, no DeleteItem', () => {
    const s = stack();
    const keys = new TenantKeyTable(s, 'Keys');
    const role = new iam.Role(s, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    keys.grantManageKeys(role);
    const template = Template.fromStack(s);
    const tableId = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0];
    expect(policyOf(template)).toEqual([
      { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
      { Action: 'dynamodb:Query', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/index/byTenant']] } },
      {
        Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [keyLogicalId(template), 'Arn'] },
      },
    ]);
  });

  test('the static grants work on an imported table, with or without its key', () => {
    const s = stack();
    const key = kms.Key.fromKeyArn(s, 'K', 'arn:aws:kms:eu-west-1:111122223333:key/abc');
    const withKey = dynamodb.Table.fromTableAttributes(s, 'WithKey', { tableName: 'imported-keys', encryptionKey: key });
    const withoutKey = dynamodb.Table.fromTableName(s, 'WithoutKey', 'plain-keys');
    const a = new iam.Role(s, 'A', { assumedBy: new iam.AccountRootPrincipal() });
    const b = new iam.Role(s, 'B', { assumedBy: new iam.AccountRootPrincipal() });
    TenantKeyTable.grantReadKeysOn(withKey, a);
    TenantKeyTable.grantReadKeysOn(withoutKey, b);
    const template = Template.fromStack(s);
    const tableArn = (name: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:dynamodb:eu-west-1:111122223333:table/${name}`]],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^A') }],
      PolicyDocument: { Statement: [
        { Action: 'dynamodb:GetItem', Effect: 'Allow', Resource: tableArn('imported-keys') },
        { Action: 'kms:Decrypt', Effect: 'Allow', Resource: 'arn:aws:kms:eu-west-1:111122223333:key/abc' },
      ] },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^B') }],
      PolicyDocument: { Statement: [{ Action: 'dynamodb:GetItem', Effect: 'Allow', Resource: tableArn('plain-keys') }] },
    });
  });
});

describe('TenantKeyTable backups', () => {
  const BACKUP_PLAN_FINDINGS = ['HIPAA.Security-DynamoDBInBackupPlan', 'NIST.800.53.R5-DynamoDBInBackupPlan'];
  const acknowledgedOn = (s: Stack, path: string) => GatewayCompliance.reviewAcknowledgments(s)
    .filter((a) => a.constructPath === `${s.node.path}/${path}`).map((a) => a.findingId).sort();

  test('without a backup plan the backup-plan findings are acknowledged on the table, naming what protects it', () => {
    const s = stack();
    new TenantKeyTable(s, 'Keys');
    expect(acknowledgedOn(s, 'Keys/Table/Resource')).toEqual(BACKUP_PLAN_FINDINGS);
    const reason = GatewayCompliance.reviewAcknowledgments(s)[0].reason;
    expect(reason).toMatch(/backupPlan prop is unset/);
    expect(reason).toMatch(/35-day window/);
    expect(reason).toMatch(/deletion protection is on/);
    expect(reason).toMatch(/retained/);
  });

  test('the reason states only the protections that are configured', () => {
    const s = stack();
    new TenantKeyTable(s, 'Keys', { deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY, pointInTimeRecoveryDays: 7 });
    const reason = GatewayCompliance.reviewAcknowledgments(s)[0].reason;
    expect(reason).toMatch(/7-day window/);
    expect(reason).not.toMatch(/deletion protection|retained/);
  });

  test('with a backup plan the table is selected into it, and the backup-plan findings are not acknowledged', () => {
    const s = stack();
    const plan = backup.BackupPlan.fromBackupPlanId(s, 'OrgPlan', 'plan-0123456789');
    const keys = new TenantKeyTable(s, 'Keys', { backupPlan: plan });
    const template = Template.fromStack(s);
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupPlanId: 'plan-0123456789',
      BackupSelection: Match.objectLike({
        Resources: [{ 'Fn::GetAtt': [s.getLogicalId(keys.table.node.defaultChild as dynamodb.CfnTable), 'Arn'] }],
      }),
    });
    expect(acknowledgedOn(s, 'Keys/Table/Resource')).toEqual([]);
    // The role AWS Backup assumes carries AWS Backup's own service role policy, acknowledged on that role only.
    expect(acknowledgedOn(s, 'Keys/BackupSelection/Role')).toEqual([
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
    ]);
  });

  test('the NIST 800-53 and HIPAA packs find the table in the plan, and leave nothing open on it either way', async () => {
    const packs = [CompliancePack.AWS_SOLUTIONS, CompliancePack.NIST_800_53_R5, CompliancePack.HIPAA_SECURITY];
    const onTable = async (withPlan: boolean) => (await sharedSynthesis({
      module: join(__dirname, 'compliance-apps'), exportName: 'tenantKeyTableApp', args: { withPlan }, packs,
    })).report;
    for (const withPlan of [false, true]) {
      const report = await onTable(withPlan);
      expect(report.findings.filter((f) => f.constructPath.startsWith('Test/Keys/'))).toEqual([]);
      const backupAcks = report.acknowledgedFindings.filter((f) => f.findingId.endsWith('DynamoDBInBackupPlan'));
      expect(backupAcks).toHaveLength(withPlan ? 0 : 2);
    }
  }, SHARED_SYNTHESIS_TIMEOUT_MS);
});
