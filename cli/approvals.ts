/**
 * `cdk-ai-gateway approvals grant|revoke|list`: who may send restricted data. An approval admits
 * restricted requests of one tenant × workflow until it expires or is revoked; it names the
 * approver (the caller's IAM ARN from STS GetCallerIdentity, never a flag), a ticket, a reason
 * and the expiry. Routers read approvals at most every 30 s.
 *
 * Every grant and revoke is written together with an append-only history entry, in one DynamoDB
 * transaction whose history put is conditional on no item having its key (never overwritten).
 * With `--file` (local mode) both go to the approvals file `cdk-ai-gateway serve --approvals` reads.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AttributeValue, DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { STSClient } from '@aws-sdk/client-sts';
import { approvalFromItem, DynamoApprovalsLoader } from '../lambda/router/approvals/dynamo-approvals';
import { ApprovalHistoryEntry, readApprovalsFile } from '../lambda/router/approvals/file-approvals';
import { queryPartition } from '../lambda/router/dynamo-query';
import {
  APPROVAL_ACTIONS, APPROVAL_ATTRIBUTES as A, APPROVAL_PARTITIONS, APPROVAL_TICKET_PATTERN, ApprovalAction, ApprovalEntry,
  approvalReasonProblem, approvalSortKey, MAX_APPROVAL_DAYS, MAX_APPROVALS_CACHE_SECONDS,
} from '../lambda/shared/approvals-schema';
import { ID_PATTERN, WORKFLOW_PATTERN } from '../lambda/shared/schema';
import { CliIo, EXIT } from './io';
import { callerIdentity, localIdentity, OperatorIdentity, operatorClients } from './operator';

export const APPROVALS_USAGE = `Usage: cdk-ai-gateway approvals <action> (--table NAME | --file PATH) [options]

Actions (each takes effect on every router within ${MAX_APPROVALS_CACHE_SECONDS} s, without a deploy):
  grant  --tenant ID --workflow NAME --ticket REF --reason TEXT --expires-in-days N
         admits the tenant's restricted requests of the workflow until the approval expires
  revoke --tenant ID --workflow NAME --reason TEXT
         withdraws the approval now
  list   [--history] [--limit N]   the approvals in force (with their expiry), or the latest history entries

Where:
  --table NAME        the approvals table of the deployed gateway (AiGateway approvals)
  --file PATH         an approvals file, for local mode (cdk-ai-gateway serve --approvals PATH)
  --region REGION     AWS Region (default: the SDK's, e.g. AWS_REGION)
  --endpoint URL      DynamoDB endpoint override
  --sts-endpoint URL  STS endpoint override (the approver is the caller's IAM identity, from STS GetCallerIdentity)

The approver is always the caller. Every grant and revoke is recorded in an append-only history.`;

/** Thrown for a bad command line (exit 2). */
class UsageError extends Error {}

const ACTIONS = ['grant', 'revoke', 'list'];

/** One grant or revoke, as recorded. */
interface ApprovalRecord extends ApprovalEntry {
  readonly action: ApprovalAction;
  readonly account?: string;
  readonly at: string;
}

/** Where approvals and their history are kept. */
interface ApprovalStore {
  identity(): Promise<OperatorIdentity>;
  /** Writes the approval (grant) or removes it (revoke), with its history entry. False: a revoke of nothing. */
  write(record: ApprovalRecord): Promise<boolean>;
  list(): Promise<readonly ApprovalEntry[]>;
  history(limit: number): Promise<readonly ApprovalHistoryEntry[]>;
  close(): void;
}

const ENTRY_FIELDS = ['tenantId', 'workflow', 'approver', 'ticket', 'reason', 'grantedAt', 'expiresAt'] as const;
const RECORD_FIELDS = [...ENTRY_FIELDS, 'account', 'at', 'action'] as const;

/** The item attributes of `fields` of a record (those it has). */
function attributes(r: ApprovalRecord, fields: readonly (typeof RECORD_FIELDS)[number][]): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {};
  for (const name of fields) {
    const value = r[name];
    if (value !== undefined) item[A[name]] = { S: value };
  }
  return item;
}

class DynamoApprovalStore implements ApprovalStore {
  constructor(private readonly dynamodb: DynamoDBClient, private readonly sts: STSClient, private readonly table: string) {}

  identity(): Promise<OperatorIdentity> {
    return callerIdentity(this.sts);
  }

  async write(r: ApprovalRecord): Promise<boolean> {
    const key = { [A.pk]: { S: APPROVAL_PARTITIONS.active }, [A.sk]: { S: approvalSortKey(r.tenantId, r.workflow) } };
    const history = {
      Put: {
        TableName: this.table,
        Item: { [A.pk]: { S: APPROVAL_PARTITIONS.history }, [A.sk]: { S: `${r.at}#${randomUUID()}` }, ...attributes(r, RECORD_FIELDS) },
        // Append-only: never overwrite an entry.
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': A.pk },
      },
    };
    const change = r.action === APPROVAL_ACTIONS.grant
      ? { Put: { TableName: this.table, Item: { ...key, ...attributes(r, [...ENTRY_FIELDS, 'account']) } } }
      : { Delete: { TableName: this.table, Key: key, ConditionExpression: 'attribute_exists(#pk)', ExpressionAttributeNames: { '#pk': A.pk } } };
    try {
      await this.dynamodb.send(new TransactWriteItemsCommand({ TransactItems: [history, change] }));
      return true;
    } catch (error) {
      // A revoke of an approval that is not in force: nothing changed, nothing recorded.
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
      if (r.action === APPROVAL_ACTIONS.revoke && reasons?.[1]?.Code === 'ConditionalCheckFailed' && reasons[0]?.Code !== 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async list(): Promise<readonly ApprovalEntry[]> {
    return new DynamoApprovalsLoader(this.dynamodb, this.table).load();
  }

  async history(limit: number): Promise<readonly ApprovalHistoryEntry[]> {
    return (await queryPartition(this.dynamodb, this.table, APPROVAL_PARTITIONS.history, { forward: false, limit })).flatMap((item) => {
      const entry = approvalFromItem(item);
      const action = item[A.action]?.S;
      return entry && (action === APPROVAL_ACTIONS.grant || action === APPROVAL_ACTIONS.revoke) ? [{ ...entry, action, at: item[A.at]?.S ?? '' }] : [];
    });
  }

  close(): void {
    this.dynamodb.destroy();
    this.sts.destroy();
  }
}

/** Local mode: the approvals file (history appended, never rewritten). */
class FileApprovalStore implements ApprovalStore {
  constructor(private readonly path: string) {}

  async identity(): Promise<OperatorIdentity> {
    return localIdentity();
  }

  async write(r: ApprovalRecord): Promise<boolean> {
    const doc = readApprovalsFile(this.path);
    const others = doc.approvals.filter((a) => !(a.tenantId === r.tenantId && a.workflow === r.workflow));
    if (r.action === APPROVAL_ACTIONS.revoke && others.length === doc.approvals.length) return false;
    const entry: ApprovalEntry = {
      tenantId: r.tenantId, workflow: r.workflow, approver: r.approver, ticket: r.ticket, reason: r.reason, grantedAt: r.grantedAt, expiresAt: r.expiresAt,
    };
    const approvals = r.action === APPROVAL_ACTIONS.grant ? [...others, entry] : others;
    writeFileSync(this.path, `${JSON.stringify({ approvals, history: [...doc.history, { ...entry, action: r.action, at: r.at }] }, null, 2)}\n`);
    return true;
  }

  async list(): Promise<readonly ApprovalEntry[]> {
    return readApprovalsFile(this.path).approvals;
  }

  async history(limit: number): Promise<readonly ApprovalHistoryEntry[]> {
    return readApprovalsFile(this.path).history.slice(-limit).reverse();
  }

  close(): void {}
}

/** Test seams. */
export interface ApprovalsIo extends CliIo {
  /** @default () => new Date() */
  readonly now?: () => Date;
}

type Values = Record<string, string | boolean | undefined>;

function parse(argv: readonly string[]): { action: string; values: Values } {
  const [action, ...rest] = argv;
  if (action === undefined || action === 'help' || action === '--help' || action === '-h') return { action: 'help', values: {} };
  if (!ACTIONS.includes(action)) throw new UsageError(`unknown action '${action.slice(0, 40)}'; allowed: ${ACTIONS.join(', ')}`);
  let values: Values;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: {
        table: { type: 'string' }, file: { type: 'string' }, region: { type: 'string' }, endpoint: { type: 'string' },
        'sts-endpoint': { type: 'string' }, tenant: { type: 'string' }, workflow: { type: 'string' }, ticket: { type: 'string' },
        reason: { type: 'string' }, 'expires-in-days': { type: 'string' }, history: { type: 'boolean' }, limit: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
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

function flag(values: Values, name: string, pattern: RegExp, what: string): string {
  const value = values[name];
  if (typeof value !== 'string') throw new UsageError(`--${name} is required: ${what}`);
  if (!pattern.test(value)) throw new UsageError(`--${name} '${value.slice(0, 80)}' is not allowed: ${what}`);
  return value;
}

function reasonOf(values: Values): string {
  const reason = typeof values.reason === 'string' ? values.reason.trim() : '';
  const problem = approvalReasonProblem(reason);
  if (problem !== undefined || reason.length > 500) throw new UsageError(`--reason is required: ${problem ?? 'at most 500 characters'} (it goes into the audit history)`);
  return reason;
}

function daysOf(values: Values): number {
  const raw = flag(values, 'expires-in-days', /^\d{1,3}$/, `a whole number of days from 1 to ${MAX_APPROVAL_DAYS}`);
  const days = Number(raw);
  if (days < 1 || days > MAX_APPROVAL_DAYS) throw new UsageError(`--expires-in-days '${raw}' is not allowed: a whole number of days from 1 to ${MAX_APPROVAL_DAYS}`);
  return days;
}

function openStore(values: Values): ApprovalStore {
  if (typeof values.file === 'string') return new FileApprovalStore(values.file);
  const { dynamodb, sts } = operatorClients(values);
  return new DynamoApprovalStore(dynamodb, sts, String(values.table));
}

function show(e: ApprovalEntry, now: Date): string {
  const state = Date.parse(e.expiresAt) > now.getTime() ? `expires ${e.expiresAt}` : `EXPIRED ${e.expiresAt}`;
  return `${e.tenantId} × ${e.workflow}  ${state}  ticket ${e.ticket}  approved by ${e.approver} at ${e.grantedAt}: ${e.reason}`;
}

/**
 * Runs `approvals <action> …`; resolves to the exit code (0 done, 1 failed, 2 bad command line).
 * Never throws.
 *
 * @example
 * process.exitCode = await runApprovalsCommand(['grant', '--table', 'gw-approvals', '--tenant', 'acme', '--workflow', 'kyc',
 *   '--ticket', 'RISK-1234', '--reason', 'KYC review of onboarding files, DPIA 2026-07', '--expires-in-days', '90'], io);
 */
export async function runApprovalsCommand(argv: readonly string[], io: ApprovalsIo): Promise<number> {
  const now = (io.now ?? (() => new Date()))();
  let action: string;
  let values: Values;
  let fields: { tenantId: string; workflow: string; ticket: string; reason: string; days: number } | undefined;
  let limit = 20;
  try {
    ({ action, values } = parse(argv));
    if (action === 'help') {
      io.stdout(APPROVALS_USAGE);
      return EXIT.OK;
    }
    if (action === 'list') {
      if (values.limit !== undefined) {
        limit = Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be an integer from 1 to 1000, received '${String(values.limit)}'`);
      }
    } else {
      const tenantId = flag(values, 'tenant', new RegExp(ID_PATTERN), 'a tenant id (lower-case letters, digits, . _ -)');
      const workflow = flag(values, 'workflow', new RegExp(WORKFLOW_PATTERN), "a workflow name (letters, digits, '._:/-', at most 64 characters)");
      const reason = reasonOf(values);
      fields = action === 'grant'
        ? { tenantId, workflow, reason, ticket: flag(values, 'ticket', new RegExp(APPROVAL_TICKET_PATTERN), "a ticket reference such as RISK-1234 (letters, digits, '._:/#-')"), days: daysOf(values) }
        : { tenantId, workflow, reason, ticket: '-', days: 0 };
    }
  } catch (error) {
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\nRun 'cdk-ai-gateway approvals --help' for usage.`);
    return EXIT.USAGE;
  }

  const store = openStore(values);
  try {
    if (action === 'list') {
      if (values.history) {
        for (const h of await store.history(limit)) io.stdout(`${h.at}  ${h.action.padEnd(6)}  ${show(h, now)}`);
      } else {
        const approvals = await store.list();
        if (approvals.length === 0) io.stdout('No approval is in force.');
        for (const a of approvals) io.stdout(show(a, now));
      }
      return EXIT.OK;
    }
    const who = await store.identity();
    const at = now.toISOString();
    const f = fields!;
    const record: ApprovalRecord = {
      action: action === 'grant' ? APPROVAL_ACTIONS.grant : APPROVAL_ACTIONS.revoke,
      tenantId: f.tenantId, workflow: f.workflow, ticket: f.ticket, reason: f.reason,
      approver: who.actor, ...(who.account ? { account: who.account } : {}),
      grantedAt: at, expiresAt: action === 'grant' ? new Date(now.getTime() + f.days * 86_400_000).toISOString() : at, at,
    };
    if (!await store.write(record)) {
      io.stdout(`${f.tenantId} × ${f.workflow} has no approval in force; nothing revoked.`);
    } else if (record.action === APPROVAL_ACTIONS.grant) {
      io.stdout(`Approved restricted data for ${f.tenantId} × ${f.workflow} until ${record.expiresAt} (ticket ${f.ticket}, approver ${who.actor}); `
        + `every router applies it within ${MAX_APPROVALS_CACHE_SECONDS} s.`);
    } else {
      io.stdout(`Revoked the approval of ${f.tenantId} × ${f.workflow} (by ${who.actor} at ${at}); every router applies it within ${MAX_APPROVALS_CACHE_SECONDS} s.`);
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
