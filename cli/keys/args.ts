/**
 * Command-line parsing of `cdk-ai-gateway keys <subcommand>` with `node:util` `parseArgs`
 * (strict: an unknown flag is an error), and the validation of every value.
 */
import { parseArgs, ParseArgsConfig } from 'node:util';
import { isAlias, isSensitivity, isTenantId, isTierName } from '../../lambda/authorizer/record';
import { Sensitivity } from '../../lambda/shared/config';
import { UsageError } from './errors';

export const SUBCOMMANDS = ['create', 'list', 'revoke', 'sync'] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

/** Flags every subcommand accepts. */
export interface CommonOptions {
  readonly table: string;
  readonly region?: string;
  /** DynamoDB endpoint override. */
  readonly endpoint?: string;
  /** API Gateway endpoint override. */
  readonly apiGatewayEndpoint?: string;
  readonly json: boolean;
}

export interface CreateOptions extends CommonOptions {
  readonly tenant: string;
  readonly tier?: string;
  readonly aliases: string[];
  readonly expiresInDays?: number;
  readonly sensitivityFloor?: Sensitivity;
  readonly apiKeyId?: string;
  readonly noUsagePlan: boolean;
}

export interface ListOptions extends CommonOptions {
  readonly tenant: string;
}

export interface RevokeOptions extends CommonOptions {
  readonly tenant: string;
  readonly keyId: string;
}

export interface SyncOptions extends CommonOptions {
  readonly tenant: string;
  readonly apiKeyId?: string;
}

/** Longest key lifetime `--expires-in-days` accepts: ten years. */
export const MAX_EXPIRES_IN_DAYS = 3650;
/** Shortest `--key-id` prefix accepted (hex characters of the key hash). */
export const MIN_KEY_ID_LENGTH = 8;

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const API_KEY_ID = /^[A-Za-z0-9]{1,64}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const HEX = /^[0-9a-f]+$/;

const COMMON_FLAGS = {
  table: { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  'apigateway-endpoint': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const FLAGS = {
  create: {
    ...COMMON_FLAGS,
    tenant: { type: 'string' },
    tier: { type: 'string' },
    aliases: { type: 'string' },
    'expires-in-days': { type: 'string' },
    'sensitivity-floor': { type: 'string' },
    'api-key-id': { type: 'string' },
    'no-usage-plan': { type: 'boolean' },
  },
  list: { ...COMMON_FLAGS, tenant: { type: 'string' } },
  revoke: { ...COMMON_FLAGS, tenant: { type: 'string' }, 'key-id': { type: 'string' } },
  sync: { ...COMMON_FLAGS, tenant: { type: 'string' }, 'api-key-id': { type: 'string' } },
} as const;

export const USAGE = `Usage: cdk-ai-gateway keys <create|list|revoke|sync> --table NAME --tenant ID [options]

  create  --table NAME --tenant ID [--tier TIER] [--aliases a,b] [--expires-in-days N]
          [--sensitivity-floor public|internal|restricted] [--api-key-id ID | --no-usage-plan]
          Generates a key, stores only its SHA-256 and prints the key once. A sensitivity
          floor raises the tenant's: the key's requests are never treated as less sensitive.
  list    --table NAME --tenant ID
          Lists the tenant's keys (id, prefix, tier, status, dates); never a key.
  revoke  --table NAME --tenant ID --key-id HEX
          Revokes one key (--key-id: at least ${MIN_KEY_ID_LENGTH} hex characters of its id, as 'list' shows).
  sync    --table NAME --tenant ID [--api-key-id ID]
          Rewrites the tier and usage identifier of the tenant's active keys from its API key
          (after the tenant moved to another tier).

Options for every subcommand:
  --region R                 AWS Region (default: AWS_REGION or the profile's)
  --endpoint URL             DynamoDB endpoint override
  --apigateway-endpoint URL  API Gateway endpoint override
  --json                     machine-readable output
Exit codes: 0 done, 1 failed, 2 bad command line.`;

type Values = Record<string, string | boolean | undefined>;

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function required(values: Values, name: string, subcommand: string): string {
  const v = str(values, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required for 'keys ${subcommand}'.`);
  return v;
}

function url(values: Values, name: string): string | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new UsageError(`--${name}: ${JSON.stringify(v)} is not a URL (expected http:// or https://).`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--${name}: ${JSON.stringify(v)} is not an http:// or https:// URL.`);
  }
  return v;
}

function tenantOf(values: Values, subcommand: string): string {
  const tenant = required(values, 'tenant', subcommand);
  if (!isTenantId(tenant)) {
    throw new UsageError(`--tenant: ${JSON.stringify(tenant)} is not a tenant id (lower-case letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64 characters).`);
  }
  return tenant;
}

function apiKeyIdOf(values: Values): string | undefined {
  const id = str(values, 'api-key-id');
  if (id !== undefined && !API_KEY_ID.test(id)) {
    throw new UsageError(`--api-key-id: ${JSON.stringify(id)} is not an API Gateway API key id (letters and digits, at most 64).`);
  }
  return id;
}

function common(values: Values, subcommand: string): CommonOptions {
  const table = required(values, 'table', subcommand);
  if (!TABLE_NAME.test(table)) {
    throw new UsageError(`--table: ${JSON.stringify(table)} is not a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -).`);
  }
  const region = str(values, 'region');
  if (region !== undefined && !REGION.test(region)) {
    throw new UsageError(`--region: ${JSON.stringify(region)} is not an AWS Region name (such as eu-west-1).`);
  }
  const endpoint = url(values, 'endpoint');
  const apiGatewayEndpoint = url(values, 'apigateway-endpoint');
  return {
    table,
    json: values.json === true,
    ...(region !== undefined ? { region } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(apiGatewayEndpoint !== undefined ? { apiGatewayEndpoint } : {}),
  };
}

export type ParsedCommand =
  | { readonly subcommand: 'help' }
  | { readonly subcommand: 'create'; readonly options: CreateOptions }
  | { readonly subcommand: 'list'; readonly options: ListOptions }
  | { readonly subcommand: 'revoke'; readonly options: RevokeOptions }
  | { readonly subcommand: 'sync'; readonly options: SyncOptions };

/**
 * The subcommand and its validated options. Throws `UsageError` naming the bad flag.
 *
 * @example
 * parseKeysArgs(['create', '--table', 'keys', '--tenant', 'acme', '--tier', 'gold'])
 */
export function parseKeysArgs(argv: readonly string[]): ParsedCommand {
  const [subcommand, ...rest] = argv;
  if (subcommand === undefined || subcommand === '--help' || subcommand === '-h' || subcommand === 'help') return { subcommand: 'help' };
  if (!(SUBCOMMANDS as readonly string[]).includes(subcommand)) {
    throw new UsageError(`Unknown subcommand ${JSON.stringify(subcommand)}: expected one of ${SUBCOMMANDS.join(', ')}.`);
  }
  const sub = subcommand as Subcommand;
  let values: Values;
  try {
    const options: ParseArgsConfig['options'] = FLAGS[sub];
    values = parseArgs({ args: [...rest], options, strict: true, allowPositionals: false }).values as Values;
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)} (see 'keys --help').`);
  }
  if (values.help === true) return { subcommand: 'help' };

  switch (sub) {
    case 'create': {
      const tier = str(values, 'tier');
      if (tier !== undefined && !isTierName(tier)) {
        throw new UsageError(`--tier: ${JSON.stringify(tier)} is not a tier name (lower-case letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64 characters).`);
      }
      const aliasesRaw = str(values, 'aliases');
      const aliases = aliasesRaw === undefined ? [] : aliasesRaw.split(',').map((a) => a.trim());
      for (const alias of aliases) {
        if (!isAlias(alias)) {
          throw new UsageError(`--aliases: ${JSON.stringify(alias)} is not a route alias (lower-case letters, digits, '-', '_', '.' and ':', starting with a letter or digit, at most 64 characters, not 'auto'); give a comma-separated list.`);
        }
      }
      const daysRaw = str(values, 'expires-in-days');
      let expiresInDays: number | undefined;
      if (daysRaw !== undefined) {
        expiresInDays = Number(daysRaw);
        if (!/^\d+$/.test(daysRaw) || expiresInDays < 1 || expiresInDays > MAX_EXPIRES_IN_DAYS) {
          throw new UsageError(`--expires-in-days: ${JSON.stringify(daysRaw)} is not a whole number of days from 1 to ${MAX_EXPIRES_IN_DAYS}.`);
        }
      }
      const floor = str(values, 'sensitivity-floor');
      if (floor !== undefined && !isSensitivity(floor)) {
        throw new UsageError(`--sensitivity-floor: ${JSON.stringify(floor)} is not allowed; allowed: ${Object.values(Sensitivity).join(', ')}.`);
      }
      const apiKeyId = apiKeyIdOf(values);
      const noUsagePlan = values['no-usage-plan'] === true;
      if (noUsagePlan && apiKeyId !== undefined) throw new UsageError('--api-key-id and --no-usage-plan exclude each other.');
      if (noUsagePlan && tier === undefined) throw new UsageError('--tier is required with --no-usage-plan (there is no API key to read the tier from).');
      return {
        subcommand: 'create',
        options: {
          ...common(values, sub),
          tenant: tenantOf(values, sub),
          aliases: [...new Set(aliases)],
          noUsagePlan,
          ...(tier !== undefined ? { tier } : {}),
          ...(expiresInDays !== undefined ? { expiresInDays } : {}),
          ...(floor !== undefined ? { sensitivityFloor: floor } : {}),
          ...(apiKeyId !== undefined ? { apiKeyId } : {}),
        },
      };
    }
    case 'list':
      return { subcommand: 'list', options: { ...common(values, sub), tenant: tenantOf(values, sub) } };
    case 'revoke': {
      const keyId = required(values, 'key-id', sub);
      if (!HEX.test(keyId) || keyId.length < MIN_KEY_ID_LENGTH || keyId.length > 64) {
        throw new UsageError(`--key-id: ${JSON.stringify(keyId)} is not a key id (${MIN_KEY_ID_LENGTH} to 64 lower-case hex characters, as 'keys list' shows).`);
      }
      return { subcommand: 'revoke', options: { ...common(values, sub), tenant: tenantOf(values, sub), keyId } };
    }
    case 'sync': {
      const apiKeyId = apiKeyIdOf(values);
      return {
        subcommand: 'sync',
        options: { ...common(values, sub), tenant: tenantOf(values, sub), ...(apiKeyId !== undefined ? { apiKeyId } : {}) },
      };
    }
  }
}
