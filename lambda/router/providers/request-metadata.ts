/**
 * Bedrock `requestMetadata` rules, in one place for the pipeline (which builds the attribution)
 * and the Bedrock adapter (which passes it on): keys 1–256 and values 0–256 characters of
 * `[a-zA-Z0-9\s._:/=+$@-]`.
 */

export const REQUEST_METADATA_LIMIT = 256;
const DISALLOWED_METADATA_CHARS = /[^a-zA-Z0-9\s._:/=+$@-]/g;

/**
 * Bedrock `requestMetadata`-safe text: disallowed characters become `_`, at most 256 of them.
 *
 * @example sanitiseMetadataValue('acme#1') // 'acme_1'
 */
export function sanitiseMetadataValue(value: string): string {
  return value.replace(DISALLOWED_METADATA_CHARS, '_').slice(0, REQUEST_METADATA_LIMIT);
}

/**
 * Makes attribution safe for Bedrock `requestMetadata`: keys and values sanitised, entries whose
 * key ends up empty dropped. (The router already sanitises; this keeps a stray value from failing
 * a model call with a ValidationException.)
 *
 * @example sanitiseRequestMetadata({ tenant: 'acme#1', 'prompt version': 'v1' }) // { tenant: 'acme_1', 'prompt version': 'v1' }
 */
export function sanitiseRequestMetadata(metadata: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rawKey, rawValue] of Object.entries(metadata)) {
    const key = sanitiseMetadataValue(rawKey);
    if (key.trim() === '') continue;
    out[key] = sanitiseMetadataValue(String(rawValue));
  }
  return out;
}
