/**
 * The gateway's own logs never hold restricted content: every line a restricted request makes the
 * router write (the usage log line with its EMF metrics, and anything on stderr) on success, on an
 * upstream failure whose error echoes the prompt, on a crash in the pipeline, and on a stream, is
 * free of the prompt and the answer.
 */
import { UpstreamError } from '../../../lambda/router/errors';
import { LogUsageSink } from '../../../lambda/router/telemetry/log-sink';
import { chatRequest, MemorySink, Steps, testGateway } from '../../helpers/router-fakes';

const SECRET_PROMPT = 'Customer Jane Roe, account 99-1234-5678, disputes a wire of 9,300 EUR';
const SECRET_ANSWER = 'Escalate the Roe dispute to fraud operations';

function capture() {
  const lines: string[] = [];
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true; });
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true; });
  return { lines, restore: () => { stderr.mockRestore(); stdout.mockRestore(); } };
}

const restricted = (stream = false) => chatRequest(
  { model: 'secure', stream, messages: [{ role: 'user', content: SECRET_PROMPT }] },
  { headers: { 'x-gateway-sensitivity': 'restricted' } },
);

describe.each([
  ['an answer', (t: ReturnType<typeof testGateway>) => { t.bedrock.enqueue(Steps.ok({ text: SECRET_ANSWER })); }, false],
  ['a streamed answer', (t: ReturnType<typeof testGateway>) => { t.bedrock.enqueue(Steps.ok({ text: SECRET_ANSWER })); }, true],
  ['an upstream error that echoes the prompt', (t: ReturnType<typeof testGateway>) => {
    t.bedrock.enqueue(Steps.error(new UpstreamError(`ValidationException: ${SECRET_PROMPT}`, { disposition: 'client', code: 'validation', upstreamStatus: 400 })));
  }, false],
  ['a crash inside the pipeline', (t: ReturnType<typeof testGateway>) => {
    jest.spyOn(t.bedrock, 'complete').mockImplementationOnce(() => { throw new TypeError(`cannot read ${SECRET_PROMPT}`); });
  }, false],
])('a restricted request with %s', (_name, arrange, stream) => {
  test('leaves log lines without the prompt or the answer', async () => {
    // Prepare
    const logged: string[] = [];
    const t = testGateway({ usageSink: new LogUsageSink({ write: (line) => logged.push(line) }) });
    arrange(t);
    const out = capture();
    // Act
    try {
      await t.gateway.handle(restricted(stream), new MemorySink());
    } finally {
      out.restore();
    }
    // Assess: one usage line, marked restricted, and nothing with the content anywhere
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0])).toMatchObject({ 'gateway.sensitivity': 'restricted' });
    for (const line of [...logged, ...out.lines]) {
      expect(line).not.toContain('Jane Roe');
      expect(line).not.toContain('99-1234-5678');
      expect(line).not.toContain('Roe dispute');
    }
  });
});
