/**
 * The span exporter a router environment uses, from its environment variables (`GATEWAY_TRACES`,
 * the standard `OTEL_EXPORTER_OTLP_*` and `OTEL_SERVICE_NAME`).
 */
import { TRACE_EXPORT_ENV, TraceExport } from '../../shared/config-tracing';
import { ConsoleSpanExporter, OtlpHttpExporter, OtlpHttpExporterOptions, RequestSigner, SpanExporter } from './exporter';
import { Attributes } from './spans';

type Env = Readonly<Record<string, string | undefined>>;

/** The service name of the router's spans unless `OTEL_SERVICE_NAME` names another. */
export const DEFAULT_SERVICE_NAME = 'cdk-ai-gateway-router';

/** The resource attributes of this process's spans. */
export function resourceOf(env: Env): Attributes {
  const resource: Attributes = {
    'service.name': env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME,
    'telemetry.sdk.name': 'cdk-ai-gateway',
    'telemetry.sdk.language': 'nodejs',
  };
  if (env.AWS_LAMBDA_FUNCTION_NAME) {
    resource['cloud.provider'] = 'aws';
    resource['cloud.platform'] = 'aws_lambda';
    resource['faas.name'] = env.AWS_LAMBDA_FUNCTION_NAME;
  }
  if (env.AWS_REGION) resource['cloud.region'] = env.AWS_REGION;
  return resource;
}

/** `OTEL_EXPORTER_OTLP_HEADERS`: `key=value,key2=value2` (values URL-encoded). */
export function parseOtlpHeaders(value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (value ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    try {
      headers[pair.slice(0, eq).trim().toLowerCase()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      // a malformed value is skipped
    }
  }
  return headers;
}

function otlpTracesUrl(env: Env): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/** The export mode the environment asks for; throws on a value that is not one. */
export function traceExportOf(env: Env): TraceExport {
  const raw = env[TRACE_EXPORT_ENV]?.trim().toLowerCase();
  if (!raw) return otlpTracesUrl(env) ? TraceExport.OTLP : TraceExport.OFF;
  const mode = Object.values(TraceExport).find((m) => m === raw);
  if (!mode) throw new Error(`${TRACE_EXPORT_ENV} must be one of ${Object.values(TraceExport).join(', ')}, received '${raw.slice(0, 40)}'.`);
  return mode;
}

/**
 * The SigV4 signer, loaded at the first export (after the first answer), not at cold start; the
 * credentials are read per export (those of the current execution environment).
 */
function lazySigV4(region: string, env: Env): RequestSigner {
  let signer: Promise<RequestSigner> | undefined;
  return async (url, body, headers) => {
    signer ??= import('./sigv4.js').then((m) => m.sigV4Signer(region, async () => m.credentialsFromEnv(env)));
    return (await signer)(url, body, headers);
  };
}

/**
 * The exporter for this environment, or undefined when traces are off.
 *
 * @example
 * const traces = spanExporterFromEnv(process.env); // GATEWAY_TRACES=xray on Lambda
 */
export function spanExporterFromEnv(env: Env, options: Partial<OtlpHttpExporterOptions> = {}): SpanExporter | undefined {
  const mode = traceExportOf(env);
  const resource = resourceOf(env);
  if (mode === TraceExport.OFF) return undefined;
  if (mode === TraceExport.CONSOLE) return new ConsoleSpanExporter(resource);
  if (mode === TraceExport.XRAY) {
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) throw new Error(`${TRACE_EXPORT_ENV}=xray needs AWS_REGION.`);
    return new OtlpHttpExporter({
      // The Region's endpoint, or another (a VPC endpoint's name) in OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.
      url: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || `https://xray.${region}.amazonaws.com/v1/traces`,
      resource,
      sign: lazySigV4(region, env),
      ...options,
    });
  }
  const url = otlpTracesUrl(env);
  if (!url) throw new Error(`${TRACE_EXPORT_ENV}=otlp needs OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.`);
  return new OtlpHttpExporter({ url, resource, headers: parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS), ...options });
}
