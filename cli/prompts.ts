/**
 * `cdk-ai-gateway prompts eval`: runs evaluation cases through the gateway on several versions of a
 * prompt and compares them, so a prompt change is tested before its label moves. Exits 1 when a
 * version regresses against the first one, so it can gate a pipeline.
 *
 * Local mode (default) runs the gateway of `--config` in this process, as `serve` does: the
 * prompt, its routes and their upstreams come from that file. With `--base-url` and `--api-key`
 * it calls a deployed gateway instead (the configuration file is then only read for the prompt).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GatewayConfigError } from '../lambda/shared/config-error';
import { loadGatewayConfig } from '../lambda/router/runtime';
import { CliIo, EXIT } from './io';
import { CasesError, parseCases } from './prompts/cases';
import { evaluatePrompt } from './prompts/eval';
import { LABEL_SUBCOMMANDS, LABELS_USAGE, runLabelCommand } from './prompts/labels';
import { formatEvalReport } from './prompts/report';
import { EvalTransport, HttpTransport, LocalTransport } from './prompts/transport';

export const PROMPTS_USAGE = `Usage: cdk-ai-gateway prompts eval --config FILE --prompt ID --versions 3,4 --cases FILE [options]

Runs every case of FILE (JSONL) on every version of the prompt through the gateway and prints, per
version, the pass rate of the case assertions, tokens, cost and latency, and the cases whose
verdict changed against the first version. Exits 1 when a version regresses (a lower pass rate,
or a case the first version passed now fails).

Options:
  --config FILE      the gateway configuration (the prompt, and in local mode the whole gateway)
  --prompt ID        the prompt id
  --versions LIST    comma-separated version numbers; the first is the baseline (at least 2)
  --cases FILE       JSONL, one case per line: {"id", "variables", "messages"?, "model"?, "user"?,
                     "assert": {"contains", "notContains", "regex", "jsonSchema", "maxCostUsd",
                     "maxLatencyMs", "judge": {"route", "rubric"}}}
  --tenant ID        local mode: the tenant the requests come from (default: the first tenant
                     that may use the prompt)
  --model ALIAS      the route of cases without "model" (default: auto, the version's first route)
  --base-url URL     a deployed gateway's OpenAI base URL (…/v1); needs --api-key
  --api-key KEY      a tenant key of that gateway (or, in local mode, a key of localKeys)
  --json             print the report as JSON
  --help             this text`;

class PromptsArgsError extends Error {}

interface EvalOptions {
  readonly config: string;
  readonly prompt: string;
  readonly versions: number[];
  readonly cases: string;
  readonly tenant?: string;
  readonly model?: string;
  readonly baseUrl?: string;
  readonly apiKey?: string;
  readonly json: boolean;
}

function parse(argv: readonly string[]): EvalOptions | 'help' {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') return 'help';
  if (sub !== 'eval') throw new PromptsArgsError(`unknown subcommand '${sub.slice(0, 40)}'; allowed: eval, ${LABEL_SUBCOMMANDS.join(', ')}`);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      options: {
        'config': { type: 'string' }, 'prompt': { type: 'string' }, 'versions': { type: 'string' }, 'cases': { type: 'string' },
        'tenant': { type: 'string' }, 'model': { type: 'string' }, 'base-url': { type: 'string' }, 'api-key': { type: 'string' },
        'json': { type: 'boolean', default: false }, 'help': { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new PromptsArgsError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return 'help';
  for (const required of ['config', 'prompt', 'versions', 'cases'] as const) {
    if (!values[required]) throw new PromptsArgsError(`--${required} is required`);
  }
  const versions = values.versions!.split(',').map((v) => v.trim());
  if (versions.length < 2 || !versions.every((v) => /^[1-9][0-9]{0,5}$/.test(v)) || new Set(versions).size !== versions.length) {
    throw new PromptsArgsError(`--versions must list at least two different version numbers such as 3,4, received ${JSON.stringify(values.versions)}`);
  }
  if (values['base-url'] !== undefined && values['api-key'] === undefined) throw new PromptsArgsError('--base-url needs --api-key');
  if (values['base-url'] !== undefined && !/^https?:\/\/\S+$/.test(values['base-url'])) {
    throw new PromptsArgsError(`--base-url must be an http(s) URL such as https://abc.execute-api.us-east-1.amazonaws.com/prod/v1, received ${JSON.stringify(values['base-url'])}`);
  }
  return {
    config: values.config!,
    prompt: values.prompt!,
    versions: versions.map(Number),
    cases: values.cases!,
    json: values.json === true,
    ...(values.tenant !== undefined ? { tenant: values.tenant } : {}),
    ...(values.model !== undefined ? { model: values.model } : {}),
    ...(values['base-url'] !== undefined ? { baseUrl: values['base-url'] } : {}),
    ...(values['api-key'] !== undefined ? { apiKey: values['api-key'] } : {}),
  };
}

/**
 * Runs `prompts <subcommand> [flags]`; resolves to the exit code (0 no regression, 1 a version
 * regressed or the run failed, 2 bad command line). Never throws.
 *
 * @example
 * process.exitCode = await runPromptsCommand(['eval', '--config', 'gw.json', '--prompt', 'support', '--versions', '3,4', '--cases', 'cases.jsonl'], PROCESS_IO);
 */
export async function runPromptsCommand(argv: readonly string[], io: CliIo, now: () => number = Date.now): Promise<number> {
  if ((LABEL_SUBCOMMANDS as readonly string[]).includes(argv[0] ?? '')) return runLabelCommand(argv[0], argv.slice(1), io, now);
  let options: EvalOptions | 'help';
  try {
    options = parse(argv);
  } catch (err) {
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}`);
    io.stderr("Run 'cdk-ai-gateway prompts --help' for usage.");
    return EXIT.USAGE;
  }
  if (options === 'help') {
    io.stdout(`${PROMPTS_USAGE}\n\n${LABELS_USAGE}`);
    return EXIT.OK;
  }
  let transport: EvalTransport;
  let cases;
  try {
    const config = loadGatewayConfig(options.config);
    const prompt = config.prompts.get(options.prompt);
    if (!prompt) throw new PromptsArgsError(`--prompt: ${options.config} has no prompt '${options.prompt}'; prompts: ${[...config.prompts.keys()].join(', ') || 'none'}`);
    const missing = options.versions.filter((v) => !prompt.versions.has(v));
    if (missing.length > 0) throw new PromptsArgsError(`--versions: prompt '${prompt.id}' has no version ${missing.join(', ')}; versions: ${[...prompt.versions.keys()].join(', ')}`);
    cases = parseCases(readFileSync(options.cases, 'utf8'));
    if (options.baseUrl !== undefined) {
      transport = new HttpTransport(options.baseUrl, options.apiKey!, undefined, now);
    } else {
      const tenant = options.tenant
        ?? [...config.tenants.values()].find((t) => t.allowedPrompts === undefined || t.allowedPrompts.includes(prompt.id))?.id;
      if (options.apiKey === undefined && (tenant === undefined || !config.tenants.has(tenant))) {
        throw new PromptsArgsError(`--tenant: ${tenant === undefined ? 'no tenant may use the prompt' : `unknown tenant '${tenant}'`}; tenants: ${[...config.tenants.keys()].join(', ')}`);
      }
      transport = new LocalTransport(config, { ...(tenant !== undefined ? { tenantId: tenant } : {}), ...(options.apiKey ? { apiKey: options.apiKey } : {}) }, now);
    }
  } catch (err) {
    if (err instanceof PromptsArgsError) {
      io.stderr(`error: ${err.message}`);
      return EXIT.USAGE;
    }
    const where = err instanceof CasesError ? `${options.cases}: ` : err instanceof GatewayConfigError ? `${options.config}: ` : '';
    io.stderr(`error: ${where}${err instanceof Error ? err.message : String(err)}`);
    return EXIT.FAILED;
  }
  const report = await evaluatePrompt(transport, options.prompt, options.versions, cases, options.model);
  io.stdout(options.json ? JSON.stringify(report, (key, value: unknown) => (key === 'answer' ? undefined : value), 2) : formatEvalReport(report));
  return report.regressed ? EXIT.FAILED : EXIT.OK;
}
