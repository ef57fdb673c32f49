import fc from 'fast-check';
import {
  parseAmznTraceId, parseTraceparent, toAmznTraceId, toTraceparent, traceContextOf,
} from '../../../lambda/router/tracing/context';

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const traceId = hex(32).filter((t) => !/^0+$/.test(t));
const spanId = hex(16).filter((s) => !/^0+$/.test(s));

describe('trace context headers', () => {
  test('X-Amzn-Trace-Id and traceparent map to the same trace and parent, both ways', () => {
    fc.assert(fc.property(traceId, spanId, fc.boolean(), (t, s, sampled) => {
      const expected = { traceId: t, parentSpanId: s, sampled };
      expect(parseAmznTraceId(toAmznTraceId(t, s, sampled))).toEqual(expected);
      expect(parseTraceparent(toTraceparent(t, s, sampled))).toEqual(expected);
    }));
  });

  test('the X-Ray example maps to its W3C ids', () => {
    expect(parseAmznTraceId('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1'))
      .toEqual({ traceId: '5759e988bd862e3fe1be46a994272793', parentSpanId: '53995c3f42cd8ad8', sampled: true });
    expect(parseAmznTraceId('Root=1-5759e988-bd862e3fe1be46a994272793')).toEqual({ traceId: '5759e988bd862e3fe1be46a994272793', sampled: true });
    expect(parseAmznTraceId('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0')?.sampled).toBe(false);
  });

  test('any other header text is no context, never an exception', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => {
      expect(() => parseAmznTraceId(text)).not.toThrow();
      expect(() => parseTraceparent(text)).not.toThrow();
      const context = traceContextOf({ traceparent: text, 'x-amzn-trace-id': text }, text, 0);
      expect(context.traceId).toMatch(/^[0-9a-f]{32}$/);
    }));
  });

  test.each([
    '00-00000000000000000000000000000000-53995c3f42cd8ad8-01',
    '00-5759e988bd862e3fe1be46a994272793-0000000000000000-01',
    'ff-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01',
    '00-5759e988bd862e3fe1be46a99427279-53995c3f42cd8ad8-01',
  ])('invalid traceparent %s is ignored', (header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });
});
