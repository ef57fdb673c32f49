/**
 * What makes an acknowledgment reason acceptable to a reviewer: long enough to say something,
 * no placeholder, and more than boilerplate. A reason must name what is specific to the case
 * (which resource, which requirement, what compensates), so after the generic phrases and filler
 * words are taken out at least {@link MIN_SPECIFIC_WORDS} distinct words must remain.
 */

/** The shortest reason accepted, in characters (after trimming). */
export const MIN_REASON_LENGTH = 40;

/** How many distinct specific words a reason must contain. */
export const MIN_SPECIFIC_WORDS = 5;

const PLACEHOLDER = /\b(todo|tbd|tbc|fixme|xxx+|lorem|ipsum|placeholder|change ?me|fill ?in|to be (?:determined|decided|written|confirmed))\b/i;

/** Phrases that carry no information on their own, longest first so they are removed whole. */
const GENERIC_PHRASES: readonly string[] = [
  'working as intended', 'does not matter', "doesn't matter", 'not an issue', 'will fix later',
  'false positive', 'not needed', 'not required', 'not necessary', 'not applicable', 'not relevant',
  'accepted risk', 'risk accepted', 'by design', 'as designed', 'known issue', 'fix later',
  'for now', 'no risk', 'low risk', 'no issue', 'n/a',
];

/** Words that say nothing specific about a finding or its context. */
const FILLER_WORDS = new Set([
  // function words
  'the', 'and', 'are', 'was', 'were', 'been', 'being', 'this', 'that', 'these', 'those', 'its',
  'for', 'but', 'not', 'our', 'you', 'your', 'here', 'there', 'because', 'with', 'does', 'did',
  'done', 'has', 'have', 'had', 'can', 'cannot', 'will', 'would', 'should', 'may', 'might', 'must',
  'than', 'then', 'into', 'from', 'when', 'which', 'what', 'why', 'who', 'how', 'also', 'just',
  'only', 'all', 'any', 'some', 'very', 'really', 'more', 'less', 'same', 'such', 'other', 'it\'s',
  'don\'t', 'isn\'t', 'there\'s', 'they', 'them', 'their', 'out', 'about', 'over', 'per', 'via',
  // words about the acknowledgment itself rather than the case
  'rule', 'rules', 'finding', 'findings', 'check', 'checks', 'warning', 'warnings', 'error',
  'errors', 'nag', 'cdk', 'cdk-nag', 'issue', 'issues', 'problem', 'reason', 'case', 'cases',
  'resource', 'resources', 'needed', 'need', 'required', 'require', 'necessary', 'applicable',
  'apply', 'applies', 'relevant', 'fine', 'okay', 'safe', 'ignore', 'ignored', 'suppress',
  'suppressed', 'acknowledge', 'acknowledged', 'intended', 'intentional', 'expected', 'accepted',
  'accept', 'risk', 'later', 'temporary', 'temp', 'test', 'testing', 'demo', 'dev', 'stuff',
  'thing', 'things', 'false', 'positive', 'design', 'known', 'fix', 'fixed', 'time', 'now',
  'properly', 'correct', 'correctly', 'good', 'works', 'work', 'yes', 'none',
]);

/**
 * Why a reviewer would reject `reason`, or `undefined` if it is acceptable.
 *
 * @example
 * reasonProblem('false positive'); // 'is 14 characters long; ...'
 * reasonProblem('The router invokes only the application inference profiles created for its tenants.'); // undefined
 */
export function reasonProblem(reason: string): string | undefined {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (text === '') {
    return 'is empty; say why the finding does not apply here or what compensates for it';
  }
  if (text.length < MIN_REASON_LENGTH) {
    return `is ${text.length} characters long; a reviewer needs at least ${MIN_REASON_LENGTH}: `
      + 'say why the finding does not apply here or what compensates for it';
  }
  const placeholder = PLACEHOLDER.exec(text);
  if (placeholder) {
    return `contains the placeholder '${placeholder[0]}'; write the actual justification`;
  }
  const specific = specificWords(text);
  if (specific.length < MIN_SPECIFIC_WORDS) {
    return `is generic: apart from stock phrases ('false positive', 'not needed', 'by design', ...) it names `
      + `only ${specific.length} specific word(s)${specific.length ? ` (${specific.join(', ')})` : ''}; `
      + `name the resource, the requirement and what makes the finding acceptable (at least ${MIN_SPECIFIC_WORDS} specific words)`;
  }
  return undefined;
}

/** The distinct words of `text` that are neither generic phrases nor filler. */
export function specificWords(text: string): string[] {
  let rest = ` ${text.toLowerCase()} `;
  for (const phrase of GENERIC_PHRASES) {
    rest = rest.split(phrase).join(' ');
  }
  const words = rest.match(/[a-z0-9][a-z0-9'._:/*-]*[a-z0-9*]/g) ?? [];
  return [...new Set(words.filter((w) => w.length >= 3 && !FILLER_WORDS.has(w)))];
}
