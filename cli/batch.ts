/**
 * `cdk-ai-gateway batch submit|status|list|cancel|download`: the Batch API from the command line,
 * against a deployed gateway or `cdk-ai-gateway serve`. The key comes from an environment
 * variable (never from the command line, where process listings show it).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CliIo, EXIT } from './io';

export const BATCH_USAGE = `Usage: cdk-ai-gateway batch <action> --url BASE_URL [--key-env VAR] ...

  submit FILE [--endpoint PATH] [--metadata k=v ...]  upload a JSONL file (purpose batch) and create a batch;
                                                      a file above --inline-limit goes straight to the gateway's
                                                      bucket through a presigned upload URL
  status BATCH_ID                                     the batch's state and counts
  list [--limit N] [--after BATCH_ID]                 your batches, newest first
  cancel BATCH_ID                                     cancel a validating or running batch
  download BATCH_ID [--out DIR]                       write its output and error files (BATCH_ID_output.jsonl, ..._errors.jsonl)

  --url BASE_URL   the gateway's base URL up to /v1, e.g. http://127.0.0.1:8787/v1
  --key-env VAR    the environment variable holding your API key (default CDK_AI_GATEWAY_API_KEY)
  --inline-limit BYTES  the largest file sent in the request body (default 5242880: under API Gateway's 10 MB
                   payload limit once encoded); larger files use /v1/files/uploads`;

/** The largest file `batch submit` sends in the request body unless told otherwise. */
export const DEFAULT_INLINE_LIMIT_BYTES = 5 * 1024 * 1024;

type Json = Record<string, unknown>;

class ApiFailure extends Error {}

/** `POST /files` with the file in the multipart body. */
async function uploadInline(base: string, key: string, content: Buffer, filename: string): Promise<Json> {
  const form = new FormData();
  form.set('purpose', 'batch');
  form.set('file', new Blob([content]), filename);
  return json(await call(base, key, 'POST', '/files', form));
}

/** A presigned upload: the file goes to the gateway's bucket, then the upload is completed (and checked). */
async function uploadDirect(base: string, key: string, content: Buffer, filename: string): Promise<Json> {
  const upload = await json(await call(base, key, 'POST', '/files/uploads', JSON.stringify({ purpose: 'batch' }), 'application/json'));
  const put = await fetch(String(upload.upload_url), { method: 'PUT', body: content, headers: { 'content-type': 'application/jsonl' } });
  if (!put.ok) throw new ApiFailure(`PUT of ${filename} to its upload URL: ${put.status} ${(await put.text()).slice(0, 300)}`);
  return json(await call(base, key, 'POST', `/files/uploads/${encodeURIComponent(String(upload.id))}/complete`, JSON.stringify({ filename }), 'application/json'));
}

async function call(base: string, key: string, method: string, path: string, body?: string | FormData, contentType?: string): Promise<Response> {
  const response = await fetch(`${base.replace(/\/+$/, '')}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(contentType ? { 'content-type': contentType } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  if (!response.ok) {
    const text = await response.text();
    let message = text.slice(0, 500);
    try {
      const error = (JSON.parse(text) as { error?: { message?: string; code?: string } }).error;
      if (error?.message) message = `${error.message}${error.code ? ` (${error.code})` : ''}`;
    } catch {
      // not JSON: the raw text
    }
    throw new ApiFailure(`${method} ${path}: ${response.status} ${message}`);
  }
  return response;
}

const json = async (r: Response): Promise<Json> => (await r.json()) as Json;

function describeBatch(b: Json): string {
  const counts = (b.request_counts ?? {}) as { total?: number; completed?: number; failed?: number };
  return `${String(b.id)}  ${String(b.status)}  total ${counts.total ?? 0}  completed ${counts.completed ?? 0}  failed ${counts.failed ?? 0}`;
}

/**
 * Runs `batch`; resolves to the exit code.
 *
 * @example
 * process.exitCode = await runBatchCommand(['submit', 'in.jsonl', '--url', 'http://127.0.0.1:8787/v1'], io);
 */
export async function runBatchCommand(argv: readonly string[], io: CliIo, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        'url': { type: 'string' },
        'key-env': { type: 'string', default: 'CDK_AI_GATEWAY_API_KEY' },
        'endpoint': { type: 'string', default: '/v1/chat/completions' },
        'metadata': { type: 'string', multiple: true },
        'limit': { type: 'string' },
        'after': { type: 'string' },
        'out': { type: 'string', default: '.' },
        'inline-limit': { type: 'string' },
        'help': { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n\n${BATCH_USAGE}`);
    return EXIT.USAGE;
  }
  const { values, positionals } = parsed;
  const [action, target] = positionals;
  if (values.help || action === undefined) {
    (values.help ? io.stdout : io.stderr)(BATCH_USAGE);
    return values.help ? EXIT.OK : EXIT.USAGE;
  }
  const needsTarget = ['submit', 'status', 'cancel', 'download'];
  if (![...needsTarget, 'list'].includes(action)) {
    io.stderr(`error: unknown action '${action.slice(0, 40)}'; allowed: submit, status, list, cancel, download\n\n${BATCH_USAGE}`);
    return EXIT.USAGE;
  }
  if (needsTarget.includes(action) && target === undefined) {
    io.stderr(`error: '${action}' needs ${action === 'submit' ? 'a FILE' : 'a BATCH_ID'}\n\n${BATCH_USAGE}`);
    return EXIT.USAGE;
  }
  if (!values.url) {
    io.stderr(`error: --url is required\n\n${BATCH_USAGE}`);
    return EXIT.USAGE;
  }
  const key = env[values['key-env']];
  if (!key) {
    io.stderr(`error: the environment variable ${values['key-env']} holds no API key`);
    return EXIT.USAGE;
  }
  const base = values.url;
  try {
    switch (action) {
      case 'submit': {
        const metadata: Record<string, string> = {};
        for (const pair of values.metadata ?? []) {
          const at = pair.indexOf('=');
          if (at < 1) {
            io.stderr(`error: --metadata '${pair.slice(0, 60)}' is not key=value`);
            return EXIT.USAGE;
          }
          metadata[pair.slice(0, at)] = pair.slice(at + 1);
        }
        const inlineLimit = values['inline-limit'] === undefined ? DEFAULT_INLINE_LIMIT_BYTES : Number(values['inline-limit']);
        if (!Number.isSafeInteger(inlineLimit) || inlineLimit < 0) {
          io.stderr(`error: --inline-limit must be a whole number of bytes; received '${String(values['inline-limit']).slice(0, 20)}'`);
          return EXIT.USAGE;
        }
        const content = await readFile(target!);
        const file = content.byteLength > inlineLimit ? await uploadDirect(base, key, content, basename(target!)) : await uploadInline(base, key, content, basename(target!));
        const batch = await json(await call(base, key, 'POST', '/batches', JSON.stringify({
          input_file_id: file.id, endpoint: values.endpoint, completion_window: '24h', ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
        }), 'application/json'));
        io.stdout(describeBatch(batch));
        return EXIT.OK;
      }
      case 'status':
        io.stdout(describeBatch(await json(await call(base, key, 'GET', `/batches/${encodeURIComponent(target!)}`))));
        return EXIT.OK;
      case 'cancel':
        io.stdout(describeBatch(await json(await call(base, key, 'POST', `/batches/${encodeURIComponent(target!)}/cancel`))));
        return EXIT.OK;
      case 'list': {
        const query = new URLSearchParams();
        if (values.limit) query.set('limit', values.limit);
        if (values.after) query.set('after', values.after);
        const page = await json(await call(base, key, 'GET', `/batches${query.size > 0 ? `?${query.toString()}` : ''}`));
        for (const b of (page.data ?? []) as Json[]) io.stdout(describeBatch(b));
        if (page.has_more === true) io.stdout(`more: --after ${String(page.last_id)}`);
        return EXIT.OK;
      }
      default: {
        const batch = await json(await call(base, key, 'GET', `/batches/${encodeURIComponent(target!)}`));
        let written = 0;
        for (const [field, suffix] of [['output_file_id', 'output'], ['error_file_id', 'errors']] as const) {
          const id = batch[field];
          if (typeof id !== 'string') continue;
          const path = join(values.out, `${target}_${suffix}.jsonl`);
          await writeFile(path, await (await call(base, key, 'GET', `/files/${encodeURIComponent(id)}/content`)).text());
          io.stdout(`wrote ${path}`);
          written++;
        }
        if (written === 0) io.stdout(`${describeBatch(batch)}: no files yet`);
        return EXIT.OK;
      }
    }
  } catch (error) {
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.FAILED;
  }
}
