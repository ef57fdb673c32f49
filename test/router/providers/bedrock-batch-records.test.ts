/**
 * Bedrock batch records: a line of the gateway becomes a Converse record for every model family
 * that runs batch inference, and the job's output record comes back as the same Completion (or
 * failure) a synchronous Converse call gives.
 */
import {
  batchRecordId, fromBatchRecord, modelInvocationJobRequest, parseBatchRecordOutput, parseJobStateChange, toBatchRecord,
} from '../../../lambda/router/providers/bedrock/batch-records';
import { toConverseInput } from '../../../lambda/router/providers/bedrock/mapping';
import { UpstreamError } from '../../../lambda/router/errors';
import { thrownBy } from '../../helpers/router-config';
import type { BedrockTarget, ProviderRequest } from '../../../lambda/router/providers/types';

const FAMILIES = [
  'anthropic.claude-3-5-haiku-20241022-v1:0',
  'amazon.nova-lite-v1:0',
  'meta.llama3-1-8b-instruct-v1:0',
  'mistral.mistral-large-2407-v1:0',
  'us.anthropic.claude-sonnet-4-20250514-v1:0',
];

const request: ProviderRequest = {
  requestId: 'batch_abc.1',
  system: ['You classify support tickets.'],
  messages: [{ role: 'user', content: 'The parcel arrived late.' }],
  metadata: { tenantId: 'acme', route: 'classify' },
  maxTokens: 16,
  temperature: 0,
};

const answer = {
  output: { message: { role: 'assistant' as const, content: [{ text: 'delivery' }] } },
  stopReason: 'end_turn' as const,
  usage: { inputTokens: 21, outputTokens: 2, totalTokens: 23 },
};

describe.each(FAMILIES)('batch record for %s', (modelId) => {
  const target: BedrockTarget = { kind: 'bedrock', id: 't', modelId };

  test('the record is the Converse body without modelId, under an 11-character alphanumeric record id', () => {
    const record = JSON.parse(toBatchRecord(41, target, request)) as { recordId: string; modelInput: Record<string, unknown> };
    expect(record.recordId).toMatch(/^[A-Za-z0-9]{11}$/);
    const { modelId: _named, ...expected } = toConverseInput(target, request);
    expect(record.modelInput).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(record.modelInput).not.toHaveProperty('modelId');
  });

  test('an output record comes back as the synchronous Completion', () => {
    const line = JSON.stringify({ recordId: batchRecordId(41), modelInput: {}, modelOutput: answer });
    expect(fromBatchRecord(target, request, parseBatchRecordOutput(line))).toMatchObject({
      text: 'delivery', finishReason: 'stop', usage: { inputTokens: 21, outputTokens: 2 }, servedModel: modelId,
    });
  });
});

describe('failed records and jobs', () => {
  const target: BedrockTarget = { kind: 'bedrock', id: 't', modelId: 'amazon.nova-lite-v1:0' };

  test.each([
    [400, 'client'],
    [429, 'fallback'],
    [500, 'fallback'],
  ])('an error record %s is an UpstreamError with disposition %s', (errorCode, disposition) => {
    const record = parseBatchRecordOutput(JSON.stringify({ recordId: 'R0000000001', error: { errorCode, errorMessage: 'x' } }));
    expect(thrownBy(UpstreamError, () => fromBatchRecord(target, request, record)).disposition).toBe(disposition);
  });

  test('a line without a record id is refused', () => {
    expect(() => parseBatchRecordOutput('{"modelOutput":{}}')).toThrow(UpstreamError);
  });

  test('the job uses Converse records, JSONL input, its name as idempotency token and the 24 h window', () => {
    expect(modelInvocationJobRequest({
      jobName: 'gw-batch-1', roleArn: 'arn:aws:iam::111122223333:role/r', modelId: 'amazon.nova-lite-v1:0',
      inputS3Uri: 's3://b/in/', outputS3Uri: 's3://b/out/', outputKmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k',
    })).toEqual({
      jobName: 'gw-batch-1', clientRequestToken: 'gw-batch-1', roleArn: 'arn:aws:iam::111122223333:role/r', modelId: 'amazon.nova-lite-v1:0',
      modelInvocationType: 'Converse',
      inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://b/in/', s3InputFormat: 'JSONL' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://b/out/', s3EncryptionKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k' } },
      timeoutDurationInHours: 24,
    });
  });

  test.each([
    ['Completed', true], ['PartiallyCompleted', true], ['Failed', true], ['Stopped', true], ['Expired', true], ['InProgress', false], ['Scheduled', false],
  ])('a job state change to %s ended: %s', (status, ended) => {
    const event = { source: 'aws.bedrock', 'detail-type': 'Batch Inference Job State Change', detail: { batchJobArn: 'arn:j', batchJobName: 'gw-batch-1', status } };
    expect(parseJobStateChange(event)).toEqual({ jobArn: 'arn:j', jobName: 'gw-batch-1', status, ended });
  });

  test('other events are not job state changes', () => {
    expect(parseJobStateChange({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} })).toBeUndefined();
  });
});
