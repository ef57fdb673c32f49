/** Key policy statements that let AWS services use the library's keys: each scoped to what it serves. */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { encryptedLogGroup } from '../../lib/private/kms';

const env = { account: '111122223333', region: 'eu-west-1' };
const arn = (resource: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:eu-west-1:111122223333:log-group:${resource}`]] });

test('a key shared by several log groups: one CloudWatch Logs statement listing exactly those log groups', () => {
  // Prepare
  const stack = new Stack(new App(), 'Gw', { env });
  const key = new kms.Key(stack, 'Shared');
  // Act
  const a = encryptedLogGroup(stack, 'First', { key, purpose: 'a' });
  const b = encryptedLogGroup(stack, 'Second', { key, purpose: 'b', logGroupName: 'aws-waf-logs-gw' });
  // Assess
  expect(a.key).toBe(key);
  const template = Template.fromStack(stack);
  const first = Object.keys(template.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: Match.absent() } }))[0];
  const keyResource = Object.values(template.findResources('AWS::KMS::Key'))[0] as { Properties: { KeyPolicy: { Statement: { Sid?: string }[] } } };
  const logs = keyResource.Properties.KeyPolicy.Statement.filter((s) => s.Sid === 'AllowCloudWatchLogsToEncryptLogGroups');
  expect(logs).toEqual([{
    Sid: 'AllowCloudWatchLogsToEncryptLogGroups',
    Effect: 'Allow',
    Principal: { Service: { 'Fn::Join': ['', ['logs.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
    Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    Resource: '*',
    Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': [arn(`Gw-${first}-*`), arn('aws-waf-logs-gw')] } },
  }]);
  expect(b.logGroup).toBeDefined();
});

test('no CloudWatch Logs statement allows every log group of the account', () => {
  const stack = new Stack(new App(), 'Gw', { env });
  encryptedLogGroup(stack, 'Own', { purpose: 'own key' });
  const json = JSON.stringify(Template.fromStack(stack).toJSON());
  expect(json).not.toContain('log-group:*');
  expect(json).toMatch(/log-group:Gw-Own[0-9A-F]{8}-\*/);
});
