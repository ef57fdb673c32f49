/**
 * Local mode's review queue: a JSON Lines file. A review is a `review` line (with the answer inline
 * when its sensitivity allows), a resolution is a `resolution` line; `list` folds them.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ReviewStatus } from '../../shared/review-table-schema';
import { ReviewItem, ReviewSink, ReviewStore, ReviewSubmission } from './review';

/** The review file `cdk-ai-gateway serve` writes beside its configuration unless told otherwise. */
export const LOCAL_REVIEWS_FILE = '.cdk-ai-gateway-reviews.jsonl';

interface Line { readonly type: 'review' | 'resolution'; readonly [key: string]: unknown }

export class JsonlReviews implements ReviewSink, ReviewStore {
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  async submit(submission: ReviewSubmission): Promise<void> {
    const item: ReviewItem = submission.content !== undefined ? { ...submission.item, contentLocation: `${this.file}#${submission.item.reviewId}` } : submission.item;
    await this.append({ type: 'review', ...item, ...(submission.content !== undefined ? { content: submission.content } : {}) });
  }

  async list(status?: ReviewStatus, limit = 100): Promise<ReviewItem[]> {
    const reviews = await this.fold();
    return [...reviews.values()].filter((r) => status === undefined || r.status === status).slice(0, limit);
  }

  async resolve(reviewId: string, resolvedBy: string, note: string, at: Date): Promise<boolean> {
    const review = (await this.fold()).get(reviewId);
    if (!review || review.status !== ReviewStatus.OPEN) return false;
    await this.append({ type: 'resolution', reviewId, resolvedBy, note, resolvedAt: at.toISOString() });
    return true;
  }

  /** The answer kept for a review, if any. */
  async content(reviewId: string): Promise<string | undefined> {
    for (const line of await this.lines()) {
      if (line.type === 'review' && line.reviewId === reviewId && typeof line.content === 'string') return line.content;
    }
    return undefined;
  }

  private append(line: Line): Promise<void> {
    // Appends are serialised so concurrent requests never interleave their lines.
    this.chain = this.chain.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      await appendFile(this.file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    });
    return this.chain;
  }

  private async lines(): Promise<Line[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return text.split('\n').filter((l) => l.trim().length > 0).map((l) => JSON.parse(l) as Line);
  }

  private async fold(): Promise<Map<string, ReviewItem>> {
    const reviews = new Map<string, ReviewItem>();
    for (const line of await this.lines()) {
      const { type, content: _content, ...rest } = line;
      if (type === 'review') {
        reviews.set(String(rest.reviewId), rest as unknown as ReviewItem);
      } else {
        const open = reviews.get(String(rest.reviewId));
        if (open) reviews.set(open.reviewId, { ...open, status: ReviewStatus.RESOLVED, resolvedBy: String(rest.resolvedBy), resolvedAt: String(rest.resolvedAt), note: String(rest.note) });
      }
    }
    return reviews;
  }
}
