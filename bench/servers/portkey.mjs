// Starts the open-source Portkey gateway (`@portkey-ai/gateway`, its Node.js server entry
// `build/start-server.js`, the package's `bin`) for the benchmark, unchanged except for two
// things its command line cannot say:
// - it listens on 127.0.0.1 only (the entry calls `listen(port)` on every interface);
// - it reports the port it listens on over IPC, so the benchmark can pass `--port=0`.
// It runs headless (no log UI) with NODE_ENV=production, as a production deployment would.
//
//   node servers/portkey.mjs --port=0
import * as net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  // @hono/node-server calls listen(port, hostname /* undefined */, callback).
  if (typeof args[0] === 'number' && (args[1] === undefined || typeof args[1] === 'function')) {
    const callback = typeof args[1] === 'function' ? args[1] : args[2];
    args = [args[0], '127.0.0.1', ...(callback ? [callback] : [])];
  }
  this.once('listening', () => {
    const address = this.address();
    if (process.send && address && typeof address === 'object') process.send({ listening: address.port });
  });
  return listen.apply(this, args);
};

process.env.NODE_ENV ??= 'production';
if (!process.argv.includes('--headless')) process.argv.push('--headless');
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
await import('@portkey-ai/gateway/build/start-server.js');
