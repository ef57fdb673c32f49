import { createHash } from 'node:crypto';
import { Stack } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IDependable } from 'constructs';
import { acknowledgeAwsCustomResourceFunction } from '../../private/function-compliance';
import { FunctionExecutionRole, shareWithAwsCustomResourceFunction } from '../../private/function-role';
import { encryptedLogGroup } from '../../private/kms';

/** Props of {@link IngestionOnDeploy}. */
export interface IngestionOnDeployProps {
  readonly knowledgeBaseId: string;
  readonly knowledgeBaseArn: string;
  readonly dataSource: bedrock.CfnDataSource;
  /** Encrypts the function's log group. */
  readonly key: kms.IKey;
  /** What must exist before the first job (the knowledge base role's policy). */
  readonly after: readonly IDependable[];
}

/**
 * Starts an ingestion job (`bedrock-agent` StartIngestionJob) when the data source is created and
 * whenever its configuration changes: an `AwsCustomResource` whose properties carry a digest of the
 * data source's configuration, so CloudFormation updates it (and only it) on such a change. The
 * digest is also the call's `clientToken`, so a retried create or update starts no second job.
 * A `ConflictException` (another job of the data source is running, e.g. the scheduled one) is not
 * a deployment failure: the scheduled ingestion takes the change.
 */
export class IngestionOnDeploy extends Construct {
  /** The digest of the data source configuration (also the StartIngestionJob client token). */
  public readonly configurationDigest: string;

  constructor(scope: Construct, id: string, props: IngestionOnDeployProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const ds = props.dataSource;
    this.configurationDigest = createHash('sha256').update(JSON.stringify(stack.resolve({
      knowledgeBaseId: ds.knowledgeBaseId,
      dataSourceConfiguration: ds.dataSourceConfiguration,
      vectorIngestionConfiguration: ds.vectorIngestionConfiguration,
      serverSideEncryptionConfiguration: ds.serverSideEncryptionConfiguration,
    }))).digest('hex');

    const purpose = 'the ingestion on deploy of a cdk-ai-gateway knowledge base';
    const { logGroup } = encryptedLogGroup(this, 'LogGroup', { key: props.key, purpose: `the logs of ${purpose}` });
    const role = new FunctionExecutionRole(this, 'Role', { purpose, logGroup, tracing: false, vpc: false });
    const statement = new iam.PolicyStatement({ actions: ['bedrock:StartIngestionJob'], resources: [props.knowledgeBaseArn] });
    const policy = new iam.ManagedPolicy(this, 'StartPolicy', {
      description: `Lets ${purpose} start ingestion jobs of exactly this knowledge base`,
      statements: [statement],
    });
    role.addManagedPolicy(policy);

    const call: cr.AwsSdkCall = {
      service: 'bedrock-agent',
      action: 'StartIngestionJob',
      parameters: {
        knowledgeBaseId: props.knowledgeBaseId,
        dataSourceId: ds.attrDataSourceId,
        clientToken: this.configurationDigest,
        description: `cdk-ai-gateway deployment, data source configuration ${this.configurationDigest.slice(0, 12)}`,
      },
      physicalResourceId: cr.PhysicalResourceId.of(this.configurationDigest),
      ignoreErrorCodesMatching: 'ConflictException',
    };
    const start = new cr.AwsCustomResource(this, 'Start', {
      resourceType: 'Custom::KnowledgeBaseIngestion',
      onCreate: call,
      onUpdate: call,
      role,
      logGroup,
      memorySize: 256,
      installLatestAwsSdk: false,
    });
    shareWithAwsCustomResourceFunction(start, role, policy);
    start.node.addDependency(policy, ds, ...props.after);
    acknowledgeAwsCustomResourceFunction(stack);
  }
}
