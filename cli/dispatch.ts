/**
 * The `cdk-ai-gateway` command: one subcommand per concern.
 *
 *   serve     run the gateway locally (cli/serve.ts)
 *   keys      manage tenant API keys in the deployed key table (cli/keys.ts)
 *   usage     report a tenant's usage from the usage table (cli/usage.ts)
 *   advise    the workload advisor: route decisions from a month of usage (cli/advise.ts)
 *   prompts   evaluate prompt versions through the gateway (cli/prompts.ts)
 *   batch     the Batch API from the command line (cli/batch.ts)
 *   incident  the operators' kill switch: suspend and resume tenants, keys, routes, targets (cli/incident.ts)
 *   approvals who may send restricted data: grant, revoke, list approvals (cli/approvals.ts)
 *   reviews   flagged and rejected answers: list and resolve (cli/reviews.ts)
 *   schema    print the configuration's JSON Schema
 *   validate  check a configuration file
 */
import { runSchemaCommand, runValidateCommand } from './config-commands';
import { CliIo, EXIT, PROCESS_IO } from './io';
import { runServeCommand, ServeHooks } from './serve';

export const USAGE = `Usage: cdk-ai-gateway <command> [options]

Commands:
  serve      run the gateway locally: serve --config FILE [--port N] [--host ADDRESS]
  keys       manage tenant API keys: keys create|list|revoke|sync ...
  usage      report a tenant's usage: usage --table NAME --tenant ID [--month YYYY-MM]
  advise     workload advisor: advise --month YYYY-MM (--table NAME | --local PATH) [--format table|json|html]
  prompts    compare prompt versions: prompts eval --config FILE --prompt ID --versions 3,4 --cases FILE
  batch      batches: batch submit FILE|status ID|list|cancel ID|download ID --url BASE_URL
  incident   kill switch: incident suspend-tenant|suspend-key|suspend-route|suspend-target|force-fallback|resume|list ...
  approvals  restricted data: approvals grant|revoke|list --table NAME ...
  reviews    answers that failed validation: reviews list|resolve (--table NAME | --file PATH) ...
  schema     print the JSON Schema of the gateway configuration
  validate   check a gateway configuration file: validate --config FILE

Run 'cdk-ai-gateway <command> --help' for a command's options.`;

/**
 * Runs the command line `argv` (without the node and script paths); resolves to the exit code.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: readonly string[], io: CliIo = PROCESS_IO, hooks: ServeHooks = {}): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return runServeCommand(rest, io, hooks);
    // keys and usage bring their own AWS SDK clients: loaded only for them, so `serve` starts fast.
    case 'keys':
      return (await import('./keys.js')).runKeysCommand(rest, { stdout: io.stdout, stderr: io.stderr });
    case 'usage':
      return (await import('./usage.js')).runUsageCommand(rest, io);
    case 'advise':
      return (await import('./advise.js')).runAdviseCommand(rest, io);
    case 'prompts':
      return (await import('./prompts.js')).runPromptsCommand(rest, io);
    case 'incident':
      return (await import('./incident.js')).runIncidentCommand(rest, io);
    case 'batch':
      return (await import('./batch.js')).runBatchCommand(rest, io);
    case 'approvals':
      return (await import('./approvals.js')).runApprovalsCommand(rest, io);
    case 'reviews':
      return (await import('./reviews.js')).runReviewsCommand(rest, io);
    case 'schema':
      return runSchemaCommand(rest, io);
    case 'validate':
      return runValidateCommand(rest, io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(USAGE);
      return command === undefined ? EXIT.USAGE : EXIT.OK;
    default:
      io.stderr(`error: unknown command '${command.slice(0, 40)}'; allowed: serve, keys, usage, advise, prompts, batch, incident, approvals, reviews, schema, validate\n\n${USAGE}`);
      return EXIT.USAGE;
  }
}
