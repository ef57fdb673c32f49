/** Jest's transformer for `.ts` files: esbuild, transpile only (see esbuild-transform.js). */
const { cacheKey, transformTypeScript } = require('./esbuild-transform');

module.exports = {
  canInstrument: false,
  getCacheKey: (source, filename) => cacheKey(source, filename),
  process: (source, filename) => transformTypeScript(source, filename),
};
