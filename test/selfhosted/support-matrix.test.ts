import { readFileSync } from 'fs';
import * as path from 'path';
import { SelfHostedCluster } from '../../lib';
import { SelfHostedSupportMatrix, SupportedComponent } from '../../lib/selfhosted/support-matrix';

const README = readFileSync(path.join(__dirname, '..', '..', 'lib', 'selfhosted', 'README.md'), 'utf8');

/** The rows of the README's support matrix table: component, version, Kubernetes range. */
function readmeRows(): Array<{ component: string; version: string; kubernetes: string }> {
  const section = README.split('## Support matrix')[1];
  if (!section) throw new Error('lib/selfhosted/README.md has no "## Support matrix" section');
  const table = section.split('\n\n').find((block) => block.trim().startsWith('| component'));
  if (!table) throw new Error('the support matrix section has no table');
  return table.trim().split('\n').slice(2).map((line) => {
    const [component, version, kubernetes] = line.split('|').slice(1, 4).map((c) => c.trim().replace(/`/g, ''));
    return { component, version, kubernetes };
  });
}

const range = (c: SupportedComponent) => `${c.kubernetesMin}–${c.kubernetesMax ?? ''}`.replace(/–$/, '+');

describe('the self-hosted support matrix', () => {
  test('the default Kubernetes version is inside every component\'s documented range', () => {
    expect(SelfHostedSupportMatrix.unsupportedOn(SelfHostedCluster.DEFAULT_KUBERNETES_VERSION.version)).toEqual([]);
  });

  test('the check fails for a version outside a range', () => {
    expect(SelfHostedSupportMatrix.unsupportedOn('1.33').map((c) => c.component)).toEqual(['KEDA']);
    expect(SelfHostedSupportMatrix.unsupportedOn('1.38').map((c) => c.component)).toEqual(['Karpenter', 'KEDA']);
  });

  test('the README documents exactly the matrix: same components, versions and ranges', () => {
    expect(readmeRows()).toEqual(SelfHostedSupportMatrix.COMPONENTS.map((c) => ({ component: c.component, version: c.version, kubernetes: range(c) })));
  });
});
