/**
 * `cdk-ai-gateway keys create|list|revoke|sync`: manage tenant keys in the tenant-key table.
 * Keys are generated here, stored only as their SHA-256, and printed once.
 *
 * The dispatcher (`cli/index.ts`) calls `runKeysCommand(argv.slice(1))` and exits with its result.
 */
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { createDynamoDbClient, DYNAMODB_PROFILES } from '../lambda/clients/dynamodb';
import { createApiGatewayClient } from './keys/api-keys';
import { parseKeysArgs, USAGE } from './keys/args';
import { createKey, KeysContext, listKeys, revokeTenantKey, syncTenantKeys } from './keys/commands';
import { EXIT, KeysCommandError, UsageError } from './keys/errors';

export { EXIT } from './keys/errors';

/** Where the command writes, and its clock; tests replace them. */
export interface KeysIo {
  /** @default process.stdout */
  readonly stdout?: (text: string) => void;
  /** @default process.stderr */
  readonly stderr?: (text: string) => void;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Runs `keys <subcommand> [flags]` and resolves to the exit code: 0 done, 1 failed, 2 bad
 * command line. Never throws.
 *
 * @example
 * process.exitCode = await runKeysCommand(['create', '--table', 'gw-keys', '--tenant', 'acme']);
 */
export async function runKeysCommand(argv: readonly string[], io: KeysIo = {}): Promise<number> {
  const stdout = io.stdout ?? ((text: string) => { process.stdout.write(`${text}\n`); });
  const stderr = io.stderr ?? ((text: string) => { process.stderr.write(`${text}\n`); });
  try {
    const command = parseKeysArgs(argv);
    if (command.subcommand === 'help') {
      stdout(USAGE);
      return EXIT.OK;
    }
    const { options } = command;
    const dynamodb = createDynamoDbClient({ ...DYNAMODB_PROFILES.OPERATOR, region: options.region, endpoint: options.endpoint });
    let apiGateway: APIGatewayClient | undefined;
    const ctx: KeysContext = {
      dynamodb,
      apiGateway: () => (apiGateway ??= createApiGatewayClient({
        ...(options.region !== undefined ? { region: options.region } : {}),
        ...(options.apiGatewayEndpoint !== undefined ? { endpoint: options.apiGatewayEndpoint } : {}),
      })),
      output: { stdout, stderr },
      now: io.now ?? (() => new Date()),
    };
    try {
      switch (command.subcommand) {
        case 'create': await createKey(ctx, command.options); break;
        case 'list': await listKeys(ctx, command.options); break;
        case 'revoke': await revokeTenantKey(ctx, command.options); break;
        case 'sync': await syncTenantKeys(ctx, command.options); break;
      }
    } finally {
      dynamodb.destroy();
      apiGateway?.destroy();
    }
    return EXIT.OK;
  } catch (err) {
    if (err instanceof UsageError) {
      stderr(`error: ${err.message}`);
      stderr(`Run 'cdk-ai-gateway keys --help' for usage.`);
      return err.exitCode;
    }
    if (err instanceof KeysCommandError) {
      stderr(`error: ${err.message}`);
      return err.exitCode;
    }
    // AWS SDK errors: name and message (they carry no key: the clear key is never sent anywhere).
    const name = err instanceof Error ? err.name : 'Error';
    const message = err instanceof Error ? err.message : String(err);
    stderr(`error: ${name}: ${message}`);
    return EXIT.FAILED;
  }
}
