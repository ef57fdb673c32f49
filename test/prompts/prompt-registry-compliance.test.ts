import { Stack } from 'aws-cdk-lib';
import { PromptRole } from '../../lambda/shared/config';
import { PromptRegistry } from '../../lib/prompts/prompt-registry';
import { expectAcknowledgmentsJustified, expectNoUnacknowledgedFindings } from '../helpers/compliance';

// One synthesis with every pack (five cdk-nag packs, Control Tower, AiGateway) on a stack holding
// only the registry, its key and its Prompt Management prompts.
describe('PromptRegistry compliance', () => {
  test('passes every pack with nothing acknowledged', () => {
    const report = expectNoUnacknowledgedFindings((app) => {
      const stack = new Stack(app, 'Prompts', { env: { account: '111122223333', region: 'eu-west-1' } });
      new PromptRegistry(stack, 'Prompts', {
        prompts: [{
          id: 'support-reply',
          versions: [
            { version: 1, system: 'You support {{product}}.', variables: [{ name: 'product' }], routes: ['support'] },
            { version: 2, system: 'You support {{product}}.', messages: [{ role: PromptRole.USER, content: 'Hi' }], variables: [{ name: 'product' }], routes: ['support'] },
          ],
          labels: { prod: { version: 1 }, canary: { weights: { 1: 90, 2: 10 } } },
        }],
      });
      expectAcknowledgmentsJustified(stack);
    });
    expect(report.acknowledgedFindings).toEqual([]);
  });
});
