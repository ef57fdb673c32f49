/**
 * Prompt label overrides: a label moved without a deploy (an alarm-driven rollback, or
 * `cdk-ai-gateway prompts rollback|promote`), and the append-only history of every move. They
 * live in the usage table (the router can already read it; it is encrypted with a customer-managed
 * key and has point-in-time recovery), in partitions no tenant key can collide with (tenant
 * partitions start with `TENANT#`). Dependency-free on purpose: `lib/`, the router, the rollback
 * function and the CLI share it.
 *
 * | pk                         | sk                                  | what                                      |
 * |----------------------------|-------------------------------------|-------------------------------------------|
 * | `PROMPT#LABELS`            | `<promptId>#<label>`                | the override: `version` the label points at |
 * | `PROMPT#HISTORY#<promptId>`| `<ISO time>#<label>#<event id>`     | one move, never updated or deleted        |
 *
 * Prompt ids and label names never contain `#` (see `ID_PATTERN`, `PROMPT_LABEL_PATTERN`).
 */

/** The partition of every label override: one Query reads them all. */
export const PROMPT_LABELS_PARTITION = 'PROMPT#LABELS';

/** How long the router keeps the overrides it read before it reads them again, unless configured. */
export const DEFAULT_LABEL_OVERRIDE_CACHE_MS = 15_000;

/** The longest the router may keep overrides it read. */
export const MAX_LABEL_OVERRIDE_CACHE_MS = 30_000;

/** The rollback function's environment variable with the JSON array of its alarms ({@link RollbackSpec}). */
export const ROLLBACK_ALARMS_ENV = 'PROMPT_ROLLBACK_ALARMS';

/** What the rollback function knows of one alarm. */
export interface RollbackSpec {
  readonly alarmName: string;
  readonly promptId: string;
  readonly label: string;
  /** The version the alarm watches. */
  readonly canaryVersion: number;
  /** The version the label goes back to. */
  readonly rollbackVersion: number;
  /** What the alarm measures (a {@link CanaryMetric}). */
  readonly metric: string;
  readonly threshold: number;
}

/** What a canary rollback alarm measures. */
export enum CanaryMetric {
  /** Errors (upstream, stream, gateway) in percent of the version's requests. */
  ERROR_RATE = 'errorRatePercent',
  /** Requests the version refused (variables, rendered size, routes) in percent of its requests. */
  VALIDATION_FAILURE_RATE = 'validationFailureRatePercent',
  /** Cost in USD per request of the version. */
  COST_PER_REQUEST = 'costPerRequestUsd',
}

/** The leading-key pattern of the label partitions, for IAM `dynamodb:LeadingKeys` conditions. */
export const PROMPT_PARTITION_PATTERN = 'PROMPT#*';

/** The sort key of the override of `label` of prompt `promptId`. */
export function labelOverrideSortKey(promptId: string, label: string): string {
  return `${promptId}#${label}`;
}

/** The partition of a prompt's label history. */
export function labelHistoryPartition(promptId: string): string {
  return `PROMPT#HISTORY#${promptId}`;
}

/** The sort key of one history entry: time first, so a Query reads them in order. */
export function labelHistorySortKey(isoTime: string, label: string, eventId: string): string {
  return `${isoTime}#${label}#${eventId}`;
}

/** Who or what moved a label. */
export enum LabelMoveSource {
  /** The rollback function, on an alarm. */
  ALARM = 'alarm',
  /** `cdk-ai-gateway prompts rollback|promote`. */
  CLI = 'cli',
}

/** A label override as stored. */
export interface LabelOverride {
  readonly promptId: string;
  readonly label: string;
  /** The version the label points at now. */
  readonly version: number;
  /** The version it pointed at before this move (absent when unknown). */
  readonly previousVersion?: number;
  /** ISO 8601 time of the move. */
  readonly updatedAt: string;
  readonly source: LabelMoveSource;
  /** Who moved it: the alarm's ARN, or the caller's identity. */
  readonly actor: string;
  /** Why, in words. */
  readonly reason: string;
}

/** One history entry: the move, and for alarms what crossed which threshold when. */
export interface LabelHistoryEntry extends LabelOverride {
  readonly eventId: string;
  readonly alarmName?: string;
  readonly metric?: string;
  readonly value?: number;
  readonly threshold?: number;
  /** ISO time the alarm changed state. */
  readonly alarmTime?: string;
}
