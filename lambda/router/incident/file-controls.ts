/**
 * Incident controls in local mode: a JSON file (`cdk-ai-gateway serve --controls FILE`), written
 * by `cdk-ai-gateway incident … --file FILE` and read again at most every cache period.
 *
 * `{ "controls": [{ "kind", "subject", "reason", "actor", "at" }], "history": [...] }`; a missing
 * file means no controls.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isControlKind } from '../../shared/incident-controls-schema';
import { ControlEntry, ControlsLoader } from '../pipeline/controls';

/** One line of a controls file's history. */
export interface ControlHistoryEntry extends ControlEntry {
  readonly action: string;
}

/** The document of a controls file. */
export interface ControlsFile {
  readonly controls: ControlEntry[];
  readonly history: ControlHistoryEntry[];
}

/** Reads a controls file; a missing file is an empty one. Throws on a malformed file. */
export function readControlsFile(path: string): ControlsFile {
  if (!existsSync(path)) return { controls: [], history: [] };
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const doc = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { controls?: unknown; history?: unknown };
  if (!Array.isArray(doc.controls) || (doc.history !== undefined && !Array.isArray(doc.history))) {
    throw new Error(`${path}: expected {"controls": [...], "history": [...]}`);
  }
  const controls = doc.controls.filter((c): c is ControlEntry => {
    const e = c as Partial<ControlEntry> | null;
    return e !== null && typeof e === 'object' && isControlKind(e.kind) && typeof e.subject === 'string' && e.subject !== '';
  });
  return { controls, history: (doc.history ?? []) as ControlHistoryEntry[] };
}

export class FileControlsLoader implements ControlsLoader {
  constructor(private readonly path: string) {}

  async load(): Promise<readonly ControlEntry[]> {
    return readControlsFile(this.path).controls;
  }
}

/** Controls held in memory (tests, embedding). */
export class MemoryControlsLoader implements ControlsLoader {
  entries: ControlEntry[] = [];

  async load(): Promise<readonly ControlEntry[]> {
    return [...this.entries];
  }
}
