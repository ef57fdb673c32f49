/**
 * A loopback address where TCP connects hang: the way to test a connect timeout without leaving
 * 127.0.0.1.
 *
 * A child Node process listens with a backlog of 1 and then blocks its own event loop, so it never
 * accepts. Linux completes handshakes into the accept queue until it is full; the helper fills it
 * with filler connections, after which the kernel drops further SYNs and every new `connect()`
 * stays pending (the client retransmits SYNs for minutes). Only the connect timeout of the client
 * under test can end it.
 *
 * @example
 * const hole = await startBlackhole();
 * // connect to hole.url: hangs until the client's connect timeout fires
 * await hole.close();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';

export interface Blackhole {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Kills the child process and the filler connections. */
  close(): Promise<void>;
}

const CHILD = `
const s = require('net').createServer();
s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write(String(s.address().port) + '\\n');
  setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000), 20);
});`;

function connectWithin(port: number, ms: number): Promise<{ socket: net.Socket; connected: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const timer = setTimeout(() => resolve({ socket, connected: false }), ms);
    socket.once('connect', () => { clearTimeout(timer); resolve({ socket, connected: true }); });
  });
}

export async function startBlackhole(): Promise<Blackhole> {
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
  });
  // Let the child block its event loop before filling the queue.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 16; i++) {
    const { socket, connected } = await connectWithin(port, 200);
    fillers.push(socket);
    if (!connected) break;
    if (i === 15) throw new Error('fake-blackhole: the accept queue never filled');
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of fillers) s.destroy();
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
