/** Jest globalTeardown: stops the shared synthesis server global-setup.js started. */
module.exports = async function globalTeardown() {
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
};
