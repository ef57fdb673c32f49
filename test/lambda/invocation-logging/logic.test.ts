import { errorText, InvalidPropertiesError, parseProperties, physicalResourceId, PROPERTY } from '../../../lambda/invocation-logging/logic';
import { EXPECTED_LOGGING_CONFIG, loggingProperties } from '../../helpers/bedrock-control-plane-events';

describe('parseProperties', () => {
  it('builds the loggingConfig, the delete choice and the hash from CloudFormation strings', () => {
    const settings = parseProperties(loggingProperties({ DisableLoggingOnDelete: 'true' }));

    expect(settings).toStrictEqual({ loggingConfig: EXPECTED_LOGGING_CONFIG, disableLoggingOnDelete: true, configHash: 'c0ffee' });
  });

  it('omits an empty key prefix instead of sending ""', () => {
    const settings = parseProperties(loggingProperties({ S3KeyPrefix: '', LargeDataKeyPrefix: '' }));

    expect(settings.loggingConfig.s3Config).toStrictEqual({ bucketName: 'invocation-logs-bucket' });
    expect(settings.loggingConfig.cloudWatchConfig?.largeDataDeliveryS3Config).toStrictEqual({ bucketName: 'invocation-logs-bucket' });
  });

  it.each([
    [PROPERTY.s3KeyPrefix, 'must not start or end with "/"', '/leading'],
    [PROPERTY.largeDataKeyPrefix, 'must not start or end with "/"', 'trailing/'],
    [PROPERTY.s3KeyPrefix, 'must be at most 1024 characters', 'p'.repeat(1025)],
    [PROPERTY.logGroupName, 'must be a CloudWatch Logs log group name', 'bad name with spaces'],
    [PROPERTY.roleArn, 'must be an IAM role ARN', 'arn:aws:iam::111122223333:user/alice'],
    [PROPERTY.largeDataBucketName, 'must be an S3 bucket name', ''],
    [PROPERTY.configHash, 'must not be empty', ''],
    [PROPERTY.disableLoggingOnDelete, 'must be true or false', 'maybe'],
    [PROPERTY.videoDataDeliveryEnabled, 'must be true or false, received nothing', undefined],
  ])('rejects %s that %s', (name, problem, value) => {
    expect(() => parseProperties(loggingProperties({ [name]: value }))).toThrow(InvalidPropertiesError);
    expect(() => parseProperties(loggingProperties({ [name]: value }))).toThrow(`${name} ${problem}`);
  });

  it('accepts role ARNs of other partitions', () => {
    const settings = parseProperties(loggingProperties({ RoleArn: 'arn:aws-us-gov:iam::111122223333:role/path/LoggingRole' }));

    expect(settings.loggingConfig.cloudWatchConfig?.roleArn).toBe('arn:aws-us-gov:iam::111122223333:role/path/LoggingRole');
  });

  it.each([null, 'text', ['a'], 42])('rejects properties that are not an object: %j', (value) => {
    expect(() => parseProperties(value)).toThrow('ResourceProperties must be an object.');
  });
});

describe('errorText', () => {
  it('names an SDK error with its status and request id', () => {
    const error = Object.assign(new Error('Too many requests'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429, requestId: 'req-1' } });

    expect(errorText(error)).toBe('ThrottlingException: Too many requests (HTTP 429, request id req-1)');
  });

  it('handles errors without a message and values that are not errors', () => {
    expect(errorText(Object.assign(new Error(''), { name: 'UnknownError' }))).toBe('UnknownError: (no message)');
    expect(errorText('plain')).toBe('plain');
  });
});

describe('physicalResourceId', () => {
  it('is one id per Region, since the setting is one per account and Region', () => {
    expect(physicalResourceId('us-east-1')).toBe('bedrock-invocation-logging-us-east-1');
  });
});
