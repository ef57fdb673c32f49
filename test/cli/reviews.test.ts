/**
 * `cdk-ai-gateway reviews list|resolve`: against local mode's JSONL file, and against a reviews
 * table in dynalite (the layout ResponseReviewQueue creates) with the reviewer identity from a
 * loopback STS.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { runReviewsCommand } from '../../cli/reviews';
import { usageDocumentClient } from '../../lambda/router/usage/from-env';
import { AwsReviews } from '../../lambda/router/validation/aws-reviews';
import { JsonlReviews } from '../../lambda/router/validation/jsonl-reviews';
import { reviewSubmission } from '../../lambda/router/validation/review';
import { REVIEW_TABLE_KEYS } from '../../lambda/shared/review-table-schema';
import { LocalDynamo, startDynalite, useTestAwsEnvironment } from '../helpers/dynalite';
import { startFakeSts } from '../helpers/fake-sts';

const REVIEWER = 'arn:aws:sts::111122223333:assumed-role/Reviewer/bob';

function io(): { stdout: (t: string) => void; stderr: (t: string) => void; out: string[]; err: string[]; now: () => Date } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => { out.push(t); }, stderr: (t) => { err.push(t); }, now: () => new Date('2026-02-01T10:00:00.000Z') };
}

const flagged = (requestId: string, sensitivity = 'internal') => reviewSubmission({
  requestId, createdAt: '2026-02-01T09:00:00.000Z', tenantId: 'acme', workflow: 'claims', route: 'extract', promptId: 'claim', promptVersion: '3',
  sensitivity, action: 'flagged', validator: 'route_schema', rule: 'schema',
}, '{"amount": "lots"}', '$.amount: must be a number');

describe('reviews with --file (local mode)', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'reviews-cli-')), 'reviews.jsonl');

  beforeAll(async () => {
    const reviews = new JsonlReviews(file);
    await reviews.submit(flagged('r-1'));
    await reviews.submit(flagged('r-2', 'restricted'));
  });

  test('list shows open reviews with the request, tenant, workflow, prompt version, validator and where the content is', async () => {
    const cli = io();
    expect(await runReviewsCommand(['list', '--file', file], cli)).toBe(0);
    expect(cli.out).toHaveLength(2);
    expect(cli.out[0]).toMatch(/r-1 flagged tenant=acme route=extract workflow=claims prompt=claim@3 sensitivity=internal validator=route_schema rule=schema content=.*#r-1/);
    expect(cli.out[1]).toMatch(/r-2 .* sensitivity=restricted .* content=not kept/);
  });

  test('resolve records the reviewer and the note; the review leaves the open list', async () => {
    const cli = io();
    expect(await runReviewsCommand(['resolve', '--file', file, '--id', 'r-1', '--note', 'amount format fixed in prompt v4'], cli)).toBe(0);
    const resolved = io();
    await runReviewsCommand(['list', '--file', file, '--status', 'resolved', '--json'], resolved);
    expect(JSON.parse(resolved.out[0])).toEqual([expect.objectContaining({
      reviewId: 'r-1', status: 'resolved', resolvedBy: expect.stringMatching(/^local:/), note: 'amount format fixed in prompt v4', resolvedAt: '2026-02-01T10:00:00.000Z',
    })]);
    const open = io();
    await runReviewsCommand(['list', '--file', file], open);
    expect(open.out.join('\n')).not.toContain('r-1');
  });

  test('resolving a review twice (or an unknown one) fails', async () => {
    const cli = io();
    expect(await runReviewsCommand(['resolve', '--file', file, '--id', 'r-1', '--note', 'again'], cli)).toBe(1);
    expect(cli.err[0]).toMatch(/no open review r-1/);
  });

  test.each([
    [['list'], /exactly one of --table/],
    [['close', '--file', 'x'], /unknown action 'close'; allowed: list, resolve/],
    [['resolve', '--file', 'x', '--id', 'r-1'], /--note/],
    [['resolve', '--file', 'x', '--id', 'bad id!', '--note', 'xyz'], /--id/],
    [['list', '--file', 'x', '--status', 'pending'], /--status 'pending'.*open or resolved/],
  ])('bad command line %j → exit 2 naming the option', async (args, message) => {
    const cli = io();
    expect(await runReviewsCommand(args, cli)).toBe(2);
    expect(cli.err[0]).toMatch(message);
  });
});

describe('reviews with --table (the deployed reviews table, in dynalite)', () => {
  let dynamo: LocalDynamo;
  let sts: Awaited<ReturnType<typeof startFakeSts>>;
  let restoreEnv: () => void;
  const TABLE = 'reviews';

  beforeAll(async () => {
    restoreEnv = useTestAwsEnvironment();
    dynamo = await startDynalite();
    sts = await startFakeSts(REVIEWER);
    await dynamo.client.send(new CreateTableCommand({
      TableName: TABLE, BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: REVIEW_TABLE_KEYS.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: REVIEW_TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: REVIEW_TABLE_KEYS.statusKey, AttributeType: 'S' },
        { AttributeName: REVIEW_TABLE_KEYS.sortKey, AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [{
        IndexName: REVIEW_TABLE_KEYS.statusIndex, Projection: { ProjectionType: 'ALL' },
        KeySchema: [{ AttributeName: REVIEW_TABLE_KEYS.statusKey, KeyType: 'HASH' }, { AttributeName: REVIEW_TABLE_KEYS.sortKey, KeyType: 'RANGE' }],
      }],
    }));
    const reviews = new AwsReviews({ dynamodb: usageDocumentClient(dynamo.endpoint), tableName: TABLE });
    await reviews.submit(flagged('r-10'));
    await reviews.submit(flagged('r-10')); // a retried submission is idempotent
  });

  afterAll(async () => {
    await sts.close();
    await dynamo.close();
    restoreEnv();
  });

  const args = (...rest: string[]) => [...rest, '--table', TABLE, '--endpoint', dynamo.endpoint, '--sts-endpoint', sts.endpoint, '--region', 'eu-west-1'];

  test('list queries the byStatus index; without a quarantine bucket, no detail or content location is kept', async () => {
    const cli = io();
    expect(await runReviewsCommand(args('list', '--json'), cli)).toBe(0);
    const items = JSON.parse(cli.out[0]) as Record<string, unknown>[];
    expect(items).toEqual([expect.objectContaining({ reviewId: 'r-10', status: 'open', validator: 'route_schema' })]);
    expect(items[0].detail).toBeUndefined();
    expect(items[0].contentLocation).toBeUndefined();
  });

  test('resolve records the caller\'s IAM identity from STS and the note, once', async () => {
    const cli = io();
    expect(await runReviewsCommand(args('resolve', '--id', 'r-10', '--note', 'reviewed with the claims team'), cli)).toBe(0);
    expect(cli.out[0]).toBe(`resolved review r-10 as ${REVIEWER}`);
    const listed = io();
    await runReviewsCommand(args('list', '--status', 'resolved', '--json'), listed);
    expect(JSON.parse(listed.out[0])).toEqual([expect.objectContaining({ reviewId: 'r-10', resolvedBy: REVIEWER, note: 'reviewed with the claims team' })]);
    expect(await runReviewsCommand(args('resolve', '--id', 'r-10', '--note', 'again'), io())).toBe(1);
  });
});
