/** `cdk-ai-gateway prompts labels|rollback|promote|history` against a local store file and a usage table in dynalite. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/dispatch';
import { EXIT } from '../../cli/io';
import { DynamoLabelStore, FileLabelStore } from '../../lambda/router/prompts/label-store';
import { CanaryMetric, LabelMoveSource } from '../../lambda/shared/prompt-label-schema';
import { useDynalite } from '../helpers/dynalite';
import { promptConfig } from '../prompts/fixtures';
import { createUsageTable, documentClient } from '../router/usage/usage-fixtures';

let dir: string;
let configFile: string;

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['prompts', ...args, '--config', configFile], { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'prompts-labels-'));
  configFile = join(dir, 'gateway.json');
  writeFileSync(configFile, JSON.stringify(promptConfig()));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('prompts labels / rollback / promote / history (local store)', () => {
  test('rollback moves the canary split back to its previous version, labels and history show it, the file serve reads holds it', async () => {
    // Act
    const rolled = await run(['rollback', '--prompt', 'support-reply', '--label', 'canary', '--reason', 'v2 answers are too long', '--actor', 'ana']);
    const labels = await run(['labels', '--prompt', 'support-reply', '--json']);
    const history = await run(['history', '--prompt', 'support-reply']);

    // Assess
    expect(rolled).toMatchObject({ code: EXIT.OK, out: "Label 'canary' of 'support-reply' now points at version 1 (configured: 1:90,2:10)." });
    expect(JSON.parse(labels.out)).toEqual([
      { prompt: 'support-reply', label: 'prod', configured: '1', effective: '1' },
      { prompt: 'support-reply', label: 'canary', configured: '1:90,2:10', effective: '1', movedAt: expect.any(String), movedBy: 'ana', reason: 'v2 answers are too long' },
    ]);
    expect(history.out).toMatch(/canary: split → 1 {2}by ana \(cli\) {2}v2 answers are too long/);
    expect(await new FileLabelStore(join(dir, 'prompt-labels.json')).list()).toEqual([expect.objectContaining({ promptId: 'support-reply', label: 'canary', version: 1 })]);
  });

  test('promote points a label at --to and records the version it left', async () => {
    expect((await run(['promote', '--prompt', 'support-reply', '--label', 'prod', '--to', '2', '--reason', 'eval passed'])).code).toBe(EXIT.OK);
    const history = await run(['history', '--prompt', 'support-reply', '--json']);
    expect(JSON.parse(history.out)).toEqual([expect.objectContaining({ label: 'prod', version: 2, previousVersion: 1, source: LabelMoveSource.CLI, reason: 'eval passed' })]);
    // and rollback then returns to the version it left
    expect((await run(['rollback', '--prompt', 'support-reply', '--label', 'prod', '--reason', 'oops'])).out).toContain('now points at version 1');
  });

  test.each([
    [['rollback', '--prompt', 'nope', '--label', 'canary', '--reason', 'x'], /--prompt: no prompt 'nope'; prompts: support-reply, classify/],
    [['rollback', '--prompt', 'support-reply', '--label', 'gamma', '--reason', 'x'], /--label: prompt 'support-reply' has no label "gamma"; labels: prod, canary/],
    [['promote', '--prompt', 'support-reply', '--label', 'prod', '--to', '7', '--reason', 'x'], /--to: prompt 'support-reply' has no version "7"; versions: 1, 2/],
    [['promote', '--prompt', 'support-reply', '--label', 'prod', '--to', '2'], /--reason is required/],
    [['rollback', '--prompt', 'support-reply', '--label', 'prod', '--reason', 'x'], /no earlier version to roll back to; name one with --to/],
  ])('%j is refused with a usage error naming what is wrong', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(EXIT.USAGE);
    expect(result.err).toMatch(message);
  });
});

describe('prompts history against the usage table', () => {
  const local = useDynalite();

  test('an alarm-driven rollback and a manual promote appear with who, why and the alarm numbers', async () => {
    const dynamo = local();
    const table = await createUsageTable(dynamo.client);
    const store = ['--table', table, '--endpoint', dynamo.endpoint, '--region', 'eu-west-1'];
    await new DynamoLabelStore(documentClient(dynamo.client), table).move({
      promptId: 'support-reply', label: 'canary', version: 1, previousVersion: 2, updatedAt: '2026-12-07T02:00:00.000Z', source: LabelMoveSource.ALARM,
      actor: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:x', reason: 'Alarm x: errorRatePercent of support-reply@2 was 12, above the threshold 5',
      eventId: 'e1', alarmName: 'x', metric: CanaryMetric.ERROR_RATE, value: 12, threshold: 5, alarmTime: '2026-12-07T02:00:00.000Z',
    });

    expect((await run(['promote', '--prompt', 'support-reply', '--label', 'canary', '--to', '2', '--reason', 'fixed', '--actor', 'ana', ...store])).code).toBe(EXIT.OK);
    const history = await run(['history', '--prompt', 'support-reply', ...store]);
    const labels = await run(['labels', '--prompt', 'support-reply', '--json', ...store]);

    expect(history.out.split('\n')).toEqual([
      expect.stringMatching(/^2026-12-07T02:00:00.000Z {2}canary: 2 → 1 {2}by arn:aws:cloudwatch:.*alarm:x \(alarm\) {2}Alarm x: errorRatePercent of support-reply@2 was 12, above the threshold 5$/),
      expect.stringMatching(/canary: 1 → 2 {2}by ana \(cli\) {2}fixed$/),
    ]);
    expect(JSON.parse(labels.out)[1]).toMatchObject({ label: 'canary', effective: '2', movedBy: 'ana' });
  });
});
