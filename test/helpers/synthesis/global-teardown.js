/**
 * Jest globalTeardown: stops the shared synthesis server global-setup.js started, then removes the
 * run's scratch TMPDIR (the cdk.out* folders of every synthesis without an outdir).
 */
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  try {
    await stopServer();
  } finally {
    const scratch = globalThis.__cdkAiGatewayScratch;
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
};

async function stopServer() {
  const server = globalThis.__cdkAiGatewaySynthServer;
  if (!server) return;
  const { child, exited } = server;
  if (child.exitCode === null && child.signalCode === null) child.kill();
  // Keep the loop alive while waiting: the child is unref'd, and Jest writes --outputFile after this.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    await exited;
  } finally {
    clearInterval(keepAlive);
  }
}
