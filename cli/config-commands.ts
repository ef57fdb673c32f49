/**
 * `cdk-ai-gateway schema [--out FILE]`: the JSON Schema of the gateway configuration.
 * `cdk-ai-gateway validate --config FILE`: checks a configuration file, listing every problem.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GatewayConfigError } from '../lambda/shared/config-error';
import { GatewayConfigValidator } from '../lambda/shared/validator';
import { loadGatewayConfig } from '../lambda/router/runtime';
import { CliIo, EXIT } from './io';

export const SCHEMA_USAGE = `Usage: cdk-ai-gateway schema [--out FILE]

Prints the JSON Schema (draft 2020-12) of the gateway configuration, or writes it to FILE.`;

export const VALIDATE_USAGE = `Usage: cdk-ai-gateway validate --config FILE

Checks a gateway configuration file and lists every problem (exit code 1 if there is one).`;

/** The schema file's text: what `npm run schema` writes to schema/gateway-config.schema.json. */
export function schemaText(): string {
  return `${JSON.stringify(GatewayConfigValidator.jsonSchema(), null, 2)}\n`;
}

function parse(argv: readonly string[], options: Record<string, { type: 'string' | 'boolean'; short?: string }>, usage: string, io: CliIo):
Record<string, string | boolean | undefined> | number {
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    if (values.help) {
      io.stdout(usage);
      return EXIT.OK;
    }
    return values as Record<string, string | boolean | undefined>;
  } catch (error) {
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return EXIT.USAGE;
  }
}

/** Runs `schema`; resolves to the exit code. */
export function runSchemaCommand(argv: readonly string[], io: CliIo): number {
  const values = parse(argv, { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } }, SCHEMA_USAGE, io);
  if (typeof values === 'number') return values;
  const text = schemaText();
  if (typeof values.out === 'string') {
    writeFileSync(values.out, text);
    io.stderr(`wrote ${values.out}`);
  } else {
    io.stdout(text.trimEnd());
  }
  return EXIT.OK;
}

/** Runs `validate`; resolves to the exit code. */
export function runValidateCommand(argv: readonly string[], io: CliIo): number {
  const values = parse(argv, { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, VALIDATE_USAGE, io);
  if (typeof values === 'number') return values;
  if (typeof values.config !== 'string') {
    io.stderr(`error: --config is required\n\n${VALIDATE_USAGE}`);
    return EXIT.USAGE;
  }
  try {
    const config = loadGatewayConfig(values.config);
    io.stdout(`${values.config}: valid (${config.tenants.size} tenants, ${config.targets.size} targets, ${config.routes.size} routes)`);
    return EXIT.OK;
  } catch (error) {
    if (error instanceof GatewayConfigError) {
      io.stderr(`${values.config}: ${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}`);
      for (const issue of error.issues) io.stderr(`  ${issue}`);
    } else {
      io.stderr(`error: ${error instanceof Error ? error.message : String(error)}`);
    }
    return EXIT.FAILED;
  }
}
