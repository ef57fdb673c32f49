import { IConstruct } from 'constructs';

/**
 * The error cdk-ai-gateway throws for a bad prop at synth time. The message names the prop, the
 * value received and the values allowed; the construct path says where it happened.
 */
export class AiGatewayValidationError extends Error {
  public readonly constructPath?: string;

  constructor(message: string, scope?: IConstruct) {
    super(scope ? `${message} (in ${scope.node.path})` : message);
    this.name = 'AiGatewayValidationError';
    this.constructPath = scope?.node.path;
  }
}
