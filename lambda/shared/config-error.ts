// Not exported from the package's (jsii) API: jsii cannot expose a subclass of Error. The construct
// library wraps the messages of GatewayConfigValidator.check() in its own error instead.

/** The problems found in a gateway configuration, one message per problem. */
export class GatewayConfigError extends Error {
  /** Every problem found, each naming its field (`routes[2].targets[0]: ...`). */
  public readonly issues: string[];

  constructor(issues: string[]) {
    const shown = issues.slice(0, 50);
    const more = issues.length > shown.length ? `\n  … and ${issues.length - shown.length} more` : '';
    super(`Invalid gateway configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n  ${shown.join('\n  ')}${more}`);
    this.name = 'GatewayConfigError';
    this.issues = issues;
  }
}
