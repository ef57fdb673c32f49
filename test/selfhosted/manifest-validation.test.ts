import { manifestErrors } from './helpers/validate-manifests';

// The validator the self-hosted tests rely on must itself reject bad objects, or every
// "valid manifest" assertion would pass vacuously.
describe('manifestErrors', () => {
  test('rejects a core object that breaks its schema', () => {
    const bad = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { selector: {}, template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 'http' }] }] } } } };
    expect(manifestErrors([bad])).toEqual([expect.stringMatching(/apps\/v1 Deployment x: .*containerPort must be integer/)]);
  });

  test('accepts valid core, policy and KEDA objects', () => {
    expect(manifestErrors([
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: 80 }] } },
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'x' }, spec: { maxUnavailable: 1 } },
      { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'x' }, spec: { scaleTargetRef: { name: 'x' }, triggers: [] } },
    ])).toEqual([]);
  });

  test('validates Karpenter v1 objects against the Karpenter schema', () => {
    const errors = manifestErrors([
      { apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', metadata: { name: 'bad' }, spec: { metadataOptions: { httpTokens: 'no' } } },
      { apiVersion: 'karpenter.sh/v1', kind: 'NodePool', metadata: { name: 'ok' }, spec: { template: { spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'bad' }, requirements: [] } } } },
    ]);
    expect(errors).toEqual([expect.stringMatching(/EC2NodeClass bad: .*httpTokens/)]);
  });

  test('validates batch/v1 Jobs (the weights copy) and EC2NodeClass block devices (the image snapshot)', () => {
    const job = (backoffLimit: unknown) => ({
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'copy' },
      spec: { backoffLimit, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'i' }] } } },
    });
    const nodeClass = (snapshotID: unknown) => ({
      apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', metadata: { name: `n${String(snapshotID).length}` },
      spec: { amiSelectorTerms: [{ alias: 'bottlerocket@v1.64.0' }], role: 'r', subnetSelectorTerms: [{ id: 'subnet-1' }], securityGroupSelectorTerms: [{ id: 'sg-1' }], blockDeviceMappings: [{ deviceName: '/dev/xvdb', ebs: { volumeSize: '100Gi', snapshotID } }] },
    });
    expect(manifestErrors([job(4), nodeClass('snap-0123456789abcdef0')])).toEqual([]);
    expect(manifestErrors([job('four'), nodeClass(42)])).toEqual([
      expect.stringMatching(/batch\/v1 Job copy: .*backoffLimit/),
      expect.stringMatching(/EC2NodeClass n2: .*snapshotID/),
    ]);
  });

  test('refuses an object it has no schema for instead of passing it', () => {
    expect(manifestErrors([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x' } }])).toEqual([expect.stringMatching(/no upstream schema for example.com\/v1 Widget/)]);
  });
});
