/**
 * The plumbing every scripted loopback fake shares: a queue of behaviours with a default, the
 * recorded requests, TCP connection counting and ids, timers that `close()` clears, and the
 * controls tests use (`enqueue`, `reset`, `dropConnections`, `close`, ...).
 *
 * A fake creates one with `scriptedServer`, takes behaviours with `next()`, records requests with
 * `record()`, waits with `sleep()`, starts its HTTP server with `listen()` and returns
 * `controls(own)`: its own members plus the shared controls.
 */
import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';

/** The controls every scripted fake exposes. */
export interface ScriptedServerControls<B, R> {
  /** Every request since start or the last `reset()`, in arrival order. */
  readonly requests: readonly R[];
  /** TCP connections accepted since start or the last `reset()`. */
  readonly connectionCount: number;
  /** TCP connections open right now. */
  readonly openConnections: number;
  /** Behaviours still queued. */
  readonly pending: number;
  /** Behaviours for the next scripted calls, in order; each is used once. */
  enqueue(...behaviours: B[]): void;
  /** What answers when the queue is empty. */
  setDefaultBehaviour(behaviour: B): void;
  /** The most recent request; throws when there is none. */
  lastRequest(): R;
  /** Clears the queue, the recorded requests and the counters, and restores the default behaviour. Open connections stay open. */
  reset(): void;
  /** Destroys every open connection (the next call must reconnect). */
  dropConnections(): void;
  /** Stops the server and destroys every connection. */
  close(): Promise<void>;
}

export interface ScriptedServerOptions<B> {
  /** Names the fake in its error messages, e.g. 'fake-openai-upstream'. */
  readonly name: string;
  /** What answers when the queue is empty, and again after `reset()`. */
  readonly defaultBehaviour: B;
  /** Extra work for `reset()` (counters the fake keeps itself). */
  readonly onReset?: () => void;
  /** Extra work for `dropConnections()`, run before the TCP sockets are destroyed. */
  readonly onDropConnections?: () => void;
}

export interface ScriptedServer<B, R> {
  /** The recorded requests (the fake pushes through `record`). */
  readonly requests: readonly R[];
  /** The next queued behaviour, or the default one when the queue is empty. */
  next(): B;
  /** Records a request. */
  record(request: R): void;
  /** Resolves after `ms` (at once for 0 or undefined); `close()` clears the timer. */
  sleep(ms: number | undefined): Promise<void>;
  /** The 1-based id of a socket, in accept order across resets; 0 for an unknown socket. */
  connectionIdOf(socket: Socket | undefined): number;
  /** Counts the server's connections, listens on 127.0.0.1 on a free port and returns the port. */
  listen(server: http.Server | http2.Http2Server): Promise<number>;
  /** The shared controls with the fake's own members (getters kept) on the same object. */
  controls<T extends object>(own: T): T & ScriptedServerControls<B, R>;
}

/** Creates the shared state and controls of a scripted fake. */
export function scriptedServer<B, R>(options: ScriptedServerOptions<B>): ScriptedServer<B, R> {
  let defaultBehaviour = options.defaultBehaviour;
  const queue: B[] = [];
  let requests: R[] = [];
  let connectionCount = 0;
  let nextConnectionId = 0;
  const sockets = new Set<Socket>();
  const connectionIds = new WeakMap<Socket, number>();
  const timers = new Set<NodeJS.Timeout>();
  let listening: http.Server | http2.Http2Server | undefined;

  const onConnection = (socket: Socket): void => {
    connectionCount += 1;
    nextConnectionId += 1;
    connectionIds.set(socket, nextConnectionId);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  const dropConnections = (): void => {
    options.onDropConnections?.();
    for (const socket of sockets) socket.destroy();
  };

  const shared: ScriptedServerControls<B, R> = {
    get requests() { return requests; },
    get connectionCount() { return connectionCount; },
    get openConnections() { return sockets.size; },
    get pending() { return queue.length; },
    enqueue: (...behaviours) => { queue.push(...behaviours); },
    setDefaultBehaviour: (behaviour) => { defaultBehaviour = behaviour; },
    lastRequest: () => {
      const last = requests[requests.length - 1];
      if (!last) throw new Error(`${options.name}: no request received`);
      return last;
    },
    reset: () => {
      queue.length = 0;
      defaultBehaviour = options.defaultBehaviour;
      requests = [];
      connectionCount = 0;
      options.onReset?.();
    },
    dropConnections,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const server = listening;
      const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      dropConnections();
      await closed;
    },
  };

  return {
    get requests() { return requests; },
    next: () => queue.shift() ?? defaultBehaviour,
    record: (request) => { requests.push(request); },
    sleep: (ms) =>
      !ms ? Promise.resolve() : new Promise((resolve) => {
        const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
        timers.add(t);
      }),
    connectionIdOf: (socket) => (socket && connectionIds.get(socket)) ?? 0,
    listen: async (server) => {
      server.on('connection', onConnection);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      listening = server;
      return (server.address() as AddressInfo).port;
    },
    controls: <T extends object>(own: T) =>
      Object.defineProperties(own, Object.getOwnPropertyDescriptors(shared)) as T & ScriptedServerControls<B, R>,
  };
}
