import { InvalidRequestError } from '../../../lambda/router/errors';
import { readRoutingHints } from '../../../lambda/router/pipeline/hints';
import { thrownBy } from '../../helpers/router-config';

const error = (fn: () => unknown): InvalidRequestError => thrownBy(InvalidRequestError, fn);

describe('readRoutingHints', () => {
  test('reads every hint from headers', () => {
    expect(readRoutingHints({
      'x-gateway-workflow': 'kyc/review',
      'x-gateway-latency-class': 'Interactive',
      'x-gateway-sensitivity': 'restricted',
      'x-gateway-max-cost-usd': '0.05',
      'x-gateway-prompt': 'support-summary@3',
    }, {})).toEqual({
      workflow: 'kyc/review', latencyClass: 'interactive', sensitivity: 'restricted', maxCostUsd: 0.05, promptId: 'support-summary', promptVersion: '3',
      promptParam: 'x-gateway-prompt',
    });
  });

  test('reads every hint from metadata', () => {
    expect(readRoutingHints({}, {
      workflow: 'support', latency_class: 'batch', sensitivity: 'public', max_cost_usd: '1', prompt: 'p@v1.2',
    })).toEqual({ workflow: 'support', latencyClass: 'batch', sensitivity: 'public', maxCostUsd: 1, promptId: 'p', promptVersion: 'v1.2', promptParam: 'metadata.prompt' });
  });

  test('a prompt reference: an id alone, or with a version or label; variables as a JSON object', () => {
    expect(readRoutingHints({ 'x-gateway-prompt': 'support', 'x-gateway-prompt-variables': '{"a":"b"}' }, {})).toEqual({
      promptId: 'support', promptParam: 'x-gateway-prompt', promptVariables: { a: 'b' }, promptVariablesParam: 'x-gateway-prompt-variables',
    });
    expect(readRoutingHints({}, { prompt: 'support@canary' })).toMatchObject({ promptId: 'support', promptVersion: 'canary' });
  });

  test('no hints', () => {
    expect(readRoutingHints({}, { unrelated: 'x' })).toEqual({});
  });

  test('the same hint both ways must agree', () => {
    expect(readRoutingHints({ 'x-gateway-workflow': 'a' }, { workflow: 'a' })).toEqual({ workflow: 'a' });
    const e = error(() => readRoutingHints({ 'x-gateway-sensitivity': 'public' }, { sensitivity: 'restricted' }));
    expect({ code: e.code, param: e.param }).toEqual({ code: 'conflicting_hints', param: 'metadata.sensitivity' });
  });

  test.each<[string, Record<string, string>, Record<string, string>, string, RegExp]>([
    ['an unknown latency class', { 'x-gateway-latency-class': 'urgent' }, {}, 'x-gateway-latency-class', /"urgent" is not allowed; allowed: interactive, standard, batch/],
    ['an unknown sensitivity', {}, { sensitivity: 'secret' }, 'metadata.sensitivity', /"secret" is not allowed; allowed: public, internal, restricted/],
    ['a workflow with spaces', { 'x-gateway-workflow': 'my flow' }, {}, 'x-gateway-workflow', /must be 1 to 64 letters/],
    ['a negative max cost', { 'x-gateway-max-cost-usd': '-1' }, {}, 'x-gateway-max-cost-usd', /greater than 0/],
    ['a max cost in exponent form', { 'x-gateway-max-cost-usd': '1e3' }, {}, 'x-gateway-max-cost-usd', /decimal number/],
    ['a zero max cost', {}, { max_cost_usd: '0' }, 'metadata.max_cost_usd', /greater than 0/],
    ['a prompt with an empty version', { 'x-gateway-prompt': 'support@' }, {}, 'x-gateway-prompt', /'id@version'/],
    ['prompt variables that are not a JSON object', {}, { prompt_variables: '[1]' }, 'metadata.prompt_variables', /JSON object/],
  ])('400 for %s, naming the header or metadata key', (_name, headers, metadata, param, message) => {
    const e = error(() => readRoutingHints(headers, metadata));
    expect(e.param).toBe(param);
    expect(e.message).toMatch(message);
  });
});
