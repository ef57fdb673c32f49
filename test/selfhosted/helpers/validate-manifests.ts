import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/** A Kubernetes object as the constructs render it. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly [key: string]: unknown;
}

interface Validatable { validate(): void }
type ModelClass = new (data: unknown) => Validatable;

const KARPENTER_GROUPS = new Set(['karpenter.sh', 'karpenter.k8s.aws']);

/** Validators for API groups that have no published schema package (register them per suite). */
const extraValidators = new Map<string, (m: KubeObject) => void>();

/**
 * Registers a validator for `apiVersion kind` (for example a CRD whose schema the test carries
 * itself). It must throw on an invalid object.
 */
export function registerValidator(apiVersion: string, kind: string, validate: (m: KubeObject) => void): void {
  extraValidators.set(`${apiVersion} ${kind}`, validate);
}

function modelClass(apiVersion: string, kind: string): ModelClass {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const module = group === 'keda.sh'
    ? `@kubernetes-models/keda/keda.sh/${version}/${kind}`
    : `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
  let loaded: Record<string, ModelClass>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(module) as Record<string, ModelClass>;
  } catch {
    throw new Error(`no upstream schema for ${apiVersion} ${kind} (looked for ${module})`);
  }
  return loaded[kind];
}

function describe(m: KubeObject): string {
  return `${m.apiVersion} ${m.kind} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata?.name ?? '(no name)'}`;
}

/**
 * Validates manifests against upstream schemas: core Kubernetes (`kubernetes-models` 4.5.1),
 * KEDA (`@kubernetes-models/keda`), Karpenter v1 (`@kubernetes-models/karpenter`, ESM-only, in
 * one child process for the whole batch) and any validator registered with `registerValidator`.
 * Returns one message per invalid manifest; an empty array means all are valid.
 */
export function manifestErrors(manifests: readonly KubeObject[]): string[] {
  const errors: string[] = [];
  const karpenter: KubeObject[] = [];
  for (const m of manifests) {
    if (typeof m.apiVersion !== 'string' || typeof m.kind !== 'string') {
      errors.push(`manifest without apiVersion/kind: ${JSON.stringify(m).slice(0, 200)}`);
      continue;
    }
    if (KARPENTER_GROUPS.has(m.apiVersion.split('/')[0])) {
      karpenter.push(m);
      continue;
    }
    try {
      const extra = extraValidators.get(`${m.apiVersion} ${m.kind}`);
      if (extra) extra(m);
      else new (modelClass(m.apiVersion, m.kind))(m).validate();
    } catch (err) {
      errors.push(`${describe(m)}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (karpenter.length > 0) {
    const out = execFileSync(process.execPath, [path.join(__dirname, 'validate-karpenter.mjs')], {
      input: JSON.stringify(karpenter),
      cwd: path.join(__dirname, '..', '..', '..'),
    });
    (JSON.parse(out.toString()) as (string | null)[]).forEach((e, i) => {
      if (e) errors.push(`${describe(karpenter[i])}: ${e}`);
    });
  }
  return errors;
}

/** Jest-friendly: throws listing every invalid manifest. */
export function expectValidManifests(manifests: readonly KubeObject[]): void {
  if (manifests.length === 0) throw new Error('no manifests to validate');
  const errors = manifestErrors(manifests);
  if (errors.length > 0) throw new Error(`invalid manifests:\n${errors.join('\n')}`);
}
