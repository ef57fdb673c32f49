/**
 * The IAM policy an authorizer returns. API Gateway caches the policy per identity source (the
 * `Authorization` header) and reuses it for every route of the API, so the policy must cover the
 * whole stage, not only the method that happened to be called first — a policy scoped to
 * `POST/v1/chat/completions` would make a cached `GET /v1/models` fail with 403.
 */

export type Effect = 'Allow' | 'Deny';

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly [{ readonly Action: 'execute-api:Invoke'; readonly Effect: Effect; readonly Resource: string }];
}

/** A method ARN that does not look like `arn:<partition>:execute-api:<region>:<account>:<api>/<stage>/<verb>/<path>`. */
export class MethodArnError extends Error {
  constructor(methodArn: string) {
    super(`methodArn is not an execute-api method ARN: ${JSON.stringify(methodArn.slice(0, 200))}`);
    this.name = 'MethodArnError';
  }
}

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/**
 * The ARN of every method of the stage that `methodArn` belongs to.
 *
 * @example
 * stageWideArn('arn:aws:execute-api:eu-west-1:111122223333:a1b2c3/prod/POST/v1/chat/completions')
 * // 'arn:aws:execute-api:eu-west-1:111122223333:a1b2c3/prod/*\/*'
 */
export function stageWideArn(methodArn: string): string {
  const parts = methodArn.split(':');
  if (parts.length !== 6) throw new MethodArnError(methodArn);
  const [arn, partition, service, region, account, resource] = parts;
  if (arn !== 'arn' || service !== 'execute-api' || ![partition, region, account].every((p) => SEGMENT.test(p))) {
    throw new MethodArnError(methodArn);
  }
  const [apiId, stage, verb] = resource.split('/');
  if (apiId === undefined || stage === undefined || verb === undefined || !SEGMENT.test(apiId) || !SEGMENT.test(stage)) {
    throw new MethodArnError(methodArn);
  }
  return `arn:${partition}:execute-api:${region}:${account}:${apiId}/${stage}/*/*`;
}

/** A one-statement policy that allows or denies `execute-api:Invoke` on `resource`. */
export function policyDocument(effect: Effect, resource: string): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }] };
}
