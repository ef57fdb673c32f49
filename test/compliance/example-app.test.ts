import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { EXAMPLE_APP_MODULE, loadExampleAppBuilder } from '../../scripts/compliance-report';
import { expectAcknowledgmentsJustified, expectNoUnacknowledgedFindings, QUIET_VALIDATION } from '../helpers/compliance';

// Real synthesis with every pack; the first one in a process also starts aws-cdk-lib's template
// validation engine. Seconds on an idle machine, but allow for a shared, loaded CI host.
jest.setTimeout(300_000);

/**
 * The compliance gate of the example app (testing layer 4 in ARCHITECTURE.md): every pack, zero
 * unacknowledged findings, every acknowledgment justified. It runs as soon as `bin/example.ts`
 * exists and exports `buildExampleApp(app?: App): App`; until then jest lists it as skipped.
 */
const describeExample = existsSync(`${EXAMPLE_APP_MODULE}.ts`) ? describe : describe.skip;

describeExample('the example app (bin/example.ts)', () => {
  test('every acknowledgment names its finding and gives a reason a reviewer would accept', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'example-acks-'));
    try {
      const app = new App({ outdir, context: QUIET_VALIDATION });
      const built = loadExampleAppBuilder()(app);
      expectAcknowledgmentsJustified(App.isApp(built) ? built : app);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('has no unacknowledged finding in any pack (AwsSolutions, NIST 800-53 R5, HIPAA, PCI DSS 3.2.1, Serverless, Control Tower, AiGateway)', () => {
    expectNoUnacknowledgedFindings(loadExampleAppBuilder());
  });
});
