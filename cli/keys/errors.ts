/** Exit codes of `cdk-ai-gateway keys`. */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** The operation failed: AWS error, nothing matched, a conflict. */
  FAILED: 1,
  /** The command line is wrong: unknown subcommand or flag, bad value, missing flag. */
  USAGE: 2,
} as const;

/** A failure the CLI reports as one line, with its exit code. */
export class KeysCommandError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.FAILED) {
    super(message);
    this.name = 'KeysCommandError';
  }
}

/** A bad command line: the message names the flag, the value received and what is allowed. */
export class UsageError extends KeysCommandError {
  constructor(message: string) {
    super(message, EXIT.USAGE);
    this.name = 'UsageError';
  }
}
