// The `cdk-ai-gateway` executable (package.json `bin`, bundled to assets/cli/index.mjs).
import { runCli } from './dispatch';

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
