/**
 * `cdk-ai-gateway prompts labels|rollback|promote|history`: moves prompt labels by hand and shows
 * where they point and why they moved. Deployed (`--table`, the usage table) the router honours a
 * move within 30 s; locally (`--store`, default `prompt-labels.json` beside the configuration)
 * `serve` honours it on the next request.
 */
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DYNAMODB_PROFILES } from '../../lambda/clients/dynamodb';
import { documentClient } from '../../lambda/clients/dynamodb-document';
import { ResolvedGatewayConfig, ResolvedPrompt } from '../../lambda/shared/defaults';
import { LabelMoveSource, LabelOverride } from '../../lambda/shared/prompt-label-schema';
import { loadGatewayConfig } from '../../lambda/router/runtime';
import { DynamoLabelStore, FileLabelStore, LabelStore, LOCAL_LABEL_STORE_FILE, MoveResult, overrideKey } from '../../lambda/router/prompts/label-store';
import { CliIo, EXIT } from '../io';

export const LABEL_SUBCOMMANDS = ['labels', 'rollback', 'promote', 'history'] as const;

export const LABELS_USAGE = `Usage:
  cdk-ai-gateway prompts labels   --config FILE [--prompt ID] [store]
  cdk-ai-gateway prompts rollback --config FILE --prompt ID --label NAME [--to VERSION] --reason TEXT [store]
  cdk-ai-gateway prompts promote  --config FILE --prompt ID --label NAME --to VERSION --reason TEXT [store]
  cdk-ai-gateway prompts history  --config FILE --prompt ID [--limit N] [store]

labels shows each label's configured and effective version; rollback points a label back at its
previous version (or --to); promote points it at --to; history lists every move with who, when and
why (alarm-driven rollbacks name the alarm, metric, value and threshold).

Store (where overrides live):
  --table NAME       the deployed gateway's usage table (AiGateway.usageTable.tableName)
  --region REGION    AWS Region (default: the SDK's resolution)
  --endpoint URL     DynamoDB endpoint override
  --store FILE       local mode (default: ${LOCAL_LABEL_STORE_FILE} beside --config)
Other:
  --actor NAME       who moves the label (default: your user@host; recorded as given)
  --json             print JSON`;

class LabelArgsError extends Error {}

type Values = Record<string, string | boolean | undefined>;

function parse(argv: readonly string[]): Values {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' }, prompt: { type: 'string' }, label: { type: 'string' }, to: { type: 'string' }, reason: { type: 'string' },
        limit: { type: 'string' }, table: { type: 'string' }, region: { type: 'string' }, endpoint: { type: 'string' }, store: { type: 'string' },
        actor: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    throw new LabelArgsError(err instanceof Error ? err.message : String(err));
  }
}

function storeOf(values: Values, configPath: string): LabelStore {
  if (typeof values.table === 'string') {
    if (values.store !== undefined) throw new LabelArgsError('--table and --store are exclusive');
    return new DynamoLabelStore(documentClient({
      ...DYNAMODB_PROFILES.OPERATOR,
      ...(typeof values.region === 'string' ? { region: values.region } : {}),
      ...(typeof values.endpoint === 'string' ? { endpoint: values.endpoint } : {}),
    }), values.table);
  }
  return new FileLabelStore(typeof values.store === 'string' ? values.store : join(dirname(configPath), LOCAL_LABEL_STORE_FILE));
}

function promptOf(config: ResolvedGatewayConfig, id: unknown): ResolvedPrompt {
  if (typeof id !== 'string') throw new LabelArgsError('--prompt is required');
  const prompt = config.prompts.get(id);
  if (!prompt) throw new LabelArgsError(`--prompt: no prompt '${id}'; prompts: ${[...config.prompts.keys()].join(', ') || 'none'}`);
  return prompt;
}

function versionOf(prompt: ResolvedPrompt, text: unknown, flag: string): number {
  const version = typeof text === 'string' && /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!prompt.versions.has(version)) {
    throw new LabelArgsError(`${flag}: prompt '${prompt.id}' has no version ${JSON.stringify(text ?? '')}; versions: ${[...prompt.versions.keys()].join(', ')}`);
  }
  return version;
}

/** The configured target of a label, as text: `3`, or `2:90,3:10`. */
function configured(prompt: ResolvedPrompt, label: string): string {
  const l = prompt.labels.get(label)!;
  return l.version !== undefined ? String(l.version) : Object.entries(l.weights ?? {}).map(([v, w]) => `${v}:${w}`).join(',');
}

/** The default rollback target: the override's previous version, else the next version down of the configured label. */
function rollbackTarget(prompt: ResolvedPrompt, label: string, current: LabelOverride | undefined): number | undefined {
  if (current?.previousVersion !== undefined) return current.previousVersion;
  const l = prompt.labels.get(label)!;
  const split = l.weights ? Object.keys(l.weights).map(Number).sort((a, b) => a - b) : undefined;
  const canary = current?.version ?? l.version ?? split![split!.length - 1];
  if (split && split.length > 1 && current === undefined) return split[split.length - 2];
  return [...prompt.versions.keys()].filter((v) => v < canary).sort((a, b) => a - b).pop();
}

/**
 * Runs one of the label subcommands; resolves to the exit code. Never throws.
 *
 * @example
 * await runLabelCommand('rollback', ['--config', 'gw.json', '--prompt', 'support', '--label', 'canary', '--reason', 'bad answers'], io);
 */
export async function runLabelCommand(sub: string, argv: readonly string[], io: CliIo, now: () => number = Date.now): Promise<number> {
  let values: Values;
  let config: ResolvedGatewayConfig;
  let store: LabelStore;
  try {
    values = parse(argv);
    if (values.help) {
      io.stdout(LABELS_USAGE);
      return EXIT.OK;
    }
    if (typeof values.config !== 'string') throw new LabelArgsError('--config is required');
    config = loadGatewayConfig(values.config);
    store = storeOf(values, values.config);
  } catch (err) {
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}`);
    return err instanceof LabelArgsError ? EXIT.USAGE : EXIT.FAILED;
  }
  try {
    if (sub === 'labels') {
      const prompts = values.prompt !== undefined ? [promptOf(config, values.prompt)] : [...config.prompts.values()];
      const overrides = new Map((await store.list()).map((o) => [overrideKey(o.promptId, o.label), o]));
      const rows = prompts.flatMap((p) => [...p.labels.keys()].map((label) => {
        const o = overrides.get(overrideKey(p.id, label));
        const effective = o !== undefined && p.versions.has(o.version) ? String(o.version) : configured(p, label);
        return { prompt: p.id, label, configured: configured(p, label), effective, ...(o ? { movedAt: o.updatedAt, movedBy: o.actor, reason: o.reason } : {}) };
      }));
      if (values.json) io.stdout(JSON.stringify(rows, null, 2));
      else {
        io.stdout(['prompt', 'label', 'configured', 'effective', 'moved at', 'by', 'reason'].join('\t'));
        for (const r of rows) io.stdout([r.prompt, r.label, r.configured, r.effective, r.movedAt ?? '-', r.movedBy ?? '-', r.reason ?? '-'].join('\t'));
      }
      return EXIT.OK;
    }
    const prompt = promptOf(config, values.prompt);
    if (sub === 'history') {
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new LabelArgsError(`--limit must be an integer from 1 to 1000, received ${JSON.stringify(values.limit)}`);
      const entries = await store.history(prompt.id, limit);
      if (values.json) io.stdout(JSON.stringify(entries, null, 2));
      else if (entries.length === 0) io.stdout(`No label of '${prompt.id}' has been moved.`);
      else for (const e of entries) io.stdout(`${e.updatedAt}  ${e.label}: ${e.previousVersion ?? 'split'} → ${e.version}  by ${e.actor} (${e.source})  ${e.reason}`);
      return EXIT.OK;
    }
    if (typeof values.label !== 'string' || !prompt.labels.has(values.label)) {
      throw new LabelArgsError(`--label: prompt '${prompt.id}' has no label ${JSON.stringify(values.label ?? '')}; labels: ${[...prompt.labels.keys()].join(', ') || 'none'}`);
    }
    const label = values.label;
    if (typeof values.reason !== 'string' || values.reason.trim() === '') throw new LabelArgsError('--reason is required: say why the label moves');
    const current = (await store.list()).find((o) => o.promptId === prompt.id && o.label === label);
    let to: number;
    if (sub === 'promote') {
      if (values.to === undefined) throw new LabelArgsError('--to is required: the version to promote');
      to = versionOf(prompt, values.to, '--to');
    } else {
      const target = values.to !== undefined ? versionOf(prompt, values.to, '--to') : rollbackTarget(prompt, label, current);
      if (target === undefined) throw new LabelArgsError(`label '${label}' of '${prompt.id}' has no earlier version to roll back to; name one with --to`);
      to = target;
    }
    const user = (() => { try { return userInfo().username; } catch { return 'unknown'; } })();
    const result = await store.move({
      promptId: prompt.id, label, version: to,
      ...(current !== undefined ? { previousVersion: current.version } : prompt.labels.get(label)!.version !== undefined ? { previousVersion: prompt.labels.get(label)!.version } : {}),
      updatedAt: new Date(now()).toISOString(),
      source: LabelMoveSource.CLI,
      actor: typeof values.actor === 'string' ? values.actor : `${user}@${hostname()}`,
      reason: values.reason.trim(),
      eventId: randomUUID(),
    });
    io.stdout(result === MoveResult.MOVED
      ? `Label '${label}' of '${prompt.id}' now points at version ${to} (configured: ${configured(prompt, label)}).`
      : `Label '${label}' of '${prompt.id}' was not moved (${result}).`);
    return EXIT.OK;
  } catch (err) {
    io.stderr(`error: ${err instanceof Error ? `${err.message}` : String(err)}`);
    return err instanceof LabelArgsError ? EXIT.USAGE : EXIT.FAILED;
  }
}
