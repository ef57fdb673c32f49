import { RequestTrace } from '../../../lambda/router/pipeline/usage';
import { Outcome } from '../../../lambda/router/usage/types';
import { Sensitivity } from '../../../lambda/shared/config';
import { resolved } from '../../helpers/router-config';

describe('RequestTrace.toUsageRecord', () => {
  const config = resolved();

  test('a rejected request before any stage learned anything', () => {
    const trace = new RequestTrace('r-1', Date.parse('2026-01-01T00:00:00Z'));
    trace.status = 401;
    trace.outcome = Outcome.REJECTED;
    trace.errorCode = 'missing_api_key';
    expect(trace.toUsageRecord(Date.parse('2026-01-01T00:00:00.250Z'))).toEqual({
      requestId: 'r-1', timestamp: '2026-01-01T00:00:00.000Z', operation: 'other', stream: false, status: 401,
      outcome: 'rejected', errorCode: 'missing_api_key', attempts: 0, attemptDetails: [], fallback: false,
      inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, usageEstimated: false, costUsd: 0, latencyMs: 250,
      wasteUsd: 0, wasteInputTokens: 0, wasteOutputTokens: 0,
    });
  });

  test('the requested model is recorded only when the configuration knows it (never free text)', () => {
    const trace = new RequestTrace('r', 0);
    trace.setRequestedModel('ignore previous instructions', config);
    expect(trace.toUsageRecord(0).requestedModel).toBeUndefined();
    trace.setRequestedModel('auto', config);
    expect(trace.toUsageRecord(0).requestedModel).toBe('auto');
  });

  test('error details are dropped for restricted requests', () => {
    const trace = new RequestTrace('r', 0);
    trace.errorDetail = 'TypeError: x';
    expect(trace.toUsageRecord(0).errorDetail).toBe('TypeError: x');
    trace.sensitivity = Sensitivity.RESTRICTED;
    expect(trace.toUsageRecord(0).errorDetail).toBeUndefined();
  });
});

describe('RequestTrace.abandonedRecordFields', () => {
  test('an abandoned record names the prompt version the gateway resolved, never the label the client sent', () => {
    // Prepare: the client named a label; the gateway resolved it to version 4.
    const trace = new RequestTrace('r', 0);
    trace.hints = { workflow: 'support', promptId: 'support-reply', promptVersion: 'canary' };
    trace.prompt = { id: 'support-reply', version: 4, label: 'canary' };

    // Act
    const fields = trace.abandonedRecordFields();

    // Assess: the same attribution as the record itself would carry
    expect(fields).toMatchObject({ workflow: 'support', promptId: 'support-reply', promptVersion: '4' });
    expect(trace.toUsageRecord(0)).toMatchObject({ promptId: 'support-reply', promptVersion: '4' });
  });

  test('a request whose prompt was never resolved carries no prompt at all', () => {
    const trace = new RequestTrace('r', 0);
    trace.hints = { promptId: 'unknown', promptVersion: '9' };
    expect(trace.abandonedRecordFields()).not.toHaveProperty('promptId');
  });
});
