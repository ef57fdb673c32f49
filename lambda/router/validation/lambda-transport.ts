/**
 * Deployed mode: the validator function through Lambda `Invoke` (RequestResponse), one client per
 * Region, created on first use, with the SDK's own retries off (the time budget is the call's).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { FunctionValidatorConfig } from '../../shared/config-validation';
import { FunctionTransport, ValidatorUnavailable } from './function-validator';

export interface LambdaTransportOptions {
  /** An endpoint override (a VPC interface endpoint, or a loopback fake in tests). @default the Regional endpoint */
  readonly endpoint?: string;
}

export class LambdaFunctionTransport implements FunctionTransport {
  private readonly clients = new Map<string, LambdaClient>();

  constructor(private readonly options: LambdaTransportOptions = {}) {}

  async call(config: FunctionValidatorConfig, payload: string, signal: AbortSignal): Promise<string> {
    const region = config.functionArn.split(':')[3];
    let client = this.clients.get(region);
    if (!client) {
      client = new LambdaClient({ region, maxAttempts: 1, ...(this.options.endpoint !== undefined ? { endpoint: this.options.endpoint } : {}) });
      this.clients.set(region, client);
    }
    const out = await client.send(new InvokeCommand({
      FunctionName: config.functionArn,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(payload),
    }), { abortSignal: signal });
    if (out.FunctionError !== undefined) throw new ValidatorUnavailable(`validator function error (${out.FunctionError.slice(0, 40)})`);
    return new TextDecoder().decode(out.Payload ?? new Uint8Array());
  }
}
