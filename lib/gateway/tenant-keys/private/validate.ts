import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { AiGatewayValidationError } from '../../../private/errors';

/** Throws unless `value` is an integer in [min, max]; unresolved tokens pass. */
export function checkInteger(scope: IConstruct, prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AiGatewayValidationError(`${prop} must be an integer from ${min} to ${max}, received ${value}.`, scope);
  }
}

/** Throws unless `value` matches `pattern`; unresolved tokens pass. */
export function checkPattern(scope: IConstruct, prop: string, value: string | undefined, pattern: string, allowed: string): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!new RegExp(pattern).test(value)) {
    throw new AiGatewayValidationError(`${prop} must be ${allowed}, received ${JSON.stringify(value)}.`, scope);
  }
}
