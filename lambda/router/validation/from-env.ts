/**
 * Cold-start wiring of response validation in the deployed router: the review queue when the
 * environment names its table (`GATEWAY_REVIEW_TABLE`, with the queue URL and quarantine bucket
 * beside it), and Lambda Invoke for validator functions when the configuration has any. Loaded
 * only then, so a router without them never loads the S3, SQS or Lambda clients.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ResolvedGatewayConfig } from '../../shared/defaults';
import { REVIEW_ENV } from '../../shared/review-table-schema';
import { usageDocumentClient } from '../usage/from-env';
import { AwsReviews } from './aws-reviews';
import { FunctionTransport, usesValidatorFunctions } from './function-validator';
import { LambdaFunctionTransport } from './lambda-transport';
import { ReviewSink } from './review';

/** Timeouts of the review writes: they are on the failure path of a request, before its answer. */
const REVIEW_CLIENT = { maxAttempts: 2 } as const;

/**
 * @example
 * const gateway = createGateway(config, { ...validationFromEnv(process.env, config) });
 */
export function validationFromEnv(
  env: Readonly<Record<string, string | undefined>>, config: ResolvedGatewayConfig,
): { reviews?: ReviewSink; validatorFunctions?: FunctionTransport } {
  const tableName = env[REVIEW_ENV.table]?.trim();
  const reviews = tableName ? new AwsReviews({
    dynamodb: usageDocumentClient(),
    tableName,
    sqs: new SQSClient(REVIEW_CLIENT),
    queueUrl: env[REVIEW_ENV.queueUrl]?.trim() || undefined,
    s3: new S3Client(REVIEW_CLIENT),
    bucket: env[REVIEW_ENV.bucket]?.trim() || undefined,
  }) : undefined;
  return {
    ...(reviews ? { reviews } : {}),
    ...(usesValidatorFunctions(config) ? { validatorFunctions: new LambdaFunctionTransport() } : {}),
  };
}
