/** Why the router could not load its gateway configuration. */
import type { ConfigSource } from './source';

/** The two ways loading fails, logged with different messages. */
export const ConfigProblemKind = {
  /** The configuration was read but is not a valid gateway configuration (JSON, schema, references). */
  INVALID: 'invalid',
  /** The configuration could not be read (AppConfig error or timeout, empty answer, unreadable file). */
  UNAVAILABLE: 'unavailable',
} as const;
export type ConfigProblemKind = typeof ConfigProblemKind[keyof typeof ConfigProblemKind];

export interface ConfigLoadErrorProps {
  readonly kind: ConfigProblemKind;
  /** Every problem, one message each. */
  readonly problems: readonly string[];
  /** Whether trying again later may succeed (a failed fetch; never an invalid configuration). */
  readonly retryable: boolean;
  /** Where the configuration was read from, when that much was known. */
  readonly source?: ConfigSource;
}

/**
 * The configuration could not be loaded: every problem, the source, and whether a later attempt
 * may succeed.
 */
export class ConfigLoadError extends Error {
  public readonly kind: ConfigProblemKind;
  public readonly problems: readonly string[];
  public readonly retryable: boolean;
  public readonly source?: ConfigSource;

  constructor(props: ConfigLoadErrorProps) {
    const count = props.problems.length;
    super(`${props.kind === ConfigProblemKind.INVALID ? 'Invalid gateway configuration' : 'Gateway configuration unavailable'} `
      + `(${count} problem${count === 1 ? '' : 's'}):\n  ${props.problems.slice(0, 50).join('\n  ')}`
      + `${count > 50 ? `\n  … and ${count - 50} more` : ''}`);
    this.name = 'ConfigLoadError';
    this.kind = props.kind;
    this.problems = props.problems;
    this.retryable = props.retryable;
    this.source = props.source;
  }
}
