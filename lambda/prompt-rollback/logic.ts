/**
 * The alarm-driven rollback of a prompt canary: a CloudWatch alarm on the canary version's error
 * rate, validation-failure rate or cost per request went to ALARM, so its label goes back to the
 * previous version, and the move is recorded (alarm, metric, value, threshold, time) in the
 * prompt's append-only label history. Pure logic: the store is injected.
 *
 * Idempotent: the history entry is keyed by the EventBridge event id, so a redelivered event
 * writes nothing; a label already back on the previous version is left alone (two alarms of one
 * canary roll it back once).
 */
import { LabelHistoryEntry, LabelMoveSource, ROLLBACK_ALARMS_ENV, RollbackSpec } from '../shared/prompt-label-schema';

export { ROLLBACK_ALARMS_ENV };
export type { RollbackSpec };
import { LabelStore, MoveResult } from '../router/prompts/label-store';

/** The fields of an EventBridge "CloudWatch Alarm State Change" event this function reads. */
export interface AlarmStateChangeEvent {
  readonly id: string;
  readonly time: string;
  readonly resources?: readonly string[];
  readonly detail: {
    readonly alarmName: string;
    readonly state: { readonly value: string; readonly reason?: string; readonly reasonData?: string; readonly timestamp?: string };
  };
}

/** What the function did with an event. */
export enum RollbackOutcome {
  ROLLED_BACK = 'rolled_back',
  /** The event was delivered before: nothing written. */
  DUPLICATE = 'duplicate',
  /** The label already points at the rollback version: nothing written. */
  ALREADY_ROLLED_BACK = 'already_rolled_back',
  /** Not an ALARM state, or an alarm this function does not know: nothing written. */
  IGNORED = 'ignored',
}

/**
 * Parses the specs of the function's environment; a malformed value throws, naming the variable.
 *
 * @example
 * const specs = parseSpecs(process.env.PROMPT_ROLLBACK_ALARMS);
 */
export function parseSpecs(text: string | undefined): RollbackSpec[] {
  const value: unknown = JSON.parse(text ?? '[]');
  const valid = (s: unknown): s is RollbackSpec => {
    const o = s as Record<string, unknown>;
    return typeof s === 'object' && s !== null && typeof o.alarmName === 'string' && typeof o.promptId === 'string'
      && typeof o.label === 'string' && Number.isInteger(o.canaryVersion) && Number.isInteger(o.rollbackVersion)
      && typeof o.metric === 'string' && typeof o.threshold === 'number';
  };
  if (!Array.isArray(value) || !value.every(valid)) {
    throw new Error(`${ROLLBACK_ALARMS_ENV} must be a JSON array of {alarmName, promptId, label, canaryVersion, rollbackVersion, metric, threshold}.`);
  }
  return value;
}

/** The newest value the alarm evaluated, from the state's `reasonData` (absent when it has none). */
export function alarmValue(reasonData: string | undefined): number | undefined {
  if (reasonData === undefined) return undefined;
  try {
    const data = JSON.parse(reasonData) as { recentDatapoints?: unknown[]; evaluatedDatapoints?: { value?: unknown }[] };
    const evaluated = data.evaluatedDatapoints?.find((d) => typeof d.value === 'number')?.value;
    if (typeof evaluated === 'number') return evaluated;
    const recent = data.recentDatapoints?.filter((v): v is number => typeof v === 'number');
    return recent && recent.length > 0 ? recent[recent.length - 1] : undefined;
  } catch {
    return undefined;
  }
}

/** An ISO 8601 time in UTC with milliseconds (CloudWatch writes `…+0000`). */
function isoTime(text: string | undefined, fallback: string): string {
  const ms = Date.parse((text ?? '').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isFinite(ms) ? new Date(ms).toISOString() : new Date(Date.parse(fallback)).toISOString();
}

export interface Log {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

/**
 * Rolls the canary label of the alarm back, once, and records why.
 *
 * @example
 * await rollBack(event, parseSpecs(process.env.PROMPT_ROLLBACK_ALARMS), new DynamoLabelStore(client, table), logger);
 */
export async function rollBack(event: AlarmStateChangeEvent, specs: readonly RollbackSpec[], store: LabelStore, log: Log): Promise<RollbackOutcome> {
  const { alarmName, state } = event.detail;
  if (state.value !== 'ALARM') {
    log.info('alarm state is not ALARM; nothing to do', { alarmName, state: state.value });
    return RollbackOutcome.IGNORED;
  }
  const spec = specs.find((s) => s.alarmName === alarmName);
  if (!spec) {
    log.warn('alarm is not a prompt canary alarm of this function; nothing to do', { alarmName });
    return RollbackOutcome.IGNORED;
  }
  const value = alarmValue(state.reasonData);
  const alarmTime = isoTime(state.timestamp, event.time);
  const measured = value !== undefined ? `${value}` : 'a value';
  const entry: LabelHistoryEntry = {
    promptId: spec.promptId,
    label: spec.label,
    version: spec.rollbackVersion,
    previousVersion: spec.canaryVersion,
    updatedAt: alarmTime,
    source: LabelMoveSource.ALARM,
    actor: event.resources?.[0] ?? alarmName,
    reason: `Alarm ${alarmName}: ${spec.metric} of ${spec.promptId}@${spec.canaryVersion} was ${measured}, above the threshold ${spec.threshold}`
      + `${state.reason ? ` (${state.reason})` : ''}; label '${spec.label}' moved back to version ${spec.rollbackVersion}.`,
    eventId: event.id,
    alarmName,
    metric: spec.metric,
    ...(value !== undefined ? { value } : {}),
    threshold: spec.threshold,
    alarmTime,
  };
  const result = await store.move(entry, { unlessVersion: spec.rollbackVersion });
  const outcome = result === MoveResult.MOVED ? RollbackOutcome.ROLLED_BACK
    : result === MoveResult.DUPLICATE ? RollbackOutcome.DUPLICATE : RollbackOutcome.ALREADY_ROLLED_BACK;
  log.info(`prompt label ${outcome}`, {
    alarmName, promptId: spec.promptId, label: spec.label, fromVersion: spec.canaryVersion, toVersion: spec.rollbackVersion,
    metric: spec.metric, value, threshold: spec.threshold, eventId: event.id,
  });
  return outcome;
}
