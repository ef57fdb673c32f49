// Child processes of the benchmark: each server runs in its own process, so its CPU time can be
// read per process; every child is killed when the benchmark ends, on success or failure.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const children = new Set();

/**
 * Variables of the benchmark's own environment that its children do not inherit, because they
 * change what is measured: NODE_OPTIONS can preload code into every process, and
 * NODE_EXTRA_CA_CERTS makes Node read and parse a CA file at every start (about 45 ms on the
 * reference machine, whose sandbox sets it; AWS Lambda does not).
 */
export const DROPPED_ENV = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'];

/** The environment of a child process: the benchmark's, less DROPPED_ENV, plus `extra`. */
export function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const name of DROPPED_ENV) delete env[name];
  return { ...env, ...extra };
}

/** Kills every child still running (SIGKILL: the benchmark's children hold no state worth saving). */
export function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

let hooked = false;
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/**
 * Spawns `node <args>` and resolves once it listens, with its port. Readiness comes either over
 * IPC (`{ listening: port }`, mode 'ipc') or from a line of its stderr matching `readyPattern`
 * (whose first group is the port), so the process under test needs no benchmark code in it.
 *
 * @returns {Promise<{ name: string, child: import('node:child_process').ChildProcess, pid: number, port: number, stderr: () => string, stop: () => Promise<void> }>}
 */
export function startServer({ name, args, env = {}, cwd, readyPattern, timeoutMs = 15_000 }) {
  hookExit();
  const ipc = readyPattern === undefined;
  const child = spawn(process.execPath, args, {
    cwd,
    env: childEnv(env),
    stdio: ['ignore', 'ignore', 'pipe', ...(ipc ? ['ipc'] : [])],
  });
  children.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    // Keep the start of stderr (for error messages), never an unbounded log.
    if (stderr.length < 20_000) stderr += d;
  });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      children.delete(child);
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      children.delete(child);
      reject(new Error(`${error.message}\n--- ${name} stderr ---\n${stderr.slice(0, 4000)}`));
    };
    const ready = (port) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({ name, child, pid: child.pid, port, stderr: () => stderr, stop });
    };
    const onExit = (code, signal) => fail(new Error(`${name} exited (${signal ?? code}) before it listened`));
    child.once('exit', onExit);
    child.once('error', fail);
    if (ipc) {
      child.on('message', (m) => {
        if (m && typeof m.listening === 'number') ready(m.listening);
      });
    } else {
      const onData = () => {
        const match = readyPattern.exec(stderr);
        if (match) {
          child.stderr.off('data', onData);
          ready(Number(match[1]));
        }
      };
      child.stderr.on('data', onData);
    }
  });
}

/**
 * CPU time used so far by a process, all its threads (main thread, libuv pool, V8 GC and
 * compiler threads), in milliseconds: the sum of the per-thread run times in
 * /proc/<pid>/task/<tid>/schedstat (nanoseconds), or utime+stime of /proc/<pid>/stat (clock
 * ticks) where schedstat is not available.
 */
export function cpuMs(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // a thread that ended between the listing and the read
      }
    }
    return ns / 1e6;
  } catch {
    // The command name (field 2) may contain spaces: split after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name; 100 Hz.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }
}
