/**
 * Fixture apps of load-balancer-controller.test.ts's compliance tests, synthesized once per run by
 * the shared synthesis (test/helpers/synthesis). Not a test file: the synthesis server loads it with its TypeScript require hook.
 */
import { App } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { LoadBalancerControllerPolicy } from '../../../lib/selfhosted/endpoint';
import { endpointFixture } from './fixture';

/** What `endpointApp` varies (JSON: it is part of the shared synthesis's cache key). */
export interface EndpointAppVariant {
  /** A TLS listener with an imported certificate. */
  readonly tls?: boolean;
  /** The controller with `LoadBalancerControllerPolicy.FULL`. */
  readonly full?: boolean;
}

/** `endpointFixture` (stack `Endpoint`: the controller `Lbc`, the endpoint `Llama`) in the given variant. */
export function endpointApp(app: App, variant: EndpointAppVariant = {}): void {
  endpointFixture({
    app,
    controller: variant.full ? { policy: LoadBalancerControllerPolicy.FULL } : {},
    extras: variant.tls ? (stack) => ({
      certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:111122223333:certificate/0b1c2d3e-1111-2222-3333-444455556666'),
      domainName: 'llama.models.internal.example.com',
    }) : undefined,
  });
}
