/** Output and exit codes shared by the CLI's commands. */

/** Where a command writes (tests capture it). Lines are written without a trailing newline. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** The process's own streams. */
export const PROCESS_IO: CliIo = {
  stdout: (text) => { process.stdout.write(`${text}\n`); },
  stderr: (text) => { process.stderr.write(`${text}\n`); },
};

/** Exit codes: done, failed, bad command line. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;
