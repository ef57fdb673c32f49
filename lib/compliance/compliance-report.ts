import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { CompliancePack } from './compliance-pack';
import { GatewayCompliance, RecordedAcknowledgment } from './gateway-compliance';
import { FindingOrigin } from './finding-origin';
import { GovernanceControlReport, GovernanceControls } from './governance-controls';
import { AiGatewayValidationError } from '../private/errors';
import { displayIdOfFinding } from './private/finding-ids';
import { countEvidence } from './private/governance-evidence';
import { guardRuleOutcomes } from './private/guard-catalog';
import { renderFindings, renderMarkdown } from './private/markdown';
import { isUnderAny, libraryConstructPaths } from './private/origin';
import { OTHER_PLUGIN_TITLES, PACK_TITLES } from './private/packs';
import { ComplianceRegistration, registrationOf } from './private/registry';
import { parseValidationReport, ReportedViolation } from './private/validation-report';

/** A finding of a compliance pack on one construct. */
export interface ComplianceFinding {
  /** The plugin that reported it: `AwsSolutions`, `cdk-validator-cfnguard`, ... */
  readonly pack: string;
  /** The rule name as the plugin reported it: `AwsSolutions-IAM5[Resource::*]`, `s3_bucket_logging_enabled_check`. */
  readonly ruleName: string;
  /** The id to acknowledge it with: `AwsSolutions-IAM5[Resource::*]`, `CT.S3.PR.2`. */
  readonly findingId: string;
  /** The path of the violating construct (usually an L1 `.../Resource`). */
  readonly constructPath: string;
  /** What is wrong, as the plugin describes it. */
  readonly description: string;
  /** `error`, `warning`, `info`, `fatal`, or `custom`. */
  readonly severity: string;
  /**
   * How to fix it, when the plugin says.
   *
   * @default - the plugin gives no fix
   */
  readonly suggestedFix?: string;
  /**
   * The CloudFormation logical id, when the plugin reports one (cfn-guard does; cdk-nag reports construct paths).
   *
   * @default - not reported
   */
  readonly logicalId?: string;
  /**
   * The template file, relative to the cloud assembly, when the plugin reports one.
   *
   * @default - not reported
   */
  readonly templatePath?: string;
}

/** A finding suppressed by an acknowledgment. */
export interface AcknowledgedFinding extends ComplianceFinding {
  /** The acknowledgment's reason. */
  readonly reason: string;
  /** The path of the construct the acknowledgment was made on. */
  readonly acknowledgedAt: string;
  /** The acknowledgment id as recorded: `AwsSolutions::AwsSolutions-S1`. */
  readonly recordedId: string;
}

/** What a pack evaluated. Counts are absent when the pack does not report them. */
export interface PackEvaluation {
  /** The plugin name: `AwsSolutions`, `cdk-validator-cfnguard`, ... */
  readonly pack: string;
  /** A readable name: `NIST 800-53 rev 5 (cdk-nag)`. */
  readonly title: string;
  /**
   * The version of the package that supplies the rules.
   *
   * @default - unknown
   */
  readonly version?: string;
  /**
   * Distinct rules run.
   *
   * @default - not counted
   */
  readonly rulesEvaluated?: number;
  /**
   * Rules that judged at least one resource of the app.
   *
   * @default - not counted
   */
  readonly rulesApplicable?: number;
  /**
   * Applicable rules every resource passed.
   *
   * @default - not counted
   */
  readonly rulesPassed?: number;
  /**
   * Rules with at least one finding (open or acknowledged).
   *
   * @default - not counted
   */
  readonly rulesWithFindings?: number;
  /**
   * (rule, resource) checks that passed (cdk-nag packs only).
   *
   * @default - not counted
   */
  readonly checksCompliant?: number;
  /**
   * (rule, resource) checks that failed (cdk-nag packs only).
   *
   * @default - not counted
   */
  readonly checksNonCompliant?: number;
}

/** A pack's evaluation with its findings counted. */
export interface PackSummary extends PackEvaluation {
  /** Findings neither fixed nor acknowledged. */
  readonly openFindings: number;
  /** Findings suppressed by an acknowledgment. */
  readonly acknowledgedFindings: number;
}

/** A validation plugin that failed to run: its silence proves nothing. */
export interface PluginFailure {
  /** The plugin name. */
  readonly pack: string;
  /** The error it raised. */
  readonly message: string;
}

/** A rule left out of the whole app, with its reason. */
export interface RuleExclusion {
  /** The plugin whose rule it is. */
  readonly pack: string;
  /** The rule's id as a reader knows it: `CT.S3.PR.9`. */
  readonly findingId: string;
  /** The rule name the plugin reports: `s3_bucket_object_lock_enabled_check`. */
  readonly ruleName: string;
  /** Why no resource of the app needs it. */
  readonly reason: string;
}

/** An acknowledgment of the app, with the number of findings it suppressed in this report. */
export interface AcknowledgmentUse extends RecordedAcknowledgment {
  /** Findings (violating constructs) it suppressed; 0 means it matched nothing. */
  readonly findingsCovered: number;
}

/** What `ComplianceReport.fromValidationReport` knows beyond the validation report itself. */
export interface ComplianceReportContext {
  /**
   * The packs that ran, with their counts. Plugins that appear in the report but not here are added without counts.
   *
   * @default - only the plugins named in the report
   */
  readonly packs?: PackEvaluation[];
  /**
   * Rules left out of the app.
   *
   * @default - none
   */
  readonly exclusions?: RuleExclusion[];
  /**
   * The acknowledgments of the app's construct tree (`GatewayCompliance.reviewAcknowledgments(app)`).
   *
   * @default - only the acknowledgments that suppressed a finding, as the report records them
   */
  readonly acknowledgments?: RecordedAcknowledgment[];
  /**
   * The governance controls with the evidence counted in the app's templates.
   *
   * @default - the controls, without evidence counts
   */
  readonly governance?: GovernanceControlReport[];
  /**
   * The paths of the outermost constructs of the library in the app, to tell the library's
   * findings from the consumer's.
   *
   * @default - unknown: every finding's origin is UNKNOWN
   */
  readonly libraryConstructPaths?: string[];
}

/** Options of `ComplianceReport.synthesize`. */
export interface ComplianceSynthesisOptions {
  /**
   * Run cfn-guard a second time, after synthesis, to count the Control Tower rules that passed or
   * did not apply (the validation plugin reports only failures). Costs one more cfn-guard run.
   *
   * @default false
   */
  readonly countControlTowerOutcomes?: boolean;
}

/** Options of `ComplianceReport.toMarkdown`. */
export interface ComplianceMarkdownOptions {
  /**
   * The report's title.
   *
   * @default 'Compliance report'
   */
  readonly title?: string;
  /**
   * What was checked, in one line (shown under the title).
   *
   * @default - no subject line
   */
  readonly subject?: string;
  /**
   * The generation time to print.
   *
   * @default - the current time, ISO 8601
   */
  readonly generatedAt?: string;
}

/**
 * The outcome of the compliance packs on an app: every finding, open or acknowledged (with its
 * reason), per pack counts, rule exclusions and the app's acknowledgments.
 *
 * @example
 * const app = new App();
 * GatewayCompliance.addPacks(app);
 * new MyGatewayStack(app, 'Gateway');
 * const report = ComplianceReport.synthesize(app);
 * if (!report.passed) throw new Error(report.formatFindings());
 * fs.writeFileSync('compliance-report.md', report.toMarkdown());
 */
export class ComplianceReport {
  /**
   * Synthesizes `app` with the compliance packs (adding them with their defaults if
   * `GatewayCompliance.addPacks` was not called on it), reads the `validation-report.json` the
   * synthesis wrote, and returns the report. Does not throw for findings — check `passed`; throws
   * if synthesis fails for another reason.
   *
   * @param app the app to check; it is synthesized again even if it was synthesized before
   * @param options extra counting
   */
  public static synthesize(app: App, options: ComplianceSynthesisOptions = {}): ComplianceReport {
    if (!App.isApp(app)) {
      throw new AiGatewayValidationError(`ComplianceReport.synthesize: app must be an App; received ${String(app)}.`);
    }
    if (!registrationOf(app)) GatewayCompliance.addPacks(app);
    const registration = registrationOf(app) as ComplianceRegistration;
    const reportPath = join(app.outdir, 'validation-report.json');
    rmSync(reportPath, { force: true });

    // In-memory mode: aws-cdk-lib throws with the report instead of also printing it to stderr.
    const previousMode = process.env.CDK_APP_MODE;
    process.env.CDK_APP_MODE = 'inmemory';
    let failure: unknown;
    try {
      app.synth({ force: true });
    } catch (e) {
      failure = e;
    } finally {
      if (previousMode === undefined) delete process.env.CDK_APP_MODE;
      else process.env.CDK_APP_MODE = previousMode;
    }
    if (!existsSync(reportPath)) {
      // Synthesis failed before the validation plugins ran (a construct's own validation, say).
      if (failure) throw failure;
      throw new AiGatewayValidationError(`ComplianceReport.synthesize: synthesis wrote no ${reportPath}; does the app have any stack?`);
    }

    const packs: PackEvaluation[] = registration.packs.map((p) => {
      const counts = p.tally?.counts();
      return { pack: p.pack, title: PACK_TITLES[p.pack], version: p.version, ...counts };
    });
    if (options.countControlTowerOutcomes) {
      const index = packs.findIndex((p) => p.pack === CompliancePack.CONTROL_TOWER);
      if (index !== -1) {
        const outcomes = guardRuleOutcomes(templatePathsOf(app), registration.exclusions.map((e) => e.fileName));
        packs[index] = {
          ...packs[index],
          rulesEvaluated: outcomes.length,
          rulesApplicable: outcomes.filter((o) => o.status !== 'SKIP').length,
          rulesPassed: outcomes.filter((o) => o.status === 'PASS').length,
          rulesWithFindings: outcomes.filter((o) => o.status === 'FAIL').length,
        };
      }
    }
    return ComplianceReport.fromValidationReport(readFileSync(reportPath, 'utf8'), {
      packs,
      exclusions: registration.exclusions.map((e) => ({
        pack: CompliancePack.CONTROL_TOWER, findingId: e.controlId, ruleName: e.ruleName, reason: e.reason,
      })),
      acknowledgments: GatewayCompliance.reviewAcknowledgments(app),
      governance: governanceOf(app),
      libraryConstructPaths: libraryConstructPaths(app),
    });
  }

  /**
   * A report from the text of a `validation-report.json` (for example one `cdk synth` wrote).
   *
   * @param reportJson the file's content
   * @param context what the file does not hold: the packs that ran, exclusions, the tree's acknowledgments
   */
  public static fromValidationReport(reportJson: string, context: ComplianceReportContext = {}): ComplianceReport {
    return new ComplianceReport(reportJson, context);
  }

  /** Findings neither fixed nor acknowledged. */
  public readonly findings: ComplianceFinding[];
  /** Findings suppressed by an acknowledgment, each with its reason. */
  public readonly acknowledgedFindings: AcknowledgedFinding[];
  /** Every pack that ran (or reported), with counts. */
  public readonly packs: PackSummary[];
  /** Rules left out of the whole app. */
  public readonly exclusions: RuleExclusion[];
  /** Every acknowledgment, with the findings it covered and any problem a reviewer would have with it. */
  public readonly acknowledgments: AcknowledgmentUse[];
  /** Validation plugins that failed to run. */
  public readonly pluginFailures: PluginFailure[];
  /** The governance controls, what implements them, and the evidence found in the templates. */
  public readonly governance: GovernanceControlReport[];
  /** The outermost constructs of the library in the app (empty when unknown). */
  public readonly libraryConstructPaths: string[];
  private readonly originKnown: boolean;

  private constructor(reportJson: string, context: ComplianceReportContext) {
    const parsed = parseValidationReport(reportJson);
    this.findings = parsed.violations.map(toFinding);
    this.acknowledgedFindings = parsed.suppressions.map((s) => ({
      ...toFinding(s), reason: s.reason, acknowledgedAt: s.acknowledgedAt, recordedId: s.acknowledgedId,
    }));
    this.pluginFailures = parsed.failures.map((f) => ({ pack: f.pluginName, message: f.message }));
    this.exclusions = [...(context.exclusions ?? [])];
    this.governance = context.governance ?? GovernanceControls.all().map((c) => ({ ...c, evidenceFound: [] }));
    this.libraryConstructPaths = [...(context.libraryConstructPaths ?? [])];
    this.originKnown = context.libraryConstructPaths !== undefined;

    const evaluations: PackEvaluation[] = [...(context.packs ?? [])];
    for (const plugin of parsed.plugins) {
      if (!evaluations.some((e) => e.pack === plugin.pluginName)) {
        const known = Object.values(CompliancePack).find((p) => p === plugin.pluginName);
        const title = known ? PACK_TITLES[known] : OTHER_PLUGIN_TITLES[plugin.pluginName] ?? plugin.pluginName;
        evaluations.push({ pack: plugin.pluginName, title, version: plugin.pluginVersion });
      }
    }
    this.packs = evaluations.map((e) => ({
      ...e,
      openFindings: this.findings.filter((f) => f.pack === e.pack).length,
      acknowledgedFindings: this.acknowledgedFindings.filter((f) => f.pack === e.pack).length,
    }));

    const covered = (recordedId: string, at: string) =>
      this.acknowledgedFindings.filter((f) => f.recordedId === recordedId && f.acknowledgedAt === at).length;
    const recorded: RecordedAcknowledgment[] = context.acknowledgments ? [...context.acknowledgments] : [];
    if (!context.acknowledgments) {
      for (const f of this.acknowledgedFindings) {
        if (!recorded.some((r) => r.recordedId === f.recordedId && r.constructPath === f.acknowledgedAt)) {
          recorded.push({
            recordedId: f.recordedId, findingId: f.findingId, reason: f.reason, constructPath: f.acknowledgedAt,
            problem: GatewayCompliance.checkReason(f.reason),
          });
        }
      }
    }
    this.acknowledgments = recorded.map((r) => ({ ...r, findingsCovered: covered(r.recordedId, r.constructPath) }));
  }

  /**
   * Whether a construct path belongs to the library's constructs or to the consumer's own resources.
   *
   * @param constructPath a finding's `constructPath` or an acknowledgment's
   */
  public originOf(constructPath: string): FindingOrigin {
    if (!this.originKnown) return FindingOrigin.UNKNOWN;
    return isUnderAny(constructPath, this.libraryConstructPaths) ? FindingOrigin.LIBRARY : FindingOrigin.CONSUMER;
  }

  /** True when no finding is open, no plugin failed and no acknowledgment has a problem. */
  public get passed(): boolean {
    return this.findings.length === 0 && this.pluginFailures.length === 0 && this.acknowledgmentProblems.length === 0;
  }

  /** Acknowledgments a reviewer would reject (weak reason, whole-stack, invisible to the report, unknown id). */
  public get acknowledgmentProblems(): AcknowledgmentUse[] {
    return this.acknowledgments.filter((a) => a.problem !== undefined);
  }

  /** Acknowledgments that suppressed no finding of a compliance pack (stale, or for a CDK warning). */
  public get unusedAcknowledgments(): AcknowledgmentUse[] {
    return this.acknowledgments.filter((a) => a.findingsCovered === 0);
  }

  /**
   * The open findings, plugin failures and acknowledgment problems as plain text, one line each
   * (rule, pack, construct path, description), with how to resolve them. Empty when `passed`.
   */
  public formatFindings(): string {
    return renderFindings(this);
  }

  /**
   * The report as Markdown, for a compliance reviewer: packs run with versions and counts, rule
   * exclusions, every acknowledgment with its reason, acknowledged findings, and open findings.
   *
   * @param options title, subject and generation time
   */
  public toMarkdown(options: ComplianceMarkdownOptions = {}): string {
    return renderMarkdown(this, options);
  }
}

function toFinding(v: ReportedViolation): ComplianceFinding {
  return {
    pack: v.pluginName,
    ruleName: v.ruleName,
    findingId: displayIdOfFinding(v.pluginName, v.ruleName),
    constructPath: v.constructPath,
    description: v.description,
    severity: v.severity,
    suggestedFix: v.suggestedFix,
    logicalId: v.logicalId,
    templatePath: v.templatePath,
  };
}

/** The governance controls with the evidence counted in the app's synthesized templates. */
function governanceOf(app: App): GovernanceControlReport[] {
  const templates = templatePathsOf(app).map((p) => JSON.parse(readFileSync(p, 'utf8')) as unknown);
  return GovernanceControls.all().map((c) => ({ ...c, evidenceFound: c.evidence.map((e) => countEvidence(templates, e)) }));
}

/** The templates of the app's own stacks (and their nested stacks), which the app-level plugins check. */
function templatePathsOf(app: App): string[] {
  return app.node.findAll()
    .filter((c): c is Stack => Stack.isStack(c) && Stage.of(c) === app)
    .map((s) => join(app.outdir, s.templateFile))
    .filter((p) => existsSync(p));
}
