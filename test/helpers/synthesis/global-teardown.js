/** Jest globalTeardown: stops the shared synthesis server global-setup.js started. */
module.exports = async function globalTeardown() {
  const child = globalThis.__cdkAiGatewaySynthServer;
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
  }
};
