import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ModelPrice, TargetConfig } from '../../lambda/shared/config';

/**
 * A self-hosted model as the gateway sees it: an OpenAI-compatible route target reachable only
 * inside the VPC, its price, and the network endpoint the router must be admitted to.
 * `AiGateway` takes these through its `selfHostedTargets` prop.
 */
export interface ISelfHostedTarget extends ec2.IConnectable {
  /** The router target (kind `openai-compatible`, base URL, served model name). */
  readonly target: TargetConfig;
  /** The price of the target's tokens, keyed in the gateway by `target.model`. */
  readonly price: ModelPrice;
  /** The port the router connects to; `connections` admits peers on it. */
  readonly port: number;
  /**
   * The VPC the target's endpoint is in. `AiGateway` refuses a router in another VPC.
   * @default - unknown: the gateway cannot check that the router shares the target's VPC
   */
  readonly vpc?: ec2.IVpc;
}
