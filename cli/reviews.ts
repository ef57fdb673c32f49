/**
 * `cdk-ai-gateway reviews list|resolve`: the human side of response validation. Flagged and
 * rejected answers are reviews (request id, tenant, workflow, route, prompt version, validator,
 * rule, and where the answer is kept when its sensitivity allowed keeping it). `list` shows them by
 * status; `resolve` closes an open one, recording who (the caller's IAM ARN from STS
 * GetCallerIdentity, or `local:<user>` with `--file`), when, and the reviewer's note.
 *
 * Deployed, the reviews table of `ResponseReviewQueue` is the store of record (an SQS queue cannot
 * be listed; the queue carries the same items to notifications and integrations). Locally, the
 * JSONL file `cdk-ai-gateway serve --reviews` writes.
 */
import { parseArgs } from 'node:util';
import { documentClient } from '../lambda/clients/dynamodb-document';
import { AwsReviews } from '../lambda/router/validation/aws-reviews';
import { JsonlReviews } from '../lambda/router/validation/jsonl-reviews';
import { ReviewItem, ReviewStore } from '../lambda/router/validation/review';
import { ReviewStatus } from '../lambda/shared/review-table-schema';
import { CliIo, EXIT } from './io';
import { callerIdentity, localIdentity, operatorClients } from './operator';

export const REVIEWS_USAGE = `Usage: cdk-ai-gateway reviews <list|resolve> (--table NAME | --file PATH) [options]

  list [--status open|resolved] [--limit N] [--json]   reviews by status (default open, newest first, 20)
  resolve --id REQUEST_ID --note TEXT                   close an open review, recording you and the note

Where:
  --table NAME        the reviews table of the deployed gateway (ResponseReviewQueue)
  --file PATH         the review file of local mode (cdk-ai-gateway serve --reviews PATH)
  --region REGION     AWS Region (default: the SDK's)
  --endpoint URL      DynamoDB endpoint override
  --sts-endpoint URL  STS endpoint override (the reviewer identity comes from STS GetCallerIdentity)`;

class UsageError extends Error {}

export interface ReviewsIo extends CliIo {
  /** @default the current time */
  readonly now?: () => Date;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function row(r: ReviewItem): string {
  const prompt = r.promptId !== undefined ? ` prompt=${r.promptId}@${r.promptVersion}` : '';
  const workflow = r.workflow !== undefined ? ` workflow=${r.workflow}` : '';
  const resolved = r.status === ReviewStatus.RESOLVED ? ` resolved by ${r.resolvedBy} at ${r.resolvedAt}: ${r.note}` : '';
  const content = r.contentLocation !== undefined ? ` content=${r.contentLocation}` : ' content=not kept';
  return `${r.createdAt} ${r.reviewId} ${r.action} tenant=${r.tenantId} route=${r.route}${workflow}${prompt} `
    + `sensitivity=${r.sensitivity} validator=${r.validator} rule=${r.rule}${content}${resolved}`;
}

/**
 * Runs `reviews <action> …`; resolves to the exit code (0 done, 1 failed, 2 bad command line).
 *
 * @example
 * process.exitCode = await runReviewsCommand(['resolve', '--table', 'reviews', '--id', 'r-1', '--note', 'false positive'], io);
 */
export async function runReviewsCommand(argv: readonly string[], io: ReviewsIo): Promise<number> {
  let values;
  let action: string | undefined;
  try {
    const parsed = parseArgs({
      args: [...argv], allowPositionals: true, strict: true,
      options: {
        table: { type: 'string' }, file: { type: 'string' }, region: { type: 'string' }, endpoint: { type: 'string' }, 'sts-endpoint': { type: 'string' },
        status: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, id: { type: 'string' }, note: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    values = parsed.values;
    action = parsed.positionals[0];
    if (values.help || action === 'help') {
      io.stdout(REVIEWS_USAGE);
      return EXIT.OK;
    }
    if (action !== 'list' && action !== 'resolve') throw new UsageError(`unknown action '${(action ?? '').slice(0, 40)}'; allowed: list, resolve`);
    if ((values.table === undefined) === (values.file === undefined)) throw new UsageError('give exactly one of --table NAME and --file PATH');
    if (values.status !== undefined && !Object.values(ReviewStatus).includes(values.status as ReviewStatus)) {
      throw new UsageError(`--status '${values.status.slice(0, 40)}' is not allowed; expected open or resolved`);
    }
    if (values.limit !== undefined && !/^[1-9]\d{0,3}$/.test(values.limit)) throw new UsageError(`--limit '${values.limit.slice(0, 40)}' is not allowed; expected 1 to 9999`);
    if (action === 'resolve') {
      if (values.id === undefined || !REQUEST_ID.test(values.id)) throw new UsageError('resolve needs --id REQUEST_ID (letters, digits, . _ : -; at most 128)');
      if (values.note === undefined || values.note.trim().length < 3 || values.note.length > 1000) throw new UsageError('resolve needs --note TEXT (3 to 1000 characters)');
    }
  } catch (error) {
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n\n${REVIEWS_USAGE}`);
    return EXIT.USAGE;
  }
  // The operator commands' clients (region, endpoints, timeouts) and identity: cli/operator.ts.
  const clients = values.file !== undefined ? undefined : operatorClients(values);
  const store: ReviewStore = clients === undefined
    ? new JsonlReviews(values.file!)
    : new AwsReviews({
      dynamodb: documentClient(clients.dynamodb), tableName: values.table!,
    });
  try {
    if (action === 'list') {
      const items = await store.list((values.status as ReviewStatus | undefined) ?? ReviewStatus.OPEN, Number(values.limit ?? 20));
      if (values.json) io.stdout(JSON.stringify(items, null, 2));
      else if (items.length === 0) io.stdout(`no ${values.status ?? 'open'} reviews`);
      else for (const item of items) io.stdout(row(item));
      return EXIT.OK;
    }
    const resolvedBy = (clients === undefined ? localIdentity() : await callerIdentity(clients.sts)).actor;
    const done = await store.resolve(values.id!, resolvedBy, values.note!.trim(), (io.now ?? (() => new Date()))());
    if (!done) {
      io.stderr(`error: no open review ${values.id}`);
      return EXIT.FAILED;
    }
    io.stdout(`resolved review ${values.id} as ${resolvedBy}`);
    return EXIT.OK;
  } catch (error) {
    io.stderr(`error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return EXIT.FAILED;
  }
}
