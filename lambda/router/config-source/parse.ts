/** Configuration text → a validated, resolved gateway configuration: one path for every source. */
import { GatewayConfigError } from '../../shared/config-error';
import { resolveGatewayConfig, ResolvedGatewayConfig } from '../../shared/defaults';
import { GatewayConfigValidator } from '../../shared/validator';

/**
 * The JSON parser's complaint without the excerpt of the text V8 quotes in some messages
 * (`Unexpected token 'x', "…" is not valid JSON`): the configuration's text stays out of logs.
 */
function jsonSyntaxProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/, ".*" is not valid JSON$/s, '');
}

/**
 * Parses, validates and resolves configuration text. Throws `GatewayConfigError` with every
 * problem; a JSON syntax error is one problem that names `origin`.
 *
 * @example
 * const config = parseGatewayConfig(readFileSync(path, 'utf8'), `file ${path}`);
 */
export function parseGatewayConfig(text: string, origin: string): ResolvedGatewayConfig {
  let value: unknown;
  try {
    // A byte order mark is not JSON, but editors write one.
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new GatewayConfigError([`(${origin}): not valid JSON: ${jsonSyntaxProblem(error)}`]);
  }
  return resolveGatewayConfig(GatewayConfigValidator.validate(value));
}
