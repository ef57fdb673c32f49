/**
 * The restricted route in local mode, through the openai client: a tenant whose floor is
 * restricted, approvals in a file written by `approvals grant --file` (as `serve --approvals`
 * reads it), against a loopback vLLM.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { runApprovalsCommand } from '../../../cli/approvals';
import { CachedApprovals } from '../../../lambda/router/approvals/approval-set';
import { FileApprovalsLoader } from '../../../lambda/router/approvals/file-approvals';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { PatternRedactor } from '../../../lambda/router/local/pattern-redactor';
import { createGateway } from '../../../lambda/router/runtime';
import { UsageRecord } from '../../../lambda/router/usage/types';
import { GatewayConfig, Sensitivity, TargetKind } from '../../../lambda/shared/config';
import { resolveGatewayConfig } from '../../../lambda/shared/defaults';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { FakeOpenAiUpstream, startFakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { ACME_KEY, testConfig } from '../../helpers/router-config';

describe('local mode: floor, approvals and redaction through the openai client', () => {
  let vllm: FakeOpenAiUpstream;
  let server: LocalServer;
  let openai: OpenAI;
  const file = join(mkdtempSync(join(tmpdir(), 'approvals-')), 'approvals.json');
  const usage = new InMemoryUsageSink();

  /** The usage record of the request just made (written after the response is sent). */
  async function lastRecord(count: number): Promise<UsageRecord> {
    const until = Date.now() + 10_000;
    while (usage.records.length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    return usage.records[count - 1];
  }

  beforeAll(async () => {
    vllm = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
    const base = testConfig({ openai: vllm.baseUrl });
    const config: GatewayConfig = {
      ...base,
      tenants: base.tenants.map((t) => (t.id === 'acme' ? { ...t, sensitivityFloor: Sensitivity.RESTRICTED, allowedAliases: [...t.allowedAliases, 'kyc', 'kyc-embed'] } : t)),
      targets: [
        ...base.targets,
        { id: 'vllm-kyc', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: vllm.baseUrl, model: 'qwen3-8b', restrictedAllowed: true },
        { id: 'vllm-embed', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: vllm.baseUrl, model: 'bge-m3', restrictedAllowed: true, capabilities: { embeddings: true } },
      ],
      routes: [...base.routes, { alias: 'kyc', targets: ['vllm-kyc'], restrictedAllowed: true, redactionGuardrail: 'pii' }, { alias: 'kyc-embed', targets: ['vllm-embed'], restrictedAllowed: true }],
      prices: { ...base.prices, 'bge-m3': { inputUsdPer1K: 0.00001, outputUsdPer1K: 0 } },
      restrictedData: { requireApproval: true },
    };
    const gateway = createGateway(resolveGatewayConfig(GatewayConfigValidator.validate(config)), {
      approvals: new CachedApprovals(new FileApprovalsLoader(file), { cacheMs: 0 }),
      redactor: new PatternRedactor(),
      usageSink: usage,
    });
    server = await startLocalServer({ gateway, port: 0 });
    openai = new OpenAI({ baseURL: server.baseUrl, apiKey: ACME_KEY, maxRetries: 0, timeout: 10_000 });
  });
  afterAll(async () => {
    await server.close();
    await vllm.close();
  });

  const ask = (model: string, headers: Record<string, string> = {}) => openai.chat.completions.create(
    { model, messages: [{ role: 'user', content: 'Check jane@example.com against the sanctions list' }], metadata: { workflow: 'kyc', sensitivity: 'public' } },
    { headers },
  );

  test('a public hint does not lower the floor: the uncleared route is refused', async () => {
    const error = await ask('chat', { 'x-gateway-sensitivity': 'PUBLIC' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('conflicting_hints');
    const refused = await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], metadata: { sensitivity: 'public' } }).catch((e: unknown) => e);
    expect([(refused as InstanceType<typeof OpenAI.APIError>).status, (refused as InstanceType<typeof OpenAI.APIError>).code]).toEqual([403, 'route_not_cleared']);
  });

  test('without an approval: 403 approval_required; after approvals grant --file: answered, with the PII masked upstream', async () => {
    usage.clear();
    const refused = await ask('kyc').catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect([refused.status, refused.code]).toEqual([403, 'approval_required']);
    expect(refused.message).toContain('approvals grant --tenant acme --workflow kyc');
    expect(vllm.requests).toHaveLength(0);

    const io = { stdout: () => undefined, stderr: () => undefined };
    expect(await runApprovalsCommand(['grant', '--file', file, '--tenant', 'acme', '--workflow', 'kyc', '--ticket', 'RISK-7',
      '--reason', 'Sanctions screening of new customers, DPIA-12', '--expires-in-days', '7'], io)).toBe(0);

    const answer = await ask('kyc').withResponse();
    expect(answer.data.choices[0].message.content).toBeTruthy();
    expect(vllm.requests.at(-1)!.rawBody).toContain('{EMAIL}');
    expect(vllm.requests.at(-1)!.rawBody).not.toContain('jane@example.com');
    // The answer says the prompt was redacted (one entity); the record names the approval that admitted it, never its reason.
    expect(answer.response.headers.get('x-gateway-redacted')).toBe('1');
    const refusedRecord = await lastRecord(1);
    expect(refusedRecord.approval).toBeUndefined();
    const admitted = await lastRecord(2);
    expect(admitted).toMatchObject({
      redactedEntities: 1,
      approval: { ticket: 'RISK-7', approver: expect.stringMatching(/^local:/), grantedAt: expect.any(String), expiresAt: expect.any(String) },
    });
    expect(JSON.stringify(admitted)).not.toContain('DPIA-12');
  });

  test('embeddings of restricted data need the same approval: 403 approval_required, then embedded under the grant', async () => {
    usage.clear();
    const embed = () => openai.embeddings.create({ model: 'kyc-embed', input: ['Onboarding file of Jane Doe'] }, { headers: { 'x-gateway-workflow': 'aml' } });
    const before = vllm.requests.length;
    const refused = await embed().catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect([refused.status, refused.code]).toEqual([403, 'approval_required']);
    expect(refused.message).toContain('approvals grant --tenant acme --workflow aml');
    expect(vllm.requests).toHaveLength(before);
    expect(await lastRecord(1)).toMatchObject({ operation: 'embeddings', status: 403, errorCode: 'approval_required', sensitivity: Sensitivity.RESTRICTED });

    const io = { stdout: () => undefined, stderr: () => undefined };
    expect(await runApprovalsCommand(['grant', '--file', file, '--tenant', 'acme', '--workflow', 'aml', '--ticket', 'RISK-9',
      '--reason', 'AML screening embeddings, DPIA-13', '--expires-in-days', '7'], io)).toBe(0);
    const answer = await embed();
    expect(answer.data).toHaveLength(1);
    expect(await lastRecord(2)).toMatchObject({ operation: 'embeddings', status: 200, approval: { ticket: 'RISK-9' } });
  });
});
