/** The configuration file: local mode (`cdk-ai-gateway serve`), tests, and a file shipped in the asset. */
import { readFileSync } from 'node:fs';
import { ResolvedGatewayConfig } from '../../shared/defaults';
import { parseGatewayConfig } from './parse';

/**
 * Reads, validates and resolves a configuration file. Throws `GatewayConfigError` listing every
 * problem, or an `Error` naming the file when it cannot be read.
 *
 * @example
 * const config = loadGatewayConfig('/var/task/gateway-config.json');
 */
export function loadGatewayConfig(path: string): ResolvedGatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the gateway configuration ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseGatewayConfig(text, `file ${path}`);
}
