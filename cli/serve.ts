/**
 * `cdk-ai-gateway serve --config FILE [--port N] [--host ADDRESS]`: runs the gateway locally, the
 * same pipeline as the deployed router, behind a Node.js HTTP server.
 */
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { GatewayConfigError } from '../lambda/shared/config-error';
import { FileControlsLoader } from '../lambda/router/incident/file-controls';
import { startLocalServer, LocalServer } from '../lambda/router/local/server';
import { CachedLabelOverrides, FileLabelStore, LOCAL_LABEL_STORE_FILE } from '../lambda/router/prompts/label-store';
import { CachedControls } from '../lambda/router/pipeline/controls';
import { BatchService } from '../lambda/router/batch/batch-service';
import { CachedApprovals } from '../lambda/router/approvals/approval-set';
import { FileApprovalsLoader } from '../lambda/router/approvals/file-approvals';
import { PatternRedactor } from '../lambda/router/local/pattern-redactor';
import { createGateway, loadGatewayConfig } from '../lambda/router/runtime';
import { spanExporterFromEnv } from '../lambda/router/tracing/from-env';
import { TRACE_EXPORT_ENV } from '../lambda/shared/config-tracing';
import { HttpFunctionTransport, localValidatorWarnings } from '../lambda/router/validation/function-validator';
import { JsonlReviews, LOCAL_REVIEWS_FILE } from '../lambda/router/validation/jsonl-reviews';
import { CliIo, EXIT } from './io';

export const SERVE_USAGE = `Usage: cdk-ai-gateway serve --config FILE [--port N] [--host ADDRESS] [--controls FILE] [--traces MODE]
       [--approvals FILE] [--redaction local|guardrail] [--reviews FILE]

Runs the gateway locally (OpenAI-compatible, at http://HOST:PORT/v1).

  -c, --config FILE   the gateway configuration (JSON; see schema/gateway-config.schema.json)
  -p, --port N        the port to listen on (default 8787; 0 picks a free one)
      --host ADDRESS  the address to listen on (default 127.0.0.1)
      --controls FILE incident controls (kill switch) written by 'cdk-ai-gateway incident ... --file FILE',
                      read again at most every 30 s
      --traces MODE   where request spans go: otlp (OTEL_EXPORTER_OTLP_ENDPOINT, or
                      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), console (one OTLP JSON line per request
                      on stderr), xray (the X-Ray OTLP endpoint of AWS_REGION, your shell's
                      credentials) or off; default: \$${TRACE_EXPORT_ENV}, else otlp when an OTLP
                      endpoint is set, else off
      --approvals FILE  approvals of restricted data written by 'cdk-ai-gateway approvals ... --file FILE',
                      read again at most every 30 s (with restrictedData.requireApproval)
      --redaction MODE  how routes with a redactionGuardrail are redacted: 'local' (default) masks PII
                      with local patterns (e-mail, card numbers, IBAN, phone, SSN, IP; LOCAL MODE ONLY,
                      no substitute for the guardrail), 'guardrail' calls ApplyGuardrail (AWS credentials)
      --reviews FILE  the review queue: flagged and rejected answers, one JSON line each (default
                      ${LOCAL_REVIEWS_FILE} beside the configuration; 'cdk-ai-gateway reviews --file')
  -h, --help          this help

Tenants authenticate with "Authorization: Bearer <key>", where the configuration's localKeys maps
the key's hex SHA-256 to the tenant id. One JSON usage line per request is written to stdout.
The Batch API (/v1/files, /v1/batches) runs batches in this process, line by line through the same
pipeline, at the batch prices of the configuration; batches are kept in memory until it stops.
Prompt labels moved with 'prompts rollback|promote' (kept in ${LOCAL_LABEL_STORE_FILE} beside the
configuration) apply within a second.`;

export interface ServeHooks {
  /** Called once the server listens (tests use it to learn the port). */
  readonly onListening?: (server: LocalServer) => void;
  /** Stops the server when aborted. @default SIGINT or SIGTERM */
  readonly signal?: AbortSignal;
  /** The environment (trace export settings). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Runs `serve`; resolves to the exit code once the server has stopped.
 *
 * @example
 * process.exitCode = await runServeCommand(['--config', 'gateway.json', '--port', '8787'], io);
 */
export async function runServeCommand(argv: readonly string[], io: CliIo, hooks: ServeHooks = {}): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        controls: { type: 'string' },
        traces: { type: 'string' },
        approvals: { type: 'string' },
        redaction: { type: 'string' },
        reviews: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n\n${SERVE_USAGE}`);
    return EXIT.USAGE;
  }
  if (values.help) {
    io.stdout(SERVE_USAGE);
    return EXIT.OK;
  }
  if (!values.config) {
    io.stderr(`error: --config is required\n\n${SERVE_USAGE}`);
    return EXIT.USAGE;
  }
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!/^\d{1,5}$/.test(values.port ?? '8787') || port > 65535) {
    io.stderr(`error: --port '${values.port}' is not allowed; expected an integer from 0 to 65535`);
    return EXIT.USAGE;
  }
  const host = values.host ?? '127.0.0.1';
  const redaction = values.redaction ?? 'local';
  if (redaction !== 'local' && redaction !== 'guardrail') {
    io.stderr(`error: --redaction '${redaction}' is not allowed; expected local or guardrail`);
    return EXIT.USAGE;
  }

  let gateway;
  let traces;
  try {
    const env = hooks.env ?? process.env;
    traces = spanExporterFromEnv(values.traces !== undefined ? { ...env, [TRACE_EXPORT_ENV]: values.traces } : env);
    // Label moves of `prompts rollback|promote` (the file beside the configuration), re-read each second.
    const labelOverrides = new CachedLabelOverrides({
      store: new FileLabelStore(join(dirname(values.config), LOCAL_LABEL_STORE_FILE)), ttlMs: 1000,
    });
    const controls = values.controls ? new CachedControls(new FileControlsLoader(values.controls)) : undefined;
    // The Batch API: batches run in this process against the configured (local) targets.
    const approvals = values.approvals ? new CachedApprovals(new FileApprovalsLoader(values.approvals)) : undefined;
    const reviews = new JsonlReviews(values.reviews ?? join(dirname(values.config), LOCAL_REVIEWS_FILE));
    gateway = createGateway(loadGatewayConfig(values.config), {
      labelOverrides, batch: new BatchService(), configDir: dirname(values.config), reviews, validatorFunctions: new HttpFunctionTransport(),
      ...(controls ? { controls } : {}), ...(approvals ? { approvals } : {}),
      ...(redaction === 'local' ? { redactor: new PatternRedactor() } : {}), ...(traces ? { traces } : {}),
    });
  } catch (error) {
    if (error instanceof GatewayConfigError) io.stderr(`error: ${values.config}: ${error.message}`);
    else io.stderr(`error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.FAILED;
  }

  let server: LocalServer;
  try {
    server = await startLocalServer({ gateway, port, host });
  } catch (error) {
    io.stderr(`error: cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.FAILED;
  }
  const { config } = gateway;
  io.stderr(`cdk-ai-gateway serving ${server.baseUrl} (${config.tenants.size} tenants, routes: ${[...config.routes.keys()].join(', ')})`);
  if (config.localKeys.size === 0) io.stderr('warning: the configuration has no localKeys: every request will get 401');
  if (redaction === 'local' && [...config.routes.values()].some((r) => r.redactionGuardrail !== undefined)) {
    io.stderr('note: redaction uses the local pattern redactor (local mode only; deployed gateways apply the redaction guardrail)');
  }
  for (const warning of localValidatorWarnings(config)) io.stderr(`warning: ${warning}`);
  hooks.onListening?.(server);

  await new Promise<void>((resolve) => {
    if (hooks.signal) {
      if (hooks.signal.aborted) resolve();
      else hooks.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await traces?.flush();
  io.stderr('cdk-ai-gateway stopped');
  return EXIT.OK;
}
