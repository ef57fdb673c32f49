import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComplianceReport } from '../../lib';
import { SHARED_SYNTHESIS_TIMEOUT_MS, sharedSynthesis } from '../helpers/synthesis';
import { CASES, roleId } from './grant-cases';

/**
 * The grant helpers the READMEs show raise findings on the caller's own role. Each README states,
 * next to the grant, the acknowledgments it needs, with ids free of logical-id hashes. This test
 * grants each helper to a plain `iam.Role` (grant-cases.ts, one shared synthesis), acknowledges
 * exactly the documented ids, and checks that every pack then passes on the role, that each
 * acknowledgment was needed, and that the README still documents each id.
 */

let report: ComplianceReport;
beforeAll(async () => {
  ({ report } = await sharedSynthesis({ module: join(__dirname, 'grant-cases'), exportName: 'grantsApp' }));
}, SHARED_SYNTHESIS_TIMEOUT_MS);

describe('grant helpers: the acknowledgments each README documents', () => {
  test.each(CASES.map((c) => [c.grant, c] as const))('%s: the documented acknowledgments leave no finding on the role, and each is needed', (_name, c) => {
    const under = (path: string) => path.startsWith(`Grants/${roleId(c)}/`) || path === `Grants/${roleId(c)}`;
    expect(report.pluginFailures).toEqual([]);
    expect(report.findings.filter((f) => under(f.constructPath)).map((f) => f.findingId)).toEqual([]);
    expect(report.unusedAcknowledgments.filter((a) => under(a.constructPath)).map((a) => a.findingId)).toEqual([]);
  });

  test.each(CASES.map((c) => [c.grant, c] as const))('%s: its README documents each id, without a logical-id hash', (_name, c) => {
    const readme = readFileSync(join(__dirname, '..', '..', c.readme), 'utf8');
    expect(readme).toContain(`${c.grant}(`);
    for (const id of c.documented) {
      expect(id).not.toMatch(/<[A-Za-z0-9]+[0-9A-F]{8}(\.[A-Za-z]+)?>/);
      expect(readme).toContain(id);
    }
  });
});
