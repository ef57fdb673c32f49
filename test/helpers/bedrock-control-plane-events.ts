/**
 * Factories for the invocation logging handler's tests: the custom resource properties as
 * CloudFormation hands them over (every scalar a string), and custom resource events.
 */

/** Valid properties, as CloudFormation delivers them (booleans as strings). */
export function loggingProperties(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:handler',
    TextDataDeliveryEnabled: 'true',
    ImageDataDeliveryEnabled: 'false',
    EmbeddingDataDeliveryEnabled: 'false',
    VideoDataDeliveryEnabled: 'false',
    AudioDataDeliveryEnabled: 'false',
    S3BucketName: 'invocation-logs-bucket',
    S3KeyPrefix: 'invocation-logs',
    LogGroupName: '/aws/bedrock/model-invocations/Stack',
    RoleArn: 'arn:aws:iam::111122223333:role/Stack-LoggingRole',
    LargeDataBucketName: 'invocation-logs-bucket',
    LargeDataKeyPrefix: 'invocation-logs-large-data',
    DisableLoggingOnDelete: 'false',
    ConfigHash: 'c0ffee',
    ...overrides,
  };
}

/** The `loggingConfig` that `loggingProperties()` must produce, byte for byte. */
export const EXPECTED_LOGGING_CONFIG = {
  textDataDeliveryEnabled: true,
  imageDataDeliveryEnabled: false,
  embeddingDataDeliveryEnabled: false,
  videoDataDeliveryEnabled: false,
  audioDataDeliveryEnabled: false,
  s3Config: { bucketName: 'invocation-logs-bucket', keyPrefix: 'invocation-logs' },
  cloudWatchConfig: {
    logGroupName: '/aws/bedrock/model-invocations/Stack',
    roleArn: 'arn:aws:iam::111122223333:role/Stack-LoggingRole',
    largeDataDeliveryS3Config: { bucketName: 'invocation-logs-bucket', keyPrefix: 'invocation-logs-large-data' },
  },
};

export interface EventOptions {
  readonly requestType: 'Create' | 'Update' | 'Delete';
  readonly responseUrl: string;
  readonly properties?: Record<string, unknown>;
  readonly oldProperties?: Record<string, unknown>;
  readonly physicalResourceId?: string;
}

/** A CloudFormation custom resource request. */
export function customResourceEvent(options: EventOptions): Record<string, unknown> {
  return {
    RequestType: options.requestType,
    ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:handler',
    ResponseURL: options.responseUrl,
    StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/Stack/guid',
    RequestId: 'request-0001',
    ResourceType: 'Custom::BedrockModelInvocationLogging',
    LogicalResourceId: 'InvocationLogging',
    ResourceProperties: options.properties ?? loggingProperties(),
    ...(options.oldProperties ? { OldResourceProperties: options.oldProperties } : {}),
    ...(options.physicalResourceId ? { PhysicalResourceId: options.physicalResourceId } : {}),
  };
}

/** A Lambda context with a given remaining time. */
export function lambdaContext(remainingMs = 300_000): { getRemainingTimeInMillis(): number } {
  const end = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => end - Date.now() };
}

/** A logger that records what it was given, to assert on the audit trail and on what is never logged. */
export class RecordingLog {
  readonly lines: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  info(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, extra });
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, extra });
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.lines.push({ level: 'error', message, extra });
  }
  text(): string {
    return JSON.stringify(this.lines);
  }
}
