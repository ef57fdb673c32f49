/**
 * The kill switch on the deployed path: the CLI against DynamoDB (dynalite) with the operator's
 * identity from STS GetCallerIdentity (a loopback fake), and the router's DynamoDB loader reading
 * the same table through `controlsFromEnv`, as the Lambda entry wires it.
 */
import { CreateTableCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { runIncidentCommand } from '../../../cli/incident';
import { controlsFromEnv } from '../../../lambda/router/incident/dynamo-controls';
import { CONTROL_ATTRIBUTES as A, CONTROLS_ENV } from '../../../lambda/shared/incident-controls-schema';
import { LocalDynamo, startDynalite, useTestAwsEnvironment } from '../../helpers/dynalite';
import { ACME_KEY } from '../../helpers/router-config';
import { startFakeSts } from '../../helpers/fake-sts';
import { chatRequest, hello, send, testGateway } from '../../helpers/router-fakes';

const TABLE = 'gw-incident-controls';
const OPERATOR = 'arn:aws:sts::111122223333:assumed-role/OnCall/alice';


describe('incident controls against DynamoDB', () => {
  let dynamo: LocalDynamo;
  let sts: Awaited<ReturnType<typeof startFakeSts>>;
  let restoreEnv: () => void;
  const out: string[] = [];
  const err: string[] = [];
  const NOW = new Date('2026-12-07T10:00:00.000Z');
  let cliNow = NOW.getTime();
  const incident = (args: string[]) => runIncidentCommand(
    [...args, '--table', TABLE, '--endpoint', dynamo.endpoint, '--sts-endpoint', sts.endpoint, '--region', 'eu-west-1'],
    { stdout: (s) => out.push(s), stderr: (s) => err.push(s), now: () => new Date(cliNow) },
  );

  beforeAll(async () => {
    restoreEnv = useTestAwsEnvironment();
    dynamo = await startDynalite();
    sts = await startFakeSts(OPERATOR);
    await dynamo.client.send(new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: A.pk, KeyType: 'HASH' }, { AttributeName: A.sk, KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: A.pk, AttributeType: 'S' }, { AttributeName: A.sk, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
  });
  afterAll(async () => {
    await sts.close();
    await dynamo.close();
    restoreEnv();
  });

  test('suspend-tenant writes the control and a history entry naming the caller; the router refuses the tenant within the cache time', async () => {
    let now = NOW.getTime();
    const controls = controlsFromEnv({ [CONTROLS_ENV.tableName]: TABLE, [CONTROLS_ENV.cacheSeconds]: '10' }, { endpoint: dynamo.endpoint, now: () => now })!;
    const t = testGateway({ controls });
    expect((await send(t.gateway, chatRequest(hello()))).status).toBe(200);

    expect(await incident(['suspend-tenant', '--tenant', 'acme', '--reason', 'INC-11: fraud pattern on this tenant'])).toBe(0);
    expect(err).toEqual([]);
    expect(sts.actions).toEqual(['GetCallerIdentity']);

    const history = await dynamo.client.send(new QueryCommand({
      TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'HISTORY' } },
    }));
    expect(history.Items).toHaveLength(1);
    expect(history.Items![0]).toMatchObject({
      action: { S: 'suspend' }, kind: { S: 'tenant' }, subject: { S: 'acme' }, actor: { S: OPERATOR }, account: { S: '111122223333' },
      at: { S: '2026-12-07T10:00:00.000Z' }, reason: { S: 'INC-11: fraud pattern on this tenant' },
    });

    now += 9_999;
    expect((await send(t.gateway, chatRequest(hello()))).status).toBe(200);
    now += 1;
    const refused = await send(t.gateway, chatRequest(hello(), { key: ACME_KEY }));
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: 'tenant_suspended' } });

    out.length = 0;
    expect(await incident(['list'])).toBe(0);
    expect(out).toEqual([`tenant acme  since 2026-12-07T10:00:00.000Z  by ${OPERATOR}: INC-11: fraud pattern on this tenant`]);

    cliNow += 60_000;
    expect(await incident(['resume', '--kind', 'tenant', '--subject', 'acme', '--reason', 'INC-11 closed, false alarm'])).toBe(0);
    now += 10_000;
    expect((await send(t.gateway, chatRequest(hello()))).status).toBe(200);
    out.length = 0;
    expect(await incident(['list', '--history'])).toBe(0);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/resume +tenant acme +by arn:aws:sts::111122223333:assumed-role\/OnCall\/alice: INC-11 closed/);
  });

  test('resuming what is not in force is recorded and said', async () => {
    out.length = 0;
    expect(await incident(['resume', '--kind', 'route', '--subject', 'chat', '--reason', 'INC-12: double check'])).toBe(0);
    expect(out.join('\n')).toMatch(/route chat was not in force; the resume is recorded/);
  });

  test('a table that cannot be written fails the command (exit 1) with the SDK error name', async () => {
    err.length = 0;
    const code = await runIncidentCommand(
      ['suspend-route', '--route', 'chat', '--reason', 'INC-13: test the failure path', '--table', 'no-such-table', '--endpoint', dynamo.endpoint,
        '--sts-endpoint', sts.endpoint, '--region', 'eu-west-1'],
      { stdout: () => undefined, stderr: (s) => err.push(s) },
    );
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/^error: ResourceNotFoundException/);
  });
});
