import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { ComplianceReport } from '../../../lib';
import { COMPLIANCE_CONTEXT_FILE, ComplianceContextFile, SharedFixture, synthesizeFixture } from './synthesize';

export type { SharedFixture } from './synthesize';

/**
 * How long a suite may wait for a shared synthesis: the server synthesizes one fixture at a time
 * for every worker, on a machine that may be loaded. Give it to the `beforeAll` that waits.
 */
export const SHARED_SYNTHESIS_TIMEOUT_MS = 600_000;

interface StackArtifact {
  readonly type: string;
  readonly properties?: { readonly templateFile?: string; readonly stackName?: string };
  readonly dependencies?: string[];
}

/** A synthesized CloudFormation template, parsed. */
export interface TemplateJson {
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
  readonly Outputs?: Record<string, { readonly Value?: unknown; readonly Export?: { readonly Name?: unknown } }>;
  readonly [section: string]: unknown;
}

/** A fixture app, synthesized once per run with every compliance pack, read back from the cache. */
export class SharedApp {
  /** The compliance report, as `ComplianceReport.synthesize` returned it. */
  public readonly report: ComplianceReport;
  /** The cloud assembly's manifest (`manifest.json`). */
  public readonly manifest: { readonly artifacts?: Record<string, StackArtifact>; readonly missing?: unknown[] };

  constructor(public readonly dir: string) {
    const context = JSON.parse(readFileSync(join(dir, COMPLIANCE_CONTEXT_FILE), 'utf8')) as ComplianceContextFile;
    this.report = ComplianceReport.fromValidationReport(readFileSync(join(dir, 'validation-report.json'), 'utf8'), context);
    this.manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  }

  /** The stack names, in the order of the manifest. */
  public get stackNames(): string[] {
    return this.stacks().map(([id, a]) => a.properties?.stackName ?? id);
  }

  /** The names of the stacks `stackName` depends on. */
  public stackDependencies(stackName: string): string[] {
    const byId = new Map(this.stacks());
    return (this.artifact(stackName)[1].dependencies ?? []).filter((id) => byId.has(id)).map((id) => byId.get(id)!.properties?.stackName ?? id);
  }

  /** The path of every construct of the app (the cloud assembly's `tree.json`), depth first. */
  public constructPaths(): string[] {
    interface Node { readonly path: string; readonly children?: Record<string, Node> }
    const paths: string[] = [];
    const walk = (node: Node) => {
      paths.push(node.path);
      Object.values(node.children ?? {}).forEach(walk);
    };
    const tree = JSON.parse(readFileSync(join(this.dir, 'tree.json'), 'utf8')) as { tree: Node };
    Object.values(tree.tree.children ?? {}).forEach(walk);
    return paths;
  }

  /** The synthesized template of a stack, for `aws-cdk-lib/assertions`. */
  public template(stackName: string): Template {
    return Template.fromJSON(this.templateJson(stackName));
  }

  /** The synthesized template of a stack, parsed. */
  public templateJson(stackName: string): TemplateJson {
    return JSON.parse(readFileSync(join(this.dir, this.artifact(stackName)[1].properties!.templateFile!), 'utf8'));
  }

  private stacks(): [string, StackArtifact][] {
    return Object.entries(this.manifest.artifacts ?? {}).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  }

  private artifact(stackName: string): [string, StackArtifact] {
    const found = this.stacks().find(([id, a]) => (a.properties?.stackName ?? id) === stackName);
    if (!found) throw new Error(`No stack named ${stackName}; the app has ${this.stackNames.join(', ')}.`);
    return found;
  }
}

/** The example app, `buildExampleApp` of bin/example.ts (test/example and test/compliance share it). */
export const EXAMPLE_APP_FIXTURE: SharedFixture = { module: join(__dirname, '..', '..', '..', 'bin', 'example'), exportName: 'buildExampleApp' };

const inFile = new Map<string, Promise<SharedApp>>();

/**
 * The fixture app synthesized once per Jest run with every compliance pack (or the fixture's
 * `packs`), shared by every suite that asks for the same fixture. The shared synthesis server of
 * the run (jest.config.js globalSetup) synthesizes it; without one (a Jest run with another
 * config), it is synthesized here, in a temporary directory.
 *
 * @example
 * let app: SharedApp;
 * beforeAll(async () => {
 *   app = await sharedSynthesis({ module: join(__dirname, 'fixtures'), exportName: 'usageTableApp' });
 * }, SHARED_SYNTHESIS_TIMEOUT_MS);
 */
export function sharedSynthesis(fixture: SharedFixture): Promise<SharedApp> {
  const key = JSON.stringify(fixture);
  let app = inFile.get(key);
  if (!app) {
    app = request(fixture).then((dir) => new SharedApp(dir));
    inFile.set(key, app);
  }
  return app;
}

async function request(fixture: SharedFixture): Promise<string> {
  const server = process.env.CDK_AI_GATEWAY_SYNTH_SERVER;
  if (!server) {
    const dir = mkdtempSync(join(tmpdir(), 'cdk-ai-gateway-synth-'));
    synthesizeFixture(fixture, dir);
    return dir;
  }
  // node:http, not fetch: fetch gives up on an answer after 300 s, and the queue can be longer on a loaded machine.
  const answer = await new Promise<{ dir?: string; error?: string }>((resolve, reject) => {
    const req = httpRequest(server, { method: 'POST', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve(JSON.parse(body)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(fixture));
  });
  if (!answer.dir) throw new Error(`The shared synthesis of ${fixture.exportName} (${fixture.module}) failed:\n${answer.error}`);
  return answer.dir;
}
