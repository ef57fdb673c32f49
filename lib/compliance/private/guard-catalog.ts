import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join, parse } from 'node:path';
import { isOptionalPeerInstalled, OptionalPeer, optionalPeerDirectory } from '../../private/optional-peer';

/**
 * The Control Tower guard rules that `@cdklabs/cdk-validator-cfnguard` ships, read from its
 * package: every `.guard` file holds one control (`[CT.S3.PR.2]` in its message) and one guard
 * rule (`rule s3_bucket_logging_enabled_check when ...`), which is the `ruleName` its findings
 * carry in the validation report.
 */
export interface GuardControl {
  /** The Control Tower control id, upper case: `CT.S3.PR.2`. */
  readonly controlId: string;
  /** The rule file name without extension, as `CfnGuardValidator`'s `disabledRules` expects it: `ct-s3-pr-2`. */
  readonly fileName: string;
  /** The guard rule name, as findings report it: `s3_bucket_logging_enabled_check`. */
  readonly ruleName: string;
  /** Absolute path of the `.guard` file. */
  readonly path: string;
}

/** The plugin name (and acknowledgment namespace) of `CfnGuardValidator`. */
export const GUARD_PLUGIN_NAME = 'cdk-validator-cfnguard';

/** Where `@cdklabs/cdk-validator-cfnguard` is installed; it is an optional peer, resolved on first use. */
function packageDir(): string {
  return optionalPeerDirectory(OptionalPeer.CFN_GUARD_VALIDATOR, 'The Control Tower compliance pack',
    'or pass packs without CompliancePack.CONTROL_TOWER to GatewayCompliance.addPacks');
}

function rulesDir(): string {
  return join(packageDir(), 'rules', 'control-tower', 'cfn-guard');
}

let catalog: GuardCatalog | undefined;

/** The bundled Control Tower rules, indexed by control id and by guard rule name. */
export class GuardCatalog {
  /** The catalog of the installed `@cdklabs/cdk-validator-cfnguard`, read once; throws when it is not installed. */
  public static load(): GuardCatalog {
    catalog ??= new GuardCatalog(readControls(rulesDir()));
    return catalog;
  }

  /** Whether `@cdklabs/cdk-validator-cfnguard` (an optional peer) is installed, so that `load` succeeds. */
  public static available(): boolean {
    return isOptionalPeerInstalled(OptionalPeer.CFN_GUARD_VALIDATOR);
  }

  private readonly byControl = new Map<string, GuardControl>();
  private readonly byRule = new Map<string, GuardControl>();

  private constructor(public readonly controls: readonly GuardControl[]) {
    for (const c of controls) {
      this.byControl.set(c.controlId, c);
      this.byRule.set(c.ruleName, c);
    }
  }

  public byControlId(controlId: string): GuardControl | undefined {
    return this.byControl.get(controlId.toUpperCase());
  }

  public byRuleName(ruleName: string): GuardControl | undefined {
    return this.byRule.get(ruleName);
  }
}

function readControls(dir: string): GuardControl[] {
  const controls: GuardControl[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      controls.push(...readControls(path));
    } else if (entry.name.endsWith('.guard')) {
      const text = readFileSync(path, 'utf8');
      const controlId = /\[(CT\.[A-Z0-9-]+\.PR\.\d+)\]/.exec(text)?.[1];
      const ruleName = /^rule\s+([A-Za-z0-9_]+)\s+when/m.exec(text)?.[1];
      if (controlId && ruleName) {
        controls.push({ controlId, fileName: parse(entry.name).name, ruleName, path });
      }
    }
  }
  return controls.sort((a, b) => a.fileName.localeCompare(b.fileName));
}

/** Versions of the plugin package and of the cfn-guard binary it bundles. */
export function guardVersions(): { readonly plugin: string; readonly guard: string } {
  const pkg: unknown = JSON.parse(readFileSync(join(packageDir(), 'package.json'), 'utf8'));
  const guard: unknown = JSON.parse(readFileSync(join(packageDir(), 'guard-version.json'), 'utf8'));
  return { plugin: stringField(pkg, 'version'), guard: stringField(guard, 'version') };
}

function stringField(obj: unknown, key: string): string {
  const value = typeof obj === 'object' && obj !== null ? (obj as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : 'unknown';
}

/** What one Control Tower rule did across every template of an app. */
export interface GuardRuleOutcome {
  readonly ruleName: string;
  /** `FAIL` if any template failed it, `PASS` if it applied somewhere and never failed, `SKIP` if it never applied. */
  readonly status: 'PASS' | 'FAIL' | 'SKIP';
}

/**
 * Runs the bundled cfn-guard binary over `templatePaths` with the Control Tower rules minus
 * `excludedFiles`, the same rule set `CfnGuardValidator` runs, and returns every rule's outcome.
 * `CfnGuardValidator` keeps only the failures; this second run is what lets the report count the
 * rules that passed or did not apply.
 */
export function guardRuleOutcomes(templatePaths: readonly string[], excludedFiles: readonly string[]): GuardRuleOutcome[] {
  if (templatePaths.length === 0) return [];
  const controls = GuardCatalog.load().controls.filter((c) => !excludedFiles.includes(c.fileName));
  const ruleArgs = excludedFiles.length === 0 ? ['--rules', rulesDir()] : controls.flatMap((c) => ['--rules', c.path]);
  const proc = spawnSync(guardBinary(), [
    'validate', ...ruleArgs,
    ...templatePaths.flatMap((t) => ['--data', t]),
    '--output-format', 'json', '--show-summary', 'none', '--structured',
  ], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  if (proc.error) throw proc.error;
  // cfn-guard exits with 19 (or 5) when a rule fails; anything else is a real error.
  if (proc.status !== 0 && proc.status !== 5 && proc.status !== 19) {
    throw new Error(`cfn-guard exited with ${proc.status ?? proc.signal}: ${proc.stderr.toString('utf8').slice(0, 2000)}`);
  }
  const results: unknown = JSON.parse(proc.stdout.toString('utf8') || '[]');
  const status = new Map<string, GuardRuleOutcome['status']>(controls.map((c) => [c.ruleName, 'SKIP']));
  for (const result of Array.isArray(results) ? results : [results]) {
    const record = asRecord(result);
    for (const name of stringList(record.compliant)) {
      if (status.get(name) !== 'FAIL') status.set(name, 'PASS');
    }
    // not_compliant is an array of {Rule: {name}}, or occasionally an object of them.
    const failed = record.not_compliant;
    const entries = Array.isArray(failed) ? failed : typeof failed === 'object' && failed !== null ? Object.values(failed) : [];
    for (const entry of entries) {
      const name = asRecord(asRecord(entry).Rule).name;
      if (typeof name === 'string') status.set(name, 'FAIL');
    }
  }
  return [...status].map(([ruleName, s]) => ({ ruleName, status: s }));
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The path of the cfn-guard binary bundled for this platform, chosen as the plugin chooses it. */
function guardBinary(): string {
  const os = platform() === 'linux' ? 'ubuntu' : platform() === 'darwin' ? 'macos' : undefined;
  const cpu = arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : undefined;
  const path = os && cpu ? join(packageDir(), 'bin', os, cpu, 'cfn-guard') : undefined;
  if (!path || !existsSync(path)) {
    throw new Error(`@cdklabs/cdk-validator-cfnguard ships no cfn-guard binary for ${platform()}/${arch()}.`);
  }
  return path;
}
