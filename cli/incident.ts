/**
 * `cdk-ai-gateway incident …`: the operators' kill switch. One command suspends a tenant, a key, a
 * route or a target, forces a route to its fallback, resumes any of them, or lists what is in
 * force and the history. Routers read the controls at most every 30 s, so an action takes effect
 * within that time without a deploy.
 *
 * Every action is recorded before it takes effect: an append-only history entry (who — the
 * caller's IAM ARN from STS GetCallerIdentity —, when, why, what) written only if no entry with its
 * key exists, then the control itself. With `--table` both are DynamoDB writes, which CloudTrail
 * records as data events when the table's data events are captured (`GatewayAuditTrail`). With
 * `--file` (local mode) they go to the controls file `cdk-ai-gateway serve --controls` reads.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { controlFromItem, DynamoControlsLoader, queryPartition } from '../lambda/router/incident/dynamo-controls';
import { ControlHistoryEntry, readControlsFile } from '../lambda/router/incident/file-controls';
import { ControlEntry } from '../lambda/router/pipeline/controls';
import {
  CONTROL_ACTIONS, CONTROL_ATTRIBUTES as A, CONTROL_KINDS, CONTROL_PARTITIONS, ControlAction, ControlKind, controlSortKey,
  isControlKind, MAX_CONTROLS_CACHE_SECONDS,
} from '../lambda/shared/incident-controls-schema';
import { ALIAS_PATTERN, ID_PATTERN } from '../lambda/shared/schema';
import { CliIo, EXIT } from './io';
import { callerIdentity, localIdentity, OperatorIdentity, operatorClients } from './operator';

export const INCIDENT_USAGE = `Usage: cdk-ai-gateway incident <action> (--table NAME | --file PATH) [options]

Actions (each takes effect on every router within ${MAX_CONTROLS_CACHE_SECONDS} s, without a deploy):
  suspend-tenant --tenant ID --reason TEXT      every request of the tenant: 403 tenant_suspended
  suspend-key    --key-id ID --reason TEXT      every request with the key (12-character key id): 403 key_suspended
  suspend-route  --route ALIAS --reason TEXT    every request for the route: 503 route_suspended
  suspend-target --target ID --reason TEXT      the target is skipped on every route
  force-fallback --route ALIAS --reason TEXT    the route skips its primary target and serves from its fallbacks
  resume --kind tenant|key|route|target|fallback --subject ID --reason TEXT
  list [--history] [--limit N]                  the controls in force, or the latest history entries

Where:
  --table NAME        the incident-controls table of the deployed gateway (AiGateway incidentControls)
  --file PATH         a controls file, for local mode (cdk-ai-gateway serve --controls PATH)
  --region REGION     AWS Region (default: the SDK's, e.g. AWS_REGION)
  --endpoint URL      DynamoDB endpoint override
  --sts-endpoint URL  STS endpoint override (the operator identity comes from STS GetCallerIdentity)

Every action is recorded first in an append-only history (who, when, why) and is visible in
CloudTrail as DynamoDB data events on the table when its data events are captured.`;

/** Thrown for a bad command line (exit 2). */
class UsageError extends Error {}

const SUSPEND_ACTIONS: Record<string, { kind: ControlKind; flag: 'tenant' | 'key-id' | 'route' | 'target' }> = {
  'suspend-tenant': { kind: CONTROL_KINDS.tenant, flag: 'tenant' },
  'suspend-key': { kind: CONTROL_KINDS.key, flag: 'key-id' },
  'suspend-route': { kind: CONTROL_KINDS.route, flag: 'route' },
  'suspend-target': { kind: CONTROL_KINDS.target, flag: 'target' },
  'force-fallback': { kind: CONTROL_KINDS.fallback, flag: 'route' },
};
const ACTIONS = [...Object.keys(SUSPEND_ACTIONS), 'resume', 'list'];

const SUBJECT_PATTERNS: Record<ControlKind, { pattern: RegExp; what: string }> = {
  tenant: { pattern: new RegExp(ID_PATTERN), what: 'a tenant id (lower-case letters, digits, . _ -)' },
  key: { pattern: /^[0-9a-f]{12}$/, what: 'a key id: the 12 hex characters `keys list` shows' },
  route: { pattern: new RegExp(ALIAS_PATTERN), what: 'a route alias' },
  target: { pattern: new RegExp(ID_PATTERN), what: 'a target id' },
  fallback: { pattern: new RegExp(ALIAS_PATTERN), what: 'a route alias' },
};

/** One recorded action. */
export interface IncidentAction {
  readonly action: ControlAction;
  readonly kind: ControlKind;
  readonly subject: string;
  readonly reason: string;
  readonly actor: string;
  readonly account?: string;
  readonly at: string;
}

/** Where controls and their history are kept. */
interface ControlStore {
  record(entry: IncidentAction): Promise<void>;
  set(entry: IncidentAction): Promise<void>;
  /** False when the control was not in force. */
  clear(kind: ControlKind, subject: string): Promise<boolean>;
  list(): Promise<ControlEntry[]>;
  history(limit: number): Promise<ControlHistoryEntry[]>;
  identity(): Promise<OperatorIdentity>;
  close(): void;
}

class DynamoControlStore implements ControlStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly sts: STSClient,
    private readonly table: string,
  ) {}

  async identity(): Promise<OperatorIdentity> {
    return callerIdentity(this.sts);
  }

  async record(e: IncidentAction): Promise<void> {
    await this.dynamodb.send(new PutItemCommand({
      TableName: this.table,
      Item: {
        [A.pk]: { S: CONTROL_PARTITIONS.history },
        [A.sk]: { S: `${e.at}#${randomUUID()}` },
        [A.action]: { S: e.action },
        ...attributes(e),
      },
      // Append-only: never overwrite an entry.
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': A.pk },
    }));
  }

  async set(e: IncidentAction): Promise<void> {
    await this.dynamodb.send(new PutItemCommand({
      TableName: this.table,
      Item: { [A.pk]: { S: CONTROL_PARTITIONS.active }, [A.sk]: { S: controlSortKey(e.kind, e.subject) }, ...attributes(e) },
    }));
  }

  async clear(kind: ControlKind, subject: string): Promise<boolean> {
    const out = await this.dynamodb.send(new DeleteItemCommand({
      TableName: this.table,
      Key: { [A.pk]: { S: CONTROL_PARTITIONS.active }, [A.sk]: { S: controlSortKey(kind, subject) } },
      ReturnValues: 'ALL_OLD',
    }));
    return out.Attributes !== undefined;
  }

  async list(): Promise<ControlEntry[]> {
    return [...await new DynamoControlsLoader(this.dynamodb, this.table).load()];
  }

  async history(limit: number): Promise<ControlHistoryEntry[]> {
    return (await queryPartition(this.dynamodb, this.table, CONTROL_PARTITIONS.history, { forward: false, limit })).flatMap((item) => {
      const entry = controlFromItem(item);
      return entry ? [{ ...entry, action: item[A.action]?.S ?? '' }] : [];
    });
  }

  close(): void {
    this.dynamodb.destroy();
    this.sts.destroy();
  }
}

function attributes(e: IncidentAction): Record<string, { S: string }> {
  return {
    [A.kind]: { S: e.kind },
    [A.subject]: { S: e.subject },
    [A.reason]: { S: e.reason },
    [A.actor]: { S: e.actor },
    [A.at]: { S: e.at },
    ...(e.account ? { [A.account]: { S: e.account } } : {}),
  };
}

/** Local mode: the controls file (history appended, never rewritten). */
class FileControlStore implements ControlStore {
  constructor(private readonly path: string) {}

  async identity(): Promise<OperatorIdentity> {
    return localIdentity();
  }

  async record(e: IncidentAction): Promise<void> {
    const doc = readControlsFile(this.path);
    this.write(doc.controls, [...doc.history, { action: e.action, kind: e.kind, subject: e.subject, reason: e.reason, actor: e.actor, at: e.at }]);
  }

  async set(e: IncidentAction): Promise<void> {
    const doc = readControlsFile(this.path);
    const others = doc.controls.filter((c) => !(c.kind === e.kind && c.subject === e.subject));
    this.write([...others, { kind: e.kind, subject: e.subject, reason: e.reason, actor: e.actor, at: e.at }], doc.history);
  }

  async clear(kind: ControlKind, subject: string): Promise<boolean> {
    const doc = readControlsFile(this.path);
    const kept = doc.controls.filter((c) => !(c.kind === kind && c.subject === subject));
    this.write(kept, doc.history);
    return kept.length !== doc.controls.length;
  }

  async list(): Promise<ControlEntry[]> {
    return readControlsFile(this.path).controls;
  }

  async history(limit: number): Promise<ControlHistoryEntry[]> {
    return readControlsFile(this.path).history.slice(-limit).reverse();
  }

  private write(controls: ControlEntry[], history: ControlHistoryEntry[]): void {
    writeFileSync(this.path, `${JSON.stringify({ controls, history }, null, 2)}\n`);
  }

  close(): void {}
}

/** Test seams. */
export interface IncidentIo extends CliIo {
  /** @default () => new Date() */
  readonly now?: () => Date;
}

interface Parsed {
  readonly action: string;
  readonly values: Record<string, string | boolean | undefined>;
}

function parse(argv: readonly string[]): Parsed {
  const [action, ...rest] = argv;
  if (action === undefined || action === 'help' || action === '--help' || action === '-h') return { action: 'help', values: {} };
  if (!ACTIONS.includes(action)) throw new UsageError(`unknown action '${action.slice(0, 40)}'; allowed: ${ACTIONS.join(', ')}`);
  let values;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: {
        table: { type: 'string' }, file: { type: 'string' }, region: { type: 'string' }, endpoint: { type: 'string' },
        'sts-endpoint': { type: 'string' }, reason: { type: 'string' }, tenant: { type: 'string' }, 'key-id': { type: 'string' },
        route: { type: 'string' }, target: { type: 'string' }, kind: { type: 'string' }, subject: { type: 'string' },
        history: { type: 'boolean' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return { action: 'help', values: {} };
  if ((values.table === undefined) === (values.file === undefined)) throw new UsageError('give exactly one of --table NAME (deployed) or --file PATH (local mode)');
  return { action, values };
}

function subjectOf(parsed: Parsed): { kind: ControlKind; subject: string } {
  const { action, values } = parsed;
  let kind: ControlKind;
  let subject: unknown;
  if (action === 'resume') {
    if (!isControlKind(values.kind)) throw new UsageError(`resume needs --kind, one of ${Object.values(CONTROL_KINDS).join(', ')}; received '${String(values.kind ?? '')}'`);
    kind = values.kind;
    subject = values.subject;
    if (typeof subject !== 'string') throw new UsageError('resume needs --subject ID (the tenant, key id, route or target)');
  } else {
    const spec = SUSPEND_ACTIONS[action];
    kind = spec.kind;
    subject = values[spec.flag];
    if (typeof subject !== 'string') throw new UsageError(`${action} needs --${spec.flag}`);
  }
  const { pattern, what } = SUBJECT_PATTERNS[kind];
  if (!pattern.test(subject)) throw new UsageError(`'${subject.slice(0, 80)}' is not ${what}`);
  return { kind, subject };
}

function reasonOf(values: Parsed['values']): string {
  const reason = typeof values.reason === 'string' ? values.reason.trim() : '';
  if (reason.length < 10 || reason.length > 500) {
    throw new UsageError('--reason is required: say why, in 10 to 500 characters (it goes into the audit history)');
  }
  return reason;
}

function openStore(values: Parsed['values']): ControlStore {
  if (typeof values.file === 'string') return new FileControlStore(values.file);
  const { dynamodb, sts } = operatorClients(values);
  return new DynamoControlStore(dynamodb, sts, String(values.table));
}

function describe(e: { kind: ControlKind; subject: string }): string {
  return e.kind === CONTROL_KINDS.fallback ? `forced fallback of route ${e.subject}` : `${e.kind} ${e.subject}`;
}

/**
 * Runs `incident <action> …`; resolves to the exit code (0 done, 1 failed, 2 bad command line).
 * Never throws.
 *
 * @example
 * process.exitCode = await runIncidentCommand(['suspend-tenant', '--table', 'gw-controls', '--tenant', 'acme', '--reason', 'INC-42: key leaked'], io);
 */
export async function runIncidentCommand(argv: readonly string[], io: IncidentIo): Promise<number> {
  let parsed: Parsed;
  let target: { kind: ControlKind; subject: string } | undefined;
  let reason = '';
  let limit = 20;
  try {
    parsed = parse(argv);
    if (parsed.action === 'help') {
      io.stdout(INCIDENT_USAGE);
      return EXIT.OK;
    }
    if (parsed.action !== 'list') {
      target = subjectOf(parsed);
      reason = reasonOf(parsed.values);
    } else if (parsed.values.limit !== undefined) {
      limit = Number(parsed.values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be an integer from 1 to 1000, received '${String(parsed.values.limit)}'`);
    }
  } catch (error) {
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\nRun 'cdk-ai-gateway incident --help' for usage.`);
    return EXIT.USAGE;
  }

  const store = openStore(parsed.values);
  try {
    if (parsed.action === 'list') {
      if (parsed.values.history) {
        for (const h of await store.history(limit)) io.stdout(`${h.at}  ${h.action.padEnd(7)}  ${describe(h)}  by ${h.actor}: ${h.reason}`);
      } else {
        const controls = await store.list();
        if (controls.length === 0) io.stdout('No incident control is in force.');
        for (const c of controls) io.stdout(`${describe(c)}  since ${c.at}  by ${c.actor}: ${c.reason}`);
      }
      return EXIT.OK;
    }
    const who = await store.identity();
    const action: IncidentAction = {
      action: parsed.action === 'resume' ? CONTROL_ACTIONS.resume : CONTROL_ACTIONS.suspend,
      ...target!, reason, ...who, at: (io.now ?? (() => new Date()))().toISOString(),
    };
    // The history entry first: an action that is not recorded does not happen.
    await store.record(action);
    if (action.action === CONTROL_ACTIONS.suspend) {
      await store.set(action);
      io.stdout(`${describe(action)}: in force (recorded as ${action.actor} at ${action.at}); every router applies it within ${MAX_CONTROLS_CACHE_SECONDS} s.`);
    } else if (await store.clear(action.kind, action.subject)) {
      io.stdout(`${describe(action)}: lifted (recorded as ${action.actor} at ${action.at}); every router applies it within ${MAX_CONTROLS_CACHE_SECONDS} s.`);
    } else {
      io.stdout(`${describe(action)} was not in force; the resume is recorded (as ${action.actor} at ${action.at}).`);
    }
    return EXIT.OK;
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    io.stderr(`error: ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.FAILED;
  } finally {
    store.close();
  }
}
