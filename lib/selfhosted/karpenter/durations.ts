import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { AiGatewayValidationError } from '../../private/errors';

/**
 * Renders a Duration as a Karpenter duration string (`720h`, `10m`, `1h30m`, `45s`), the format
 * of `consolidateAfter`, `expireAfter` and budget `duration` (Go's time.ParseDuration subset that
 * the Karpenter v1 CRDs accept). Internal helper, not exported from the package.
 *
 * @param minutesOnly budget durations accept hours and minutes only (CRD pattern
 *   `^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$`), so seconds are refused
 */
export function karpenterDuration(prop: string, value: Duration, scope: IConstruct, minutesOnly = false): string {
  if (Token.isUnresolved(value.toSeconds())) {
    throw new AiGatewayValidationError(`${prop} must be a concrete Duration, not a token: it is rendered into a Kubernetes manifest.`, scope);
  }
  const total = value.toSeconds();
  if (!Number.isInteger(total) || total < 0) {
    throw new AiGatewayValidationError(`${prop} must be a whole, non-negative number of seconds; received ${value.toHumanString()}.`, scope);
  }
  if (minutesOnly && total % 60 !== 0) {
    throw new AiGatewayValidationError(`${prop} must be a whole number of minutes (Karpenter budget durations accept hours and minutes); received ${value.toHumanString()}.`, scope);
  }
  if (total === 0) return minutesOnly ? '0m' : '0s';
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${seconds ? `${seconds}s` : ''}`;
}
