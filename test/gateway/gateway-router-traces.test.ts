import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { GatewayRouter, GatewayRouterProps } from '../../lib/gateway/gateway-router';
import { GatewayConfig, TargetKind } from '../../lambda/shared/config';
import { TraceExport } from '../../lambda/shared/config-tracing';

const CONFIG: GatewayConfig = {
  tenants: [{ id: 'acme', allowedAliases: ['chat'] }],
  targets: [{ id: 'nova', kind: TargetKind.BEDROCK, modelId: 'amazon.nova-micro-v1:0' }],
  routes: [{ alias: 'chat', targets: ['nova'] }],
  prices: { 'amazon.nova-micro-v1:0': { inputUsdPer1K: 0.000035, outputUsdPer1K: 0.00014 } },
};

function template(props: Partial<GatewayRouterProps> = {}): Template {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111122223333', region: 'us-east-1' } });
  new GatewayRouter(stack, 'Router', { config: CONFIG, ...props });
  return Template.fromStack(stack);
}

const SPANS = { Sid: 'WriteSpans', Effect: 'Allow', Action: ['xray:PutSpans', 'xray:PutSpansForIndexing'], Resource: '*' };

describe('GatewayRouter trace export', () => {
  test('by default the router sends its spans to X-Ray (GATEWAY_TRACES=xray) with active tracing', () => {
    const t = template();
    t.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: Match.objectLike({ GATEWAY_TRACES: 'xray' }) },
    });
  });

  test('its tracing policy allows xray:PutSpans and xray:PutSpansForIndexing beside the segment writes', () => {
    template().hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'WriteTraces' }), SPANS]) },
    });
  });

  test('tracing DISABLED: no spans, no X-Ray permission', () => {
    const t = template({ tracing: lambda.Tracing.DISABLED });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ GATEWAY_TRACES: 'off' }) } });
    expect(JSON.stringify(t.findResources('AWS::IAM::ManagedPolicy'))).not.toMatch(/xray:/);
  });

  test('OTLP to a collector: the endpoint comes from the environment, no X-Ray span permission', () => {
    const t = template({ traceExport: TraceExport.OTLP, environment: { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.internal:4318' } });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ GATEWAY_TRACES: 'otlp' }) } });
    expect(JSON.stringify(t.findResources('AWS::IAM::ManagedPolicy'))).not.toMatch(/xray:PutSpans/);
  });

  test('OTLP without an endpoint is refused at synth, naming the variables', () => {
    expect(() => template({ traceExport: TraceExport.OTLP })).toThrow(/traceExport OTLP needs OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT in environment/);
  });

  test('X-Ray export with tracing DISABLED is refused at synth', () => {
    expect(() => template({ traceExport: TraceExport.XRAY, tracing: lambda.Tracing.DISABLED })).toThrow(/traceExport XRAY .* needs tracing ACTIVE or PASS_THROUGH, received DISABLED/);
  });
});
