/**
 * The Lambda response stream as the gateway's sink: the write batching it shares with the local
 * server (lambda/router/batching-sink.ts), backpressure, and a client that goes away.
 */
import { Writable } from 'node:stream';
import { LambdaResponseSink, type HttpResponseMetadata } from '../../lambda/router/lambda-entry';
import { CapturedStream, fakeLambdaRuntime } from '../helpers/fake-lambda-runtime';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The fake runtime's `from()` writes the metadata prelude as one write; the body writes follow. */
function bodyWrites(stream: CapturedStream): string[] {
  return stream.chunks.slice(1).map((c) => c.toString('utf8'));
}

describe('LambdaResponseSink', () => {
  test('a JSON answer: the metadata, then the whole body in one write', async () => {
    const stream = new CapturedStream();
    const sink = new LambdaResponseSink(stream, fakeLambdaRuntime);
    sink.start(200, { 'content-type': 'application/json' });
    await sink.write('{"a":');
    await sink.write('1}');
    await sink.end();
    const { metadata, body } = stream.response();
    expect(metadata).toEqual<HttpResponseMetadata>({ statusCode: 200, headers: { 'content-type': 'application/json' } });
    expect(body).toBe('{"a":1}');
    expect(bodyWrites(stream)).toEqual(['{"a":1}']);
    expect(stream.writableEnded).toBe(true);
  });

  test('a stream: the metadata goes out at the first flush; pieces of one event-loop turn are one write', async () => {
    const stream = new CapturedStream();
    const sink = new LambdaResponseSink(stream, fakeLambdaRuntime);
    sink.start(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    void sink.write('data: 1\n\n');
    void sink.write('data: 2\n\n');
    expect(stream.chunks).toHaveLength(0);
    await tick();
    expect(stream.response().metadata.statusCode).toBe(200);
    expect(bodyWrites(stream)).toEqual(['data: 1\n\ndata: 2\n\n']);
    void sink.write('data: 3\n\n');
    await sink.write('data: [DONE]\n\n');
    await sink.end();
    expect(bodyWrites(stream)).toEqual(['data: 1\n\ndata: 2\n\n', 'data: 3\n\ndata: [DONE]\n\n']);
    expect(stream.writableEnded).toBe(true);
  });

  test('an answer without a body still sends its metadata before it ends', async () => {
    const stream = new CapturedStream();
    const sink = new LambdaResponseSink(stream, fakeLambdaRuntime);
    sink.start(204, {});
    await sink.end();
    expect(stream.response()).toEqual({ metadata: { statusCode: 204, headers: {} }, body: '' });
    expect(stream.writableEnded).toBe(true);
  });

  test('backpressure: write() resolves only once the response stream drained', async () => {
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 4,
      write(_chunk, _enc, done) {
        release = done;
      },
    });
    const sink = new LambdaResponseSink(slow, fakeLambdaRuntime);
    sink.start(200, {});
    void sink.write('more than four bytes');
    await tick();
    let resolved = false;
    const next = sink.write('x').then(() => { resolved = true; });
    await tick();
    expect(resolved).toBe(false);
    // Complete the stream's writes one at a time (the prelude, then the body writes): it drains.
    for (let i = 0; i < 10 && !resolved; i++) {
      const done = release;
      release = undefined;
      done?.();
      await tick();
    }
    expect(resolved).toBe(true);
    await next;
  });

  test('a client that goes away: the listeners are told once, later writes are dropped, end() still completes', async () => {
    const stream = new CapturedStream();
    const sink = new LambdaResponseSink(stream, fakeLambdaRuntime);
    const gone = jest.fn();
    sink.onClose(gone);
    sink.start(200, {});
    await sink.write('data: 1\n\n');
    await tick();
    const before = stream.chunks.length;
    stream.destroy();
    await tick();
    expect(gone).toHaveBeenCalledTimes(1);
    await sink.write('data: 2\n\n');
    await tick();
    expect(stream.chunks).toHaveLength(before);
    // end() still ends the runtime's stream (it resolves; the stream is already destroyed here).
    await expect(sink.end()).resolves.toBeUndefined();
    const late = jest.fn();
    sink.onClose(late);
    expect(late).toHaveBeenCalledTimes(1);
    expect(gone).toHaveBeenCalledTimes(1);
  });

  test('a stream closed after the answer ended is not a disconnect', async () => {
    const stream = new CapturedStream();
    const sink = new LambdaResponseSink(stream, fakeLambdaRuntime);
    const gone = jest.fn();
    sink.onClose(gone);
    sink.start(200, {});
    await sink.write('{}');
    await sink.end();
    stream.destroy();
    await tick();
    expect(gone).not.toHaveBeenCalled();
  });
});
