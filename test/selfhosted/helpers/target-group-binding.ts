import Ajv from 'ajv';
import { KubeObject, registerValidator } from './validate-manifests';

// The TargetGroupBinding schema, written from the CRD's documented fields (no npm package carries
// the AWS Load Balancer Controller CRDs): kubernetes-sigs.github.io/aws-load-balancer-controller/
// latest/guide/targetgroupbinding/spec and helm/aws-load-balancer-controller/crds/crds.yaml.
export const TARGET_GROUP_BINDING_SCHEMA = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'elbv2.k8s.aws/v1beta1' },
    kind: { const: 'TargetGroupBinding' },
    metadata: {
      type: 'object',
      required: ['name', 'namespace'],
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$', maxLength: 253 },
        namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: {
      type: 'object',
      required: ['serviceRef', 'targetGroupARN'],
      additionalProperties: false,
      properties: {
        targetGroupARN: { type: 'string', minLength: 1 },
        targetGroupName: { type: 'string' },
        targetType: { enum: ['instance', 'ip'] },
        serviceRef: {
          type: 'object',
          required: ['name', 'port'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1 },
            port: { anyOf: [{ type: 'integer', minimum: 1, maximum: 65535 }, { type: 'string', minLength: 1 }] },
          },
        },
        networking: { type: 'object' },
        nodeSelector: { type: 'object' },
        ipAddressType: { enum: ['ipv4', 'ipv6'] },
        vpcID: { type: 'string' },
        multiClusterTargetGroup: { type: 'boolean' },
      },
    },
  },
};

/** Lets `expectValidManifests` check TargetGroupBindings against `TARGET_GROUP_BINDING_SCHEMA`. */
export function registerTargetGroupBindingValidator(): void {
  const ajv = new Ajv({ allErrors: true });
  const validateTgb = ajv.compile(TARGET_GROUP_BINDING_SCHEMA);
  registerValidator('elbv2.k8s.aws/v1beta1', 'TargetGroupBinding', (m: KubeObject) => {
    if (!validateTgb(m)) throw new Error(ajv.errorsText(validateTgb.errors));
  });
}
