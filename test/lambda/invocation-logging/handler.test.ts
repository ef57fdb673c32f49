/**
 * Wire-level tests of the invocation logging custom resource handler: the real
 * `@aws-sdk/client-bedrock` client against a loopback Bedrock control plane, and the real
 * CloudFormation response protocol against a loopback ResponseURL.
 */
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { createHandler, type HandlerDeps } from '../../../lambda/invocation-logging/index';
import { BedrockControlPlaneFake, bedrockError, CloudFormationResponseReceiver } from '../../helpers/bedrock-control-plane-fake';
import {
  customResourceEvent,
  EXPECTED_LOGGING_CONFIG,
  lambdaContext,
  loggingProperties,
  RecordingLog,
} from '../../helpers/bedrock-control-plane-events';

const PHYSICAL_ID = 'bedrock-invocation-logging-eu-west-1';

describe('invocation logging handler, against a loopback Bedrock control plane', () => {
  let bedrock: BedrockControlPlaneFake;
  let receiver: CloudFormationResponseReceiver;
  let client: BedrockClient;
  let log: RecordingLog;

  /** The handler as the Lambda entry point builds it, minus the waits. */
  function handlerWith(overrides: Partial<HandlerDeps> = {}) {
    return createHandler({
      client,
      region: 'eu-west-1',
      log,
      propagationRetry: { attempts: 3, delayMs: 0 },
      responseReserveMs: 1_000,
      responseAttempts: 3,
      responseTimeoutMs: 2_000,
      sleep: async () => undefined,
      ...overrides,
    });
  }

  beforeEach(async () => {
    bedrock = await new BedrockControlPlaneFake().start();
    receiver = await new CloudFormationResponseReceiver().start();
    client = bedrock.client();
    log = new RecordingLog();
  });

  afterEach(async () => {
    client.destroy();
    await bedrock.stop();
    await receiver.stop();
  });

  describe('Create and Update', () => {
    it('puts exactly the configuration built from the properties, signed for Bedrock', async () => {
      // Prepare
      const event = customResourceEvent({ requestType: 'Create', responseUrl: receiver.url });

      // Act
      await handlerWith()(event, lambdaContext());

      // Assess
      expect(bedrock.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /logging/modelinvocations', 'PUT /logging/modelinvocations']);
      const put = bedrock.requestsFor('PUT')[0];
      expect(JSON.parse(put.body)).toStrictEqual({ loggingConfig: EXPECTED_LOGGING_CONFIG });
      expect(put.headers['content-type']).toBe('application/json');
      expect(put.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFAKEFAKEFAKE\/\d{8}\/eu-west-1\/bedrock\/aws4_request/);
      expect(bedrock.configuration).toStrictEqual(EXPECTED_LOGGING_CONFIG);
    });

    it('answers CloudFormation SUCCESS with the stable physical id and the config hash', async () => {
      const event = customResourceEvent({ requestType: 'Create', responseUrl: receiver.url });

      await handlerWith()(event, lambdaContext());

      expect(receiver.received).toHaveLength(1);
      const sent = receiver.received[0];
      expect(sent.method).toBe('PUT');
      // The URL is pre-signed without a content type: an empty one must be sent.
      expect(sent.headers['content-type']).toBe('');
      expect(sent.headers['content-length']).toBe(String(Buffer.byteLength(sent.body)));
      expect(receiver.lastResponse()).toStrictEqual({
        Status: 'SUCCESS',
        Reason: 'put: logging to s3://invocation-logs-bucket and /aws/bedrock/model-invocations/Stack',
        PhysicalResourceId: PHYSICAL_ID,
        StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/Stack/guid',
        RequestId: 'request-0001',
        LogicalResourceId: 'InvocationLogging',
        Data: { ConfigHash: 'c0ffee', PreviouslyConfigured: 'false' },
      });
    });

    it('records the configuration it replaces, which is account-wide', async () => {
      bedrock.configuration = { textDataDeliveryEnabled: true, s3Config: { bucketName: 'someone-elses-bucket' } };

      await handlerWith()(customResourceEvent({ requestType: 'Create', responseUrl: receiver.url }), lambdaContext());

      const replacing = log.lines.find((l) => l.message.startsWith('Replacing'));
      expect(replacing?.extra?.previousLoggingConfig).toStrictEqual({ textDataDeliveryEnabled: true, s3Config: { bucketName: 'someone-elses-bucket' } });
      expect(receiver.lastResponse().Data).toStrictEqual({ ConfigHash: 'c0ffee', PreviouslyConfigured: 'true' });
    });

    it('puts the new settings on Update and keeps the physical id it was given', async () => {
      const event = customResourceEvent({
        requestType: 'Update',
        responseUrl: receiver.url,
        physicalResourceId: PHYSICAL_ID,
        properties: loggingProperties({ ImageDataDeliveryEnabled: 'true', S3KeyPrefix: 'audit/bedrock', ConfigHash: 'beef' }),
        oldProperties: loggingProperties(),
      });

      await handlerWith()(event, lambdaContext());

      const body = JSON.parse(bedrock.requestsFor('PUT')[0].body) as { loggingConfig: Record<string, unknown> };
      expect(body.loggingConfig).toStrictEqual({
        ...EXPECTED_LOGGING_CONFIG,
        imageDataDeliveryEnabled: true,
        s3Config: { bucketName: 'invocation-logs-bucket', keyPrefix: 'audit/bedrock' },
      });
      expect(receiver.lastResponse()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID, Data: { ConfigHash: 'beef' } });
    });

    it('accepts real booleans as well as the strings CloudFormation sends', async () => {
      const properties = loggingProperties({ TextDataDeliveryEnabled: false, EmbeddingDataDeliveryEnabled: true });

      await handlerWith()(customResourceEvent({ requestType: 'Create', responseUrl: receiver.url, properties }), lambdaContext());

      const body = JSON.parse(bedrock.requestsFor('PUT')[0].body) as { loggingConfig: Record<string, unknown> };
      expect(body.loggingConfig).toMatchObject({ textDataDeliveryEnabled: false, embeddingDataDeliveryEnabled: true });
    });
  });

  describe('Delete', () => {
    /** A Delete of the resource with `DisableLoggingOnDelete: 'true'` and the given other properties. */
    const optedInDelete = (properties: Record<string, unknown> = {}) => customResourceEvent({
      requestType: 'Delete',
      responseUrl: receiver.url,
      physicalResourceId: PHYSICAL_ID,
      properties: loggingProperties({ ...properties, DisableLoggingOnDelete: 'true' }),
    });

    it('leaves the account-wide configuration alone by default: nothing is sent to Bedrock', async () => {
      bedrock.configuration = EXPECTED_LOGGING_CONFIG;
      const event = customResourceEvent({ requestType: 'Delete', responseUrl: receiver.url, physicalResourceId: PHYSICAL_ID });

      await handlerWith()(event, lambdaContext());

      expect(bedrock.requests).toHaveLength(0);
      expect(bedrock.configuration).toStrictEqual(EXPECTED_LOGGING_CONFIG);
      expect(receiver.lastResponse()).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: PHYSICAL_ID,
        Reason: 'left-in-place: DisableLoggingOnDelete is false',
      });
    });

    it('deletes the configuration when opted in and the configuration is still its own', async () => {
      bedrock.configuration = EXPECTED_LOGGING_CONFIG;
      const event = optedInDelete();

      await handlerWith()(event, lambdaContext());

      expect(bedrock.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /logging/modelinvocations', 'DELETE /logging/modelinvocations']);
      expect(bedrock.configuration).toBeUndefined();
      expect(receiver.lastResponse()).toMatchObject({ Status: 'SUCCESS', Reason: 'deleted: DisableLoggingOnDelete is true' });
    });

    it('does not switch off a configuration someone else has put since, even when opted in', async () => {
      const foreign = { ...EXPECTED_LOGGING_CONFIG, s3Config: { bucketName: 'another-stacks-bucket' } };
      bedrock.configuration = foreign;
      const event = optedInDelete();

      await handlerWith()(event, lambdaContext());

      expect(bedrock.requestsFor('DELETE')).toHaveLength(0);
      expect(bedrock.configuration).toStrictEqual(foreign);
      expect(receiver.lastResponse()).toMatchObject({ Status: 'SUCCESS', Reason: 'left-in-place: configuration belongs to someone else' });
      expect(log.lines.some((l) => l.level === 'warn' && l.message.includes('not the one this resource put'))).toBe(true);
    });

    it('sends no Delete when opted in but nothing is configured (the rollback of a failed Create)', async () => {
      const event = optedInDelete();

      await handlerWith()(event, lambdaContext());

      expect(bedrock.requestsFor('DELETE')).toHaveLength(0);
      expect(receiver.lastResponse()).toMatchObject({ Status: 'SUCCESS', Reason: 'left-in-place: no configuration' });
    });

    it('succeeds without calling Bedrock when the properties never parsed (nothing was applied with them)', async () => {
      const event = optedInDelete({ S3BucketName: 'Not A Bucket' });

      await handlerWith()(event, lambdaContext());

      expect(bedrock.requests).toHaveLength(0);
      expect(receiver.lastResponse()).toMatchObject({ Status: 'SUCCESS', Reason: 'left-in-place: invalid properties were never applied' });
    });

    it('reports FAILED when the opted-in Delete is refused', async () => {
      bedrock.configuration = EXPECTED_LOGGING_CONFIG;
      bedrock.script('DELETE', bedrockError(403, 'AccessDeniedException', 'User is not authorized to perform: bedrock:DeleteModelInvocationLoggingConfiguration'));
      const event = optedInDelete();

      await handlerWith()(event, lambdaContext());

      expect(receiver.lastResponse()).toMatchObject({ Status: 'FAILED', PhysicalResourceId: PHYSICAL_ID });
      expect(receiver.lastResponse().Reason).toMatch(
        /^DeleteModelInvocationLoggingConfiguration failed: AccessDeniedException: User is not authorized to perform: bedrock:DeleteModelInvocationLoggingConfiguration \(HTTP 403, request id fake-/,
      );
    });
  });

  describe('errors from Bedrock surface as FAILED, naming the error', () => {
    const create = () => customResourceEvent({ requestType: 'Create', responseUrl: receiver.url });

    it('ValidationException (400) about the request fails at once', async () => {
      bedrock.script('PUT', bedrockError(400, 'ValidationException', "Value at 'loggingConfig.s3Config.bucketName' failed to satisfy constraint"));

      await handlerWith()(create(), lambdaContext());

      expect(bedrock.requestsFor('PUT')).toHaveLength(1);
      expect(receiver.lastResponse()).toMatchObject({ Status: 'FAILED', PhysicalResourceId: PHYSICAL_ID });
      expect(receiver.lastResponse().Reason).toMatch(
        /^PutModelInvocationLoggingConfiguration failed: ValidationException: Value at 'loggingConfig.s3Config.bucketName' failed to satisfy constraint \(HTTP 400/,
      );
    });

    it('ValidationException about permissions is retried while IAM propagates, then reported', async () => {
      const denied = bedrockError(400, 'ValidationException', 'Failed to validate permissions for log group: /aws/bedrock/model-invocations/Stack, with role: arn:aws:iam::111122223333:role/Stack-LoggingRole');
      bedrock.script('PUT', denied, denied, denied);

      await handlerWith()(create(), lambdaContext());

      expect(bedrock.requestsFor('PUT')).toHaveLength(3);
      expect(receiver.lastResponse().Status).toBe('FAILED');
      expect(receiver.lastResponse().Reason).toMatch(/^PutModelInvocationLoggingConfiguration failed after 3 attempts: ValidationException: Failed to validate permissions for log group/);
    });

    it('succeeds once the permissions have propagated', async () => {
      bedrock.script('PUT', bedrockError(400, 'ValidationException', 'Failed to validate permissions for s3 bucket: invocation-logs-bucket'));

      await handlerWith()(create(), lambdaContext());

      expect(bedrock.requestsFor('PUT')).toHaveLength(2);
      expect(receiver.lastResponse().Status).toBe('SUCCESS');
      expect(bedrock.configuration).toStrictEqual(EXPECTED_LOGGING_CONFIG);
    });

    it('AccessDeniedException (403) is retried as propagation, then reported', async () => {
      const denied = bedrockError(403, 'AccessDeniedException', 'User is not authorized to perform: iam:PassRole on resource: arn:aws:iam::111122223333:role/Stack-LoggingRole');
      bedrock.script('PUT', denied, denied, denied);

      await handlerWith()(create(), lambdaContext());

      expect(bedrock.requestsFor('PUT')).toHaveLength(3);
      expect(receiver.lastResponse().Reason).toMatch(/^PutModelInvocationLoggingConfiguration failed after 3 attempts: AccessDeniedException: User is not authorized to perform: iam:PassRole .*\(HTTP 403/);
    });

    it('ThrottlingException (429) is retried by the SDK (maxAttempts), then reported', async () => {
      client.destroy();
      client = bedrock.client({ maxAttempts: 3 });
      const throttled = bedrockError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.');
      bedrock.script('PUT', throttled, throttled, throttled);

      await handlerWith()(create(), lambdaContext());

      expect(bedrock.requestsFor('PUT')).toHaveLength(3);
      expect(receiver.lastResponse().Reason).toMatch(/^PutModelInvocationLoggingConfiguration failed: ThrottlingException: Too many requests, please wait before trying again\. \(HTTP 429/);
    });

    it('InternalServerException (500) is reported with its name and status', async () => {
      bedrock.script('PUT', bedrockError(500, 'InternalServerException', 'Internal server error'));

      await handlerWith()(create(), lambdaContext());

      expect(receiver.lastResponse().Status).toBe('FAILED');
      expect(receiver.lastResponse().Reason).toMatch(/^PutModelInvocationLoggingConfiguration failed: InternalServerException: Internal server error \(HTTP 500/);
    });

    it('a 500 without an error type still fails, with the status in the reason', async () => {
      bedrock.script('PUT', { status: 500, body: {} });

      await handlerWith()(create(), lambdaContext());

      expect(receiver.lastResponse().Status).toBe('FAILED');
      expect(receiver.lastResponse().Reason).toMatch(/^PutModelInvocationLoggingConfiguration failed: .*\(HTTP 500/);
    });

    it('a failed read of the current configuration fails the Create before anything is put', async () => {
      bedrock.script('GET', bedrockError(403, 'AccessDeniedException', 'not authorized to perform: bedrock:GetModelInvocationLoggingConfiguration'));

      await handlerWith()(create(), lambdaContext());

      expect(bedrock.requestsFor('PUT')).toHaveLength(0);
      expect(receiver.lastResponse().Reason).toMatch(/^GetModelInvocationLoggingConfiguration failed: AccessDeniedException/);
    });

    it('invalid properties fail the Create without calling Bedrock, naming each property', async () => {
      const properties = loggingProperties({ S3BucketName: 'Not_A_Bucket', TextDataDeliveryEnabled: 'yes', RoleArn: undefined });

      await handlerWith()(customResourceEvent({ requestType: 'Create', responseUrl: receiver.url, properties }), lambdaContext());

      expect(bedrock.requests).toHaveLength(0);
      const reason = String(receiver.lastResponse().Reason);
      expect(reason).toMatch(/^Invalid custom resource properties: /);
      expect(reason).toContain('TextDataDeliveryEnabled must be true or false, received "yes"');
      expect(reason).toContain('S3BucketName must be an S3 bucket name');
      expect(reason).toContain('RoleArn must be a string, received nothing');
      expect(receiver.lastResponse().PhysicalResourceId).toBe(PHYSICAL_ID);
    });

    it('answers FAILED before its deadline when Bedrock hangs', async () => {
      bedrock.script('GET', { status: 200, body: {}, delayMs: 3_000 });

      const started = Date.now();
      await handlerWith({ responseReserveMs: 1_000 })(create(), lambdaContext(1_600));

      expect(Date.now() - started).toBeLessThan(1_500);
      expect(receiver.lastResponse().Status).toBe('FAILED');
      expect(receiver.lastResponse().Reason).toMatch(/^Timed out: .*deadline was reached/);
    });
  });

  describe('the CloudFormation response', () => {
    it('is retried when the ResponseURL fails, then delivered', async () => {
      receiver.statuses.push(500);

      await handlerWith()(customResourceEvent({ requestType: 'Create', responseUrl: receiver.url }), lambdaContext());

      expect(receiver.received).toHaveLength(2);
      expect(receiver.lastResponse().Status).toBe('SUCCESS');
    });

    it('makes the invocation fail when it cannot be delivered at all', async () => {
      receiver.statuses.push(403, 403, 403);

      await expect(handlerWith()(customResourceEvent({ requestType: 'Create', responseUrl: receiver.url }), lambdaContext())).rejects.toThrow(/HTTP 403/);
      expect(receiver.received).toHaveLength(3);
    });

    it('truncates a long reason to stay inside the 4 KB response limit', async () => {
      bedrock.script('PUT', bedrockError(400, 'ValidationException', 'x'.repeat(6_000)));

      await handlerWith()(customResourceEvent({ requestType: 'Create', responseUrl: receiver.url }), lambdaContext());

      const reason = String(receiver.lastResponse().Reason);
      expect(reason.length).toBe(2_000);
      expect(reason.endsWith('...')).toBe(true);
      expect(Buffer.byteLength(receiver.received[0].body)).toBeLessThan(4_096);
    });

    it('never logs the pre-signed ResponseURL or the credentials', async () => {
      await handlerWith()(customResourceEvent({ requestType: 'Create', responseUrl: receiver.url }), lambdaContext());

      expect(log.text()).not.toContain('secret-signature-value');
      expect(log.text()).not.toContain('X-Amz-Signature');
      expect(log.text()).not.toContain('fake-secret-access-key');
    });

    it('rejects an event that is not a custom resource request, since nobody could be answered', async () => {
      await expect(handlerWith()({ RequestType: 'Create' }, lambdaContext())).rejects.toThrow(/no ResponseURL/);
      await expect(
        handlerWith()({ ...customResourceEvent({ requestType: 'Create', responseUrl: receiver.url }), RequestType: 'Restart' }, lambdaContext()),
      ).rejects.toThrow(/Unknown RequestType "Restart"/);
      expect(receiver.received).toHaveLength(0);
    });
  });
});

describe('the Lambda entry point', () => {
  const saved = { ...process.env };
  let bedrock: BedrockControlPlaneFake;
  let receiver: CloudFormationResponseReceiver;

  beforeEach(async () => {
    bedrock = await new BedrockControlPlaneFake().start();
    receiver = await new CloudFormationResponseReceiver().start();
  });

  afterEach(async () => {
    process.env = { ...saved };
    await bedrock.stop();
    await receiver.stop();
  });

  it('builds its client from the Lambda environment at cold start and answers CloudFormation', async () => {
    // Prepare: the environment Lambda provides, with the SDK's service endpoint override.
    process.env.AWS_REGION = 'eu-west-1';
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFAKEFAKEFAKE';
    process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret-access-key';
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    process.env.AWS_ENDPOINT_URL_BEDROCK = bedrock.endpoint;
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    let entry: typeof import('../../../lambda/invocation-logging/index') | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      entry = require('../../../lambda/invocation-logging/index') as typeof import('../../../lambda/invocation-logging/index');
    });

    // Act
    const response = await entry!.handler(customResourceEvent({ requestType: 'Create', responseUrl: receiver.url }), lambdaContext());

    // Assess
    expect(response.Status).toBe('SUCCESS');
    expect(JSON.parse(bedrock.requestsFor('PUT')[0].body)).toStrictEqual({ loggingConfig: EXPECTED_LOGGING_CONFIG });
    expect(bedrock.requestsFor('PUT')[0].headers.authorization).toContain('/eu-west-1/bedrock/aws4_request');
    expect(receiver.lastResponse()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID });
  });
});
