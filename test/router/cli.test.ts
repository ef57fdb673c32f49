/**
 * The `cdk-ai-gateway` command line: argument handling in-process, and the packaged executable
 * (`bin` → assets/cli/index.mjs, as `npm run bundle` builds it) serving real requests.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { runCli } from '../../cli/dispatch';
import { CliIo } from '../../cli/io';
import { LocalServer } from '../../lambda/router/local/server';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../helpers/fake-openai-upstream';
import { ACME_KEY, testConfig } from '../helpers/router-config';

const root = join(__dirname, '..', '..');

function capture(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => { out.push(t); }, stderr: (t) => { err.push(t); } };
}

describe('cdk-ai-gateway (in-process)', () => {
  let dir: string;
  let upstream: FakeOpenAiUpstream;
  let configFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-cli-'));
    upstream = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
    configFile = join(dir, 'gateway.json');
    writeFileSync(configFile, JSON.stringify(testConfig({ openai: upstream.baseUrl })));
  });

  afterAll(async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('no command: usage and exit code 2; help: exit code 0', async () => {
    const io = capture();
    expect(await runCli([], io)).toBe(2);
    expect(io.out.join('\n')).toMatch(/^Usage: cdk-ai-gateway <command>/);
    expect(await runCli(['--help'], io)).toBe(0);
  });

  test('an unknown command names the allowed ones', async () => {
    const io = capture();
    expect(await runCli(['deploy'], io)).toBe(2);
    expect(io.err[0]).toMatch(/^error: unknown command 'deploy'; allowed: serve, keys, usage, advise, prompts, batch, incident, approvals, reviews, schema, validate/);
  });

  test.each<[string[], RegExp]>([
    [['serve'], /--config is required/],
    [['serve', '--config', 'x.json', '--port', 'http'], /--port 'http' is not allowed; expected an integer from 0 to 65535/],
    [['serve', '--config', 'x.json', '--port', '70000'], /--port '70000' is not allowed/],
    [['serve', '--verbose'], /Unknown option '--verbose'/],
  ])('serve %j: a usage error (exit code 2)', async (argv, message) => {
    const io = capture();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err.join('\n')).toMatch(message);
  });

  test('serve with an invalid configuration lists every problem (exit code 1)', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...testConfig(), tenants: [{ id: 'acme', allowedAliases: ['nope'], sensitivityClearance: 'secret' }] }));
    const io = capture();
    expect(await runCli(['serve', '--config', bad], io)).toBe(1);
    expect(io.err[0]).toContain("tenants[0].sensitivityClearance: 'secret' is not allowed; allowed: public, internal, restricted");
  });

  test('serve answers the official client until stopped', async () => {
    // Prepare
    const io = capture();
    const stop = new AbortController();
    let server: LocalServer | undefined;
    const listening = new Promise<void>((resolve) => {
      void runCli(['serve', '--config', configFile, '--port', '0'], io, { signal: stop.signal, onListening: (s) => { server = s; resolve(); } })
        .then((code) => { exit = code; });
    });
    let exit: number | undefined;
    const writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);

    try {
      // Act
      await listening;
      upstream.enqueue(OpenAiBehaviours.success({ text: 'served locally' }));
      const client = new OpenAI({ baseURL: server!.baseUrl, apiKey: ACME_KEY, maxRetries: 0 });
      const answer = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });

      // Assess
      expect(answer.choices[0].message.content).toBe('served locally');
      expect(io.err[0]).toMatch(/^cdk-ai-gateway serving http:\/\/127\.0\.0\.1:\d+\/v1 \(3 tenants, routes: chat, summary, secure, batch-only, guarded\)$/);
    } finally {
      stop.abort();
      await new Promise((r) => setTimeout(r, 50));
      writeSpy.mockRestore();
    }
    expect(exit).toBe(0);
  });

  test('validate: valid and invalid files', async () => {
    const io = capture();
    expect(await runCli(['validate', '--config', configFile], io)).toBe(0);
    expect(io.out).toEqual([`${configFile}: valid (3 tenants, 5 targets, 5 routes)`]);
    const bad = join(dir, 'bad2.json');
    writeFileSync(bad, '{"tenants": []');
    const io2 = capture();
    expect(await runCli(['validate', '--config', bad], io2)).toBe(1);
    expect(io2.err[1]).toMatch(/not valid JSON/);
  });

  test('schema prints the JSON Schema', async () => {
    const io = capture();
    expect(await runCli(['schema'], io)).toBe(0);
    expect(JSON.parse(io.out[0])).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'cdk-ai-gateway configuration' });
  });
});

describe('the packaged executable', () => {
  const bin = join(root, (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['cdk-ai-gateway']);
  let dir: string;
  let upstream: FakeOpenAiUpstream;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    // Bundles what is stale (npm test has already done it; a lone jest run may not have).
    execFileSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], { cwd: root, stdio: 'ignore' });
    dir = mkdtempSync(join(tmpdir(), 'gateway-bin-'));
    upstream = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('is an ESM bundle with a node shebang', () => {
    expect(bin).toBe(join(root, 'assets', 'cli', 'index.mjs'));
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  test('serve: answers a streamed request, writes the usage line to stdout, stops on SIGTERM', async () => {
    // Prepare
    const configFile = join(dir, 'gateway.json');
    writeFileSync(configFile, JSON.stringify(testConfig({ openai: upstream.baseUrl })));
    const proc = spawn(process.execPath, [bin, 'serve', '--config', configFile, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    const baseUrl = await new Promise<string>((resolve, reject) => {
      proc.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /serving (http:\/\/\S+\/v1)/.exec(stderr);
        if (m) resolve(m[1]);
      });
      proc.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
    upstream.enqueue(OpenAiBehaviours.success({ deltas: ['from ', 'the ', 'binary'] }));

    // Act
    const client = new OpenAI({ baseURL: baseUrl, apiKey: ACME_KEY, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    for (let i = 0; i < 100 && !stdout.includes('\n'); i++) await new Promise((r) => setTimeout(r, 10));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');

    // Assess
    expect(text).toBe('from the binary');
    const line = JSON.parse(stdout.split('\n')[0]) as Record<string, unknown>;
    expect(line).toMatchObject({ 'gateway.tenant.id': 'acme', 'gateway.route': 'chat', 'gateway.outcome': 'success', 'gateway.stream': true });
    expect(await exited).toBe(0);
  });
});
