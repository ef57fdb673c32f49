import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GatewayWebAcl, GatewayWebAclProps } from '../../lib/gateway/gateway-web-acl';

function synth(props?: GatewayWebAclProps): Template {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'us-east-1' } });
  const acl = new GatewayWebAcl(stack, 'Waf', props);
  acl.associate('Api', 'arn:aws:apigateway:us-east-1::/restapis/abc123/stages/prod');
  return Template.fromStack(stack);
}

function rule(template: Template, name: string): Record<string, unknown> {
  const acls = template.findResources('AWS::WAFv2::WebACL');
  const [acl] = Object.values(acls);
  const rules = (acl.Properties.Rules as Array<Record<string, unknown>>);
  const found = rules.find((r) => r.Name === name);
  if (!found) throw new Error(`no rule ${name}; rules: ${rules.map((r) => r.Name).join(', ')}`);
  return found;
}

describe('GatewayWebAcl', () => {
  test('is regional, allows by default and is associated with the stage', () => {
    const template = synth();
    template.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: 'arn:aws:apigateway:us-east-1::/restapis/abc123/stages/prod',
      WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('WafWebAcl'), 'Arn'] },
    });
  });

  test('runs the AWS managed Core and Known bad inputs rule groups, counting the 8 KB body rule', () => {
    const template = synth();
    expect(rule(template, 'AWSManagedRulesCommonRuleSet')).toMatchObject({
      OverrideAction: { None: {} },
      Statement: { ManagedRuleGroupStatement: {
        VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet',
        RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
      } },
    });
    expect(rule(template, 'AWSManagedRulesKnownBadInputsRuleSet')).toMatchObject({
      Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
    });
  });

  test('rate-limits each client IP and answers 429 with an OpenAI error envelope', () => {
    const template = synth({ rateLimitPerIp: 1234, rateLimitWindow: Duration.minutes(1) });
    expect(rule(template, 'RateLimitPerIp')).toMatchObject({
      Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 1234, EvaluationWindowSec: 60 } },
      Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'rate_limited' } } },
    });
    const [acl] = Object.values(template.findResources('AWS::WAFv2::WebACL'));
    const body = JSON.parse(acl.Properties.CustomResponseBodies.rate_limited.Content);
    expect(body).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', code: 'rate_limit_exceeded', param: null } });
  });

  test('blocks bodies over the limit and inspects enough of the body to see it', () => {
    const template = synth({ maxBodyBytes: 20_000 });
    expect(rule(template, 'MaxBodySize')).toMatchObject({
      Statement: { SizeConstraintStatement: { ComparisonOperator: 'GT', Size: 20_000, FieldToMatch: { Body: { OversizeHandling: 'MATCH' } } } },
      Action: { Block: { CustomResponse: { ResponseCode: 413 } } },
    });
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_32' } } },
    });
  });

  test('leaves bodies beyond what WAF can inspect to the router', () => {
    const template = synth({ maxBodyBytes: 1024 * 1024 });
    expect(rule(template, 'MaxBodySize')).toMatchObject({
      Statement: { SizeConstraintStatement: { Size: 65536, FieldToMatch: { Body: { OversizeHandling: 'CONTINUE' } } } },
    });
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_64' } } },
    });
  });

  test('logs to a KMS-encrypted aws-waf-logs- group with retention and the Authorization header redacted', () => {
    const template = synth();
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^aws-waf-logs-'),
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('WafLogKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }],
    });
    const [logging] = Object.values(template.findResources('AWS::WAFv2::LoggingConfiguration'));
    const [destination] = logging.Properties.LogDestinationConfigs as Array<{ 'Fn::Join': [string, unknown[]] }>;
    const arn = destination['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '${Partition}')).join('');
    expect(arn).toMatch(/^arn:\$\{Partition\}:logs:us-east-1:111122223333:log-group:aws-waf-logs-[A-Za-z0-9]+$/);
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'AllowCloudWatchLogsToEncryptLogGroups',
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': [Match.objectLike({ 'Fn::Join': Match.anyValue() })] } },
      })]) },
    });
  });

  test.each([
    [{ rateLimitPerIp: 5 }, /rateLimitPerIp must be an integer between 10 and 2000000000, received 5/],
    [{ rateLimitWindow: Duration.seconds(90) }, /rateLimitWindow must be one of 60, 120, 300, 600 seconds, received 90/],
    [{ maxBodyBytes: 11 * 1024 * 1024 }, /maxBodyBytes must be an integer between 1024 and 10485760/],
  ])('rejects %p', (props, message) => {
    expect(() => synth(props as GatewayWebAclProps)).toThrow(message);
  });
});
