/** Who owns the construct of a finding. */
export enum FindingOrigin {
  /** A construct of cdk-ai-gateway (or below one): the library's finding, fixed or acknowledged by the library. */
  LIBRARY = 'LIBRARY',
  /** The consumer's own resources, outside every construct of the library. */
  CONSUMER = 'CONSUMER',
  /** Not known: the report was read from a file without the app's construct tree. */
  UNKNOWN = 'UNKNOWN',
}
