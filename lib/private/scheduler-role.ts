import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ManagedPolicyRole } from './managed-policy-role';

/**
 * A role EventBridge Scheduler assumes for this account's schedules only (`aws:SourceAccount`),
 * whose grants go into a customer-managed policy (no inline policy).
 */
export class SchedulerRole extends ManagedPolicyRole {
  constructor(scope: Construct, id: string, props: { readonly description: string }) {
    super(scope, id, {
      description: props.description,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } } }),
    });
  }
}

/** Options of {@link lambdaScheduleTarget}. */
export interface LambdaScheduleTargetOptions {
  /** What the function is, for the role's description ("the cdk-ai-gateway usage sweeper"). */
  readonly purpose: string;
  /** Where undeliverable invocations go. */
  readonly deadLetterQueue: sqs.IQueue;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  /** @default - the scheduler's default input */
  readonly input?: scheduler.ScheduleTargetInput;
}

/**
 * The target of a schedule that invokes `fn`: a `SchedulerRole` (`<scope>/SchedulerRole`) allowed
 * exactly `lambda:InvokeFunction` on `fn` and `sqs:SendMessage` on the dead-letter queue, passed to
 * the target as an immutable reference, so the target adds no inline grants of its own (they would
 * name the function's versions too).
 */
export function lambdaScheduleTarget(scope: Construct, fn: lambda.IFunction, options: LambdaScheduleTargetOptions): schedulerTargets.LambdaInvoke {
  const role = new SchedulerRole(scope, 'SchedulerRole', { description: `Lets EventBridge Scheduler invoke ${options.purpose} ${scope.node.path}` });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'InvokeFunction', actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DeadLetters', actions: ['sqs:SendMessage'], resources: [options.deadLetterQueue.queueArn] }));
  return new schedulerTargets.LambdaInvoke(fn, {
    role: iam.Role.fromRoleArn(scope, 'SchedulerRoleRef', role.roleArn, { mutable: false }),
    deadLetterQueue: options.deadLetterQueue,
    retryAttempts: options.retryAttempts,
    maxEventAge: options.maxEventAge,
    ...(options.input ? { input: options.input } : {}),
  });
}
