/**
 * OTLP/JSON encoding of finished spans (`ExportTraceServiceRequest`, opentelemetry-proto
 * `collector/trace/v1`): ids as hex strings, times as decimal strings of Unix nanoseconds, 64-bit
 * integers as strings, enums as numbers, as the OTLP/HTTP JSON mapping prescribes.
 */
import { AttributeValue, Attributes, FinishedSpan } from './spans';

/** The instrumentation scope of the gateway's spans. */
export const SCOPE = { name: 'cdk-ai-gateway', version: '1' } as const;

type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } };

function anyValue(value: AttributeValue): AnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { arrayValue: { values: value.map((v) => ({ stringValue: v })) } };
}

function keyValues(attributes: Readonly<Attributes>): { key: string; value: AnyValue }[] {
  return Object.keys(attributes).map((key) => ({ key, value: anyValue(attributes[key]) }));
}

/** Epoch ms (fractions allowed) as a decimal string of nanoseconds. */
export function unixNanos(ms: number): string {
  const whole = Math.floor(ms);
  const nanos = Math.round((ms - whole) * 1e6);
  return (BigInt(whole) * 1_000_000n + BigInt(nanos)).toString();
}

/**
 * One `ExportTraceServiceRequest` for `spans` of one resource.
 *
 * @example
 * const body = JSON.stringify(otlpTraceRequest(spans, { 'service.name': 'cdk-ai-gateway-router' }));
 */
export function otlpTraceRequest(spans: readonly FinishedSpan[], resource: Readonly<Attributes>): unknown {
  return {
    resourceSpans: [{
      resource: { attributes: keyValues(resource) },
      scopeSpans: [{
        scope: { name: SCOPE.name, version: SCOPE.version },
        spans: spans.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId !== undefined ? { parentSpanId: s.parentSpanId } : {}),
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: unixNanos(s.startMs),
          endTimeUnixNano: unixNanos(s.endMs),
          attributes: keyValues(s.attributes),
          status: { code: s.status, ...(s.statusMessage !== undefined ? { message: s.statusMessage } : {}) },
        })),
      }],
    }],
  };
}
