import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AiGatewayValidationError } from './errors';

/**
 * The optional peer dependencies (package.json `peerDependenciesMeta`): large packages that only
 * some constructs need, loaded by those constructs when they are built, never when the package is
 * imported. Each name here must be an optional peer in package.json, which holds its version range.
 */
export enum OptionalPeer {
  /** kubectl and Helm for the EKS kubectl handler (37 MB); `SelfHostedCluster` without `kubectlLayer`. */
  KUBECTL_LAYER = '@aws-cdk/lambda-layer-kubectl-v36',
  /** The cfn-guard binary and the Control Tower rules (36 MB); the Control Tower compliance pack. */
  CFN_GUARD_VALIDATOR = '@cdklabs/cdk-validator-cfnguard',
}

/** Resolves and loads modules as this package does, so an app's own node_modules is searched. */
const load = createRequire(__filename);

/** The package.json of cdk-ai-gateway: `lib/private/` is two folders below the package root. */
const PACKAGE_JSON = join(__dirname, '..', '..', 'package.json');

let peerRanges: Readonly<Record<string, string>> | undefined;

/** The version range of `peer` in this package's `peerDependencies`, e.g. `^2.0.1`. */
export function optionalPeerRange(peer: OptionalPeer): string {
  if (!peerRanges) {
    const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { peerDependencies?: Record<string, string> };
    peerRanges = pkg.peerDependencies ?? {};
  }
  return peerRanges[peer] ?? '*';
}

/** Resolution results, per process: Node.js caches successful resolutions only, and constructs ask often. */
const installed = new Map<OptionalPeer, boolean>();

/** Whether `peer` can be resolved from this package (installed in the app or above it). */
export function isOptionalPeerInstalled(peer: OptionalPeer): boolean {
  let found = installed.get(peer);
  if (found === undefined) {
    try {
      load.resolve(`${peer}/package.json`);
      found = true;
    } catch {
      found = false;
    }
    installed.set(peer, found);
  }
  return found;
}

/**
 * Loads the optional peer `peer` for `neededBy`, or throws an error that names the package, the
 * version range to install and what else the user can do (`alternative`).
 *
 * @example
 * const { KubectlV36Layer } = requireOptionalPeer<typeof import('@aws-cdk/lambda-layer-kubectl-v36')>(
 *   OptionalPeer.KUBECTL_LAYER, 'SelfHostedCluster', 'or pass your own kubectlLayer');
 */
export function requireOptionalPeer<T>(peer: OptionalPeer, neededBy: string, alternative: string): T {
  checkInstalled(peer, neededBy, alternative);
  return load(peer) as T;
}

/** The installation folder of the optional peer `peer`, with the same error as `requireOptionalPeer`. */
export function optionalPeerDirectory(peer: OptionalPeer, neededBy: string, alternative: string): string {
  checkInstalled(peer, neededBy, alternative);
  return dirname(load.resolve(`${peer}/package.json`));
}

function checkInstalled(peer: OptionalPeer, neededBy: string, alternative: string): void {
  if (isOptionalPeerInstalled(peer)) return;
  const range = optionalPeerRange(peer);
  throw new AiGatewayValidationError(
    `${neededBy} needs the optional peer dependency ${peer} (${range}), which is not installed. `
    + `Install it in your app with 'npm install ${peer}@"${range}"', ${alternative}.`);
}
