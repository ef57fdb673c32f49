// Snapshot serializer: asset hashes (64 hex chars, with an optional extension) differ whenever
// bundled code changes; normalise them so snapshots track the template's shape, not the bytes.
const HASH = /[0-9a-f]{64}(\.(zip|json|mjs|js))?/g;
module.exports = {
  test: (val) => typeof val === 'string' && /[0-9a-f]{64}/.test(val),
  serialize: (val) => JSON.stringify(val.replace(HASH, '[ASSET-HASH]')),
};
