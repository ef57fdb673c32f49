/**
 * Approvals of restricted data on the deployed path: `approvals grant|revoke|list` against DynamoDB
 * (dynalite) with the approver from STS GetCallerIdentity (a loopback fake), and the router reading
 * the same table through `approvalsFromEnv`, as the Lambda entry wires it. Clocks are injected.
 */
import { CreateTableCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { runApprovalsCommand } from '../../../cli/approvals';
import { approvalsFromEnv } from '../../../lambda/router/approvals/dynamo-approvals';
import { APPROVAL_ATTRIBUTES as A, APPROVALS_ENV } from '../../../lambda/shared/approvals-schema';
import { GatewayConfig, Sensitivity } from '../../../lambda/shared/config';
import { LocalDynamo, startDynalite, useTestAwsEnvironment } from '../../helpers/dynalite';
import { DynamoFaultProxy, startDynamoFaultProxy } from '../../helpers/dynamo-fault-proxy';
import { FakeSts, startFakeSts } from '../../helpers/fake-sts';
import { mutate, resolved } from '../../helpers/router-config';
import { chatRequest, hello, send, testGateway } from '../../helpers/router-fakes';

const TABLE = 'gw-approvals';
const APPROVER = 'arn:aws:sts::111122223333:assumed-role/RiskOfficer/carol';
const DAY = 86_400_000;
const T0 = Date.parse('2026-12-07T10:00:00.000Z');
const REASON = 'KYC review of onboarding files, DPIA-2026-07 signed off';

const config = resolved(mutate((d) => { d.restrictedData = { requireApproval: true }; }) as GatewayConfig);
/** A restricted request for the `secure` route, received at `receivedAt` (the gateway's injected clock). */
const restricted = (workflow?: string, receivedAt = T0) => ({
  ...chatRequest(hello('secure'), { headers: { 'x-gateway-sensitivity': 'restricted', ...(workflow ? { 'x-gateway-workflow': workflow } : {}) } }),
  receivedAt,
});
const errorOf = (sink: { json(): Record<string, unknown> }) => sink.json().error as Record<string, string>;

describe('approvals against DynamoDB', () => {
  let dynamo: LocalDynamo;
  // dynalite has no TransactWriteItems: the fault proxy (without faults) emulates it, conditions included.
  let proxy: DynamoFaultProxy;
  let sts: FakeSts;
  let restoreEnv: () => void;
  const out: string[] = [];
  const err: string[] = [];
  let cliNow = T0;
  const approvals = (args: string[]) => runApprovalsCommand(
    [...args, '--table', TABLE, '--endpoint', proxy.endpoint, '--sts-endpoint', sts.endpoint, '--region', 'eu-west-1'],
    { stdout: (s) => out.push(s), stderr: (s) => err.push(s), now: () => new Date(cliNow) },
  );
  const history = async () => (await dynamo.client.send(new QueryCommand({
    TableName: TABLE, KeyConditionExpression: 'pk = :h', ExpressionAttributeValues: { ':h': { S: 'HISTORY' } }, ConsistentRead: true,
  }))).Items ?? [];

  beforeAll(async () => {
    restoreEnv = useTestAwsEnvironment();
    dynamo = await startDynalite();
    proxy = await startDynamoFaultProxy(dynamo.endpoint);
    sts = await startFakeSts(APPROVER);
    await dynamo.client.send(new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: A.pk, KeyType: 'HASH' }, { AttributeName: A.sk, KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: A.pk, AttributeType: 'S' }, { AttributeName: A.sk, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
  });
  afterAll(async () => {
    await sts.close();
    await proxy.close();
    await dynamo.close();
    restoreEnv();
  });
  beforeEach(() => { out.length = 0; err.length = 0; });

  test('no approval: 403 approval_required naming the tenant, the workflow, the sensitivity and the command', async () => {
    const t = testGateway({ config, approvals: approvalsFromEnv({ [APPROVALS_ENV.tableName]: TABLE }, { endpoint: dynamo.endpoint, now: () => T0 }) });
    const sink = await send(t.gateway, restricted('kyc', Date.now()));
    expect(sink.status).toBe(403);
    expect(errorOf(sink)).toMatchObject({ code: 'approval_required', param: 'workflow' });
    expect(errorOf(sink).message).toMatch(/tenant 'acme' and workflow 'kyc'.*sensitivity 'restricted'.*cdk-ai-gateway approvals grant --tenant acme --workflow kyc --ticket/);
    expect(t.bedrock.calls).toHaveLength(0);
    expect(t.usage.records).toEqual([expect.objectContaining({ status: 403, errorCode: 'approval_required', sensitivity: Sensitivity.RESTRICTED })]);
  });

  test('a restricted request without a workflow hint is refused, naming the workflow hint', async () => {
    const t = testGateway({ config });
    const sink = await send(t.gateway, restricted(undefined, Date.now()));
    expect([sink.status, errorOf(sink).code]).toEqual([403, 'approval_required']);
    expect(errorOf(sink).message).toMatch(/x-gateway-workflow or metadata\.workflow/);
  });

  test('grant records the caller as approver with ticket, reason and expiry; the router admits until expiry (injected clock)', async () => {
    // Act: grant for 30 days
    const code = await approvals(['grant', '--tenant', 'acme', '--workflow', 'kyc', '--ticket', 'RISK-1234', '--reason', REASON, '--expires-in-days', '30']);
    expect(err).toEqual([]);
    expect(code).toBe(0);

    // Assess: the approval in force and its history entry, approver from STS
    const expiresAt = new Date(T0 + 30 * DAY).toISOString();
    const [entry] = await history();
    expect(entry).toMatchObject({
      action: { S: 'grant' }, tenantId: { S: 'acme' }, workflow: { S: 'kyc' }, approver: { S: APPROVER }, account: { S: '111122223333' },
      ticket: { S: 'RISK-1234' }, reason: { S: REASON }, expiresAt: { S: expiresAt },
    });
    out.length = 0;
    expect(await approvals(['list'])).toBe(0);
    expect(out.join('\n')).toContain(`acme × kyc  expires ${expiresAt}  ticket RISK-1234  approved by ${APPROVER}`);

    // The router admits until the expiry, and refuses from then on, naming the expiry
    let now = T0;
    const t = testGateway({ config, now: () => now, approvals: approvalsFromEnv({ [APPROVALS_ENV.tableName]: TABLE, [APPROVALS_ENV.cacheSeconds]: '30' }, { endpoint: dynamo.endpoint, now: () => now }) });
    expect((await send(t.gateway, restricted('kyc', now))).status).toBe(200);
    expect((await send(t.gateway, restricted('aml', now))).status).toBe(403);
    now = Date.parse(expiresAt) - 1;
    expect((await send(t.gateway, restricted('kyc', now))).status).toBe(200);
    now = Date.parse(expiresAt);
    const expired = await send(t.gateway, restricted('kyc', now));
    expect([expired.status, errorOf(expired).code]).toEqual([403, 'approval_required']);
    expect(errorOf(expired).message).toContain(`its approval expired at ${expiresAt}`);
  });

  test('revoke removes the approval (the router refuses once its cache expires) and appends to the history, never overwriting it', async () => {
    let now = T0 + DAY;
    const t = testGateway({ config, now: () => now, approvals: approvalsFromEnv({ [APPROVALS_ENV.tableName]: TABLE, [APPROVALS_ENV.cacheSeconds]: '10' }, { endpoint: dynamo.endpoint, now: () => now }) });
    expect((await send(t.gateway, restricted('kyc', now))).status).toBe(200);
    const before = await history();

    cliNow = T0 + DAY;
    expect(await approvals(['revoke', '--tenant', 'acme', '--workflow', 'kyc', '--reason', 'Onboarding project closed, access no longer needed'])).toBe(0);

    expect((await send(t.gateway, restricted('kyc', now))).status).toBe(200); // cached
    now += 10_000;
    expect((await send(t.gateway, restricted('kyc', now))).status).toBe(403);
    const after = await history();
    expect(after).toHaveLength(before.length + 1);
    expect(after).toEqual(expect.arrayContaining(before));
    expect(after.find((i) => i.action.S === 'revoke')).toMatchObject({ approver: { S: APPROVER }, reason: { S: 'Onboarding project closed, access no longer needed' } });
  });

  test('revoking what is not in force changes and records nothing', async () => {
    const before = await history();
    expect(await approvals(['revoke', '--tenant', 'acme', '--workflow', 'nothing', '--reason', 'Cleaning up approvals after the audit'])).toBe(0);
    expect(out.join('\n')).toMatch(/has no approval in force; nothing revoked/);
    expect(await history()).toHaveLength(before.length);
  });

  test.each([
    [['grant', '--tenant', 'acme', '--workflow', 'kyc', '--ticket', 'RISK-1', '--reason', 'ok', '--expires-in-days', '30'], /--reason is required: a reason of at least 20 characters and three words/],
    [['grant', '--tenant', 'acme', '--workflow', 'kyc', '--reason', REASON, '--expires-in-days', '30'], /--ticket is required/],
    [['grant', '--tenant', 'acme', '--workflow', 'kyc', '--ticket', 'RISK-1', '--reason', REASON, '--expires-in-days', '400'], /--expires-in-days '400' is not allowed: a whole number of days from 1 to 366/],
    [['grant', '--tenant', 'acme', '--workflow', 'kyc', '--ticket', 'RISK-1', '--reason', REASON], /--expires-in-days is required/],
    [['grant', '--tenant', 'Acme!', '--workflow', 'kyc', '--ticket', 'RISK-1', '--reason', REASON, '--expires-in-days', '3'], /--tenant 'Acme!' is not allowed/],
    [['grant', '--tenant', 'acme', '--workflow', 'kyc', '--ticket', 'RISK-1', '--reason', REASON, '--expires-in-days', '3', '--approver', 'me'], /Unknown option '--approver'/],
  ])('%j is a usage error naming the flag', async (argv, message) => {
    expect(await approvals(argv)).toBe(2);
    expect(err.join('\n')).toMatch(message);
  });
});
