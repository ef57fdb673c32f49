// Validates Karpenter v1 objects against @kubernetes-models/karpenter, which is ESM-only, so the
// jest helper runs this file in a child process. Reads a JSON array of manifests on stdin and
// prints a JSON array of error messages (null for a valid manifest).
import { NodePool } from '@kubernetes-models/karpenter/karpenter.sh/v1/NodePool';
import { EC2NodeClass } from '@kubernetes-models/karpenter/karpenter.k8s.aws/v1/EC2NodeClass';

const models = { 'karpenter.sh/v1 NodePool': NodePool, 'karpenter.k8s.aws/v1 EC2NodeClass': EC2NodeClass };
let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = JSON.parse(input).map((manifest) => {
  const Model = models[`${manifest.apiVersion} ${manifest.kind}`];
  if (!Model) return `no Karpenter v1 schema for ${manifest.apiVersion} ${manifest.kind}`;
  try {
    new Model(manifest).validate();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
});
process.stdout.write(JSON.stringify(results));
