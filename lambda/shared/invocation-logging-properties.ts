/**
 * The property names of the model invocation logging custom resource: the contract between the
 * construct (`lib/bedrock/invocation-logging`), which writes them, and the handler
 * (`lambda/invocation-logging`), which reads them. Dependency-free, so both sides may import it.
 */
export const INVOCATION_LOGGING_PROPERTY = {
  textDataDeliveryEnabled: 'TextDataDeliveryEnabled',
  imageDataDeliveryEnabled: 'ImageDataDeliveryEnabled',
  embeddingDataDeliveryEnabled: 'EmbeddingDataDeliveryEnabled',
  videoDataDeliveryEnabled: 'VideoDataDeliveryEnabled',
  audioDataDeliveryEnabled: 'AudioDataDeliveryEnabled',
  s3BucketName: 'S3BucketName',
  s3KeyPrefix: 'S3KeyPrefix',
  logGroupName: 'LogGroupName',
  roleArn: 'RoleArn',
  largeDataBucketName: 'LargeDataBucketName',
  largeDataKeyPrefix: 'LargeDataKeyPrefix',
  disableLoggingOnDelete: 'DisableLoggingOnDelete',
  configHash: 'ConfigHash',
} as const;
