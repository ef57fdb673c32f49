import { Template } from 'aws-cdk-lib/assertions';
import { KubeObject } from './validate-manifests';

/**
 * Renders a CloudFormation string value that may be an `Fn::Join` of literals and intrinsics,
 * replacing each intrinsic with a readable placeholder (`{{Ref:Id}}`, `{{GetAtt:Id.Attr}}`) that
 * keeps the surrounding JSON valid.
 */
export function renderCfnString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if ('Fn::Join' in obj) {
      const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
      return parts.map(renderCfnString).join(sep);
    }
    if ('Ref' in obj) return `{{Ref:${String(obj.Ref)}}}`;
    if ('Fn::GetAtt' in obj) return `{{GetAtt:${(obj['Fn::GetAtt'] as string[]).join('.')}}}`;
    return `{{${Object.keys(obj)[0]}}}`;
  }
  return String(value);
}

/** Every Kubernetes object the template applies through `addManifest`, in template order. */
export function kubernetesManifests(template: Template): KubeObject[] {
  const resources = template.findResources('Custom::AWSCDK-EKS-KubernetesResource');
  return Object.values(resources).flatMap((r) => JSON.parse(renderCfnString((r.Properties as Record<string, unknown>).Manifest)) as KubeObject[]);
}

/**
 * The subnet and security group ids are CloudFormation references in the template; CRDs check
 * their format (subnet-..., sg-...), so validate with ids of the form they have at deployment.
 */
export function withDeployTimeIds(objects: KubeObject[]): KubeObject[] {
  return JSON.parse(JSON.stringify(objects)
    .replace(/"\{\{Ref:[A-Za-z0-9]*Subnet[A-Za-z0-9]*\}\}"/g, '"subnet-0123456789abcdef0"')
    .replace(/"\{\{GetAtt:[A-Za-z0-9]+\.ClusterSecurityGroupId\}\}"/g, '"sg-0123456789abcdef0"')) as KubeObject[];
}

/** Kubernetes objects of one kind, optionally with one name. */
export function manifestsOfKind(template: Template, kind: string, name?: string): KubeObject[] {
  return kubernetesManifests(template).filter((m) => m.kind === kind && (name === undefined || m.metadata?.name === name));
}

/** A Helm release the template installs through `addHelmChart`. */
export interface HelmRelease {
  readonly chart?: string;
  readonly repository?: string;
  readonly version?: string;
  readonly namespace?: string;
  readonly release?: string;
  readonly values: Record<string, unknown>;
}

/** Every Helm release of the template, its values parsed. */
export function helmReleases(template: Template): HelmRelease[] {
  const resources = template.findResources('Custom::AWSCDK-EKS-HelmChart');
  return Object.values(resources).map((r) => {
    const p = r.Properties as Record<string, unknown>;
    return {
      chart: p.Chart as string | undefined,
      repository: p.Repository as string | undefined,
      version: p.Version as string | undefined,
      namespace: p.Namespace as string | undefined,
      release: p.Release as string | undefined,
      values: p.Values === undefined ? {} : JSON.parse(renderCfnString(p.Values)) as Record<string, unknown>,
    };
  });
}

/** The one Helm release of `chart`; throws when there is none or more than one. */
export function helmRelease(template: Template, chart: string): HelmRelease {
  const found = helmReleases(template).filter((h) => h.chart === chart);
  if (found.length !== 1) throw new Error(`expected one Helm release of '${chart}', found ${found.length}`);
  return found[0];
}
