import { ResponseValidationError, checkStructuredOutput, structuredOutputViolations } from '../../../lambda/router/pipeline/structured-output';
import type { ResponseFormat } from '../../../lambda/router/providers/types';

const schema: ResponseFormat = {
  type: 'json_schema', name: 'verdict',
  schema: { type: 'object', properties: { label: { enum: ['spam', 'ham'] } }, required: ['label'], additionalProperties: false },
};

describe('structuredOutputViolations', () => {
  test('no format or text: nothing checked', () => {
    expect(structuredOutputViolations('not json', undefined)).toEqual([]);
    expect(structuredOutputViolations('not json', { type: 'text' })).toEqual([]);
  });

  test('json_object: one JSON object', () => {
    expect(structuredOutputViolations('{"a":1}', { type: 'json_object' })).toEqual([]);
    expect(structuredOutputViolations('[1]', { type: 'json_object' })).toEqual([{ path: '$', message: 'the answer is not a JSON object' }]);
    expect(structuredOutputViolations('{"a":', { type: 'json_object' })).toEqual([{ path: '$', message: 'the answer is not valid JSON' }]);
  });

  test('json_schema: the validator\'s violations with their paths', () => {
    expect(structuredOutputViolations('{"label":"spam"}', schema)).toEqual([]);
    expect(structuredOutputViolations('{"label":"top-secret"}', schema).map((v) => v.path)).toEqual(['$.label']);
  });
});

describe('checkStructuredOutput', () => {
  test('a mismatch → 422 response_schema_mismatch, naming the path and never the content', () => {
    const error = checkStructuredOutput({ text: '{"label":"top-secret"}', finishReason: 'stop' }, schema);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect(error?.status).toBe(422);
    expect(error?.envelope().error).toMatchObject({ code: 'response_schema_mismatch', param: 'response_format' });
    expect(error?.message).toContain("'verdict'");
    expect(error?.message).toContain('$.label');
    expect(error?.message).not.toContain('top-secret');
  });

  test('a truncated answer says so', () => {
    expect(checkStructuredOutput({ text: '{"label":', finishReason: 'length' }, schema)?.message).toContain('max_tokens');
  });

  test('tool calls and guardrail-replaced answers are not checked', () => {
    expect(checkStructuredOutput({ text: '', finishReason: 'tool_calls' }, schema)).toBeUndefined();
    expect(checkStructuredOutput({ text: 'Blocked.', finishReason: 'content_filter' }, schema)).toBeUndefined();
  });
});
