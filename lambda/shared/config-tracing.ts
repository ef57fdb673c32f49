/**
 * How the router exports its traces: the environment variables `GatewayRouter` sets and the
 * router (and `cdk-ai-gateway serve`) reads.
 */

/** Where the router sends its spans. */
export enum TraceExport {
  /** AWS X-Ray's OTLP endpoint of the function's Region, signed with the function's role (SigV4, service `xray`). */
  XRAY = 'xray',
  /** Any OTLP/HTTP endpoint: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  OTLP = 'otlp',
  /** One JSON line of OTLP per request on stderr (development). */
  CONSOLE = 'console',
  /** No spans. */
  OFF = 'off',
}

/** The environment variable that selects the {@link TraceExport}. Unset: `otlp` when an OTLP endpoint is set, else `off`. */
export const TRACE_EXPORT_ENV = 'GATEWAY_TRACES';
