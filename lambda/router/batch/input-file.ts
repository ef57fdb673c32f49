/**
 * A batch input file: JSONL, one request per line, in OpenAI's format
 * `{"custom_id": "...", "method": "POST", "url": "/v1/chat/completions", "body": {...}}`.
 * Checked when the file is uploaded, so a batch never starts on a file it cannot read; the body of
 * each line is checked later, like a synchronous request, when a batch is created.
 */
import { InvalidRequestError } from '../errors';

/** One request of an input file. */
export interface BatchInputLine {
  /** 1-based line number in the file (blank lines count). */
  readonly line: number;
  readonly customId: string;
  readonly url: string;
  /** The body, re-serialised as JSON. */
  readonly body: string;
}

/** OpenAI's limits for a batch input file. */
export const BATCH_INPUT_LIMITS = {
  /** Requests per batch. */
  maxLines: 50_000,
  /** Characters of a `custom_id`. */
  maxCustomIdChars: 512,
} as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lineError(line: number, message: string): InvalidRequestError {
  return new InvalidRequestError(`Line ${line} of the batch file: ${message}`, 'invalid_batch_file', 'file');
}

/**
 * Parses an input file. Throws `InvalidRequestError` (param `file`) naming the first line that is
 * not a JSON object with a unique string `custom_id`, `method` `POST`, a string `url` and an object `body`.
 *
 * @example
 * parseBatchInput('{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"chat","messages":[]}}\n')
 */
export function parseBatchInput(text: string): BatchInputLine[] {
  const lines: BatchInputLine[] = [];
  const seen = new Set<string>();
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const source = raw[i].trim();
    if (source === '') continue;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch {
      throw lineError(line, 'not valid JSON.');
    }
    if (!isObject(value)) throw lineError(line, 'expected a JSON object.');
    const { custom_id: customId, method, url, body } = value;
    if (typeof customId !== 'string' || customId.length === 0 || customId.length > BATCH_INPUT_LIMITS.maxCustomIdChars) {
      throw lineError(line, `"custom_id" must be a string of 1 to ${BATCH_INPUT_LIMITS.maxCustomIdChars} characters.`);
    }
    if (seen.has(customId)) throw lineError(line, `"custom_id" ${JSON.stringify(customId.slice(0, 64))} is used by an earlier line; each must be unique.`);
    seen.add(customId);
    if (method !== 'POST') throw lineError(line, '"method" must be "POST".');
    if (typeof url !== 'string' || url.length === 0) throw lineError(line, '"url" must be a path such as "/v1/chat/completions".');
    if (!isObject(body)) throw lineError(line, '"body" must be a JSON object (the request body).');
    if (lines.length === BATCH_INPUT_LIMITS.maxLines) throw lineError(line, `a batch holds at most ${BATCH_INPUT_LIMITS.maxLines} requests.`);
    lines.push({ line, customId, url, body: JSON.stringify(body) });
  }
  if (lines.length === 0) throw new InvalidRequestError('The batch file holds no requests.', 'invalid_batch_file', 'file');
  return lines;
}
