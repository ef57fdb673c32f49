import { ArnFormat, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { KnowledgeSourceConfig, KnowledgeSourceKind } from '../../lambda/shared/config-retrieval';
import { AiGatewayValidationError } from '../private/errors';
import { newKey } from '../private/kms';
import { ManagedPolicyRole } from '../private/managed-policy-role';
import { SchedulerRole } from '../private/scheduler-role';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { flattenValue } from '../compliance/rules/iam-statements';
import { IngestionOnDeploy } from './private/ingestion-on-deploy';
import { OpenSearchServerlessStore, s3VectorsStore, VectorStoreBinding } from './private/vector-stores';

/** What the knowledge base and its schedule do with the key, without wildcards. */
const KEY_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];

/** `bedrock:Retrieve` on exactly one knowledge base. */
function grantRetrieveOn(grantee: iam.IGrantable, knowledgeBaseArn: string): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:Retrieve'], resourceArns: [knowledgeBaseArn] });
}

function bedrockSourceConfig(id: string, knowledgeBaseId: string): KnowledgeSourceConfig {
  return { id, kind: KnowledgeSourceKind.BEDROCK_KNOWLEDGE_BASE, knowledgeBaseId };
}

/** A knowledge base the gateway may search: one built here, or one brought by id. */
export interface IKnowledgeSource {
  /** The knowledge base id. */
  readonly knowledgeBaseId: string;
  /** The knowledge base ARN. */
  readonly knowledgeBaseArn: string;
  /** Grants `bedrock:Retrieve` on exactly this knowledge base. */
  grantRetrieve(grantee: iam.IGrantable): iam.Grant;
  /** The gateway configuration entry of this source (add it to `knowledgeSources`). */
  knowledgeSourceConfig(id: string): KnowledgeSourceConfig;
}

/** Where a `TenantKnowledgeBase` keeps its vectors. */
export enum KnowledgeBaseVectorStore {
  /** Amazon S3 Vectors: a vector bucket and index (the lowest-cost store). */
  S3_VECTORS = 's3-vectors',
  /**
   * An Amazon OpenSearch Serverless `VECTORSEARCH` collection (hybrid search, higher query rates;
   * billed by OpenSearch Compute Units, with a minimum while the collection exists).
   */
  OPENSEARCH_SERVERLESS = 'opensearch-serverless',
}

/** Options of the OpenSearch Serverless vector store of a `TenantKnowledgeBase`. */
export interface OpenSearchServerlessStoreOptions {
  /**
   * OpenSearch Serverless-managed VPC endpoint ids (`vpce-…`, `CfnVpcEndpoint.attrId`) that may
   * reach the collection besides Amazon Bedrock (operators' tools inside the VPC).
   * @default - none: only Amazon Bedrock reaches the collection; no public access
   */
  readonly vpcEndpointIds?: string[];

  /**
   * The IAM role ARNs that create and update the vector index: the principal CloudFormation deploys
   * with (the `AWS::OpenSearchServerless::Index` resource calls the collection's data plane with
   * it). They get administration of this one index only, never document access.
   * @default - the CloudFormation execution role of the stack's `DefaultStackSynthesizer`
   */
  readonly indexAdministratorArns?: string[];

  /**
   * Standby replicas in another Availability Zone (more available, about twice the minimum OCUs).
   * @default true
   */
  readonly standbyReplicas?: boolean;
}

/** Props of `TenantKnowledgeBase`. */
export interface TenantKnowledgeBaseProps {
  /**
   * The bucket of the documents. Each document carries a `<name>.metadata.json` sidecar with
   * `{"metadataAttributes": {"tenant": "acme", "sensitivity": "internal", "source": "handbook"}}`.
   */
  readonly documents: s3.IBucket;

  /**
   * Only documents under this prefix are ingested.
   * @default - the whole bucket
   */
  readonly documentsPrefix?: string;

  /**
   * The key that encrypts the vector store and the knowledge base's transient ingestion data.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The Bedrock embedding model id.
   * @default TenantKnowledgeBase.DEFAULT_EMBEDDING_MODEL_ID
   */
  readonly embeddingModelId?: string;

  /**
   * The embedding dimensions (Titan Text Embeddings V2: 256, 512 or 1024).
   * @default 1024
   */
  readonly dimensions?: number;

  /**
   * How often the documents are ingested again (an EventBridge Scheduler rate, in hours).
   * @default Duration.days(1)
   */
  readonly ingestionInterval?: Duration;

  /**
   * The vector store.
   * @default KnowledgeBaseVectorStore.S3_VECTORS
   */
  readonly vectorStore?: KnowledgeBaseVectorStore;

  /**
   * Options of the OpenSearch Serverless store (only with `vectorStore: OPENSEARCH_SERVERLESS`).
   * @default - Bedrock-only network access, the default synthesizer's deployment role, standby replicas
   */
  readonly openSearchServerless?: OpenSearchServerlessStoreOptions;
}

/**
 * A tenant-aware Amazon Bedrock Knowledge Base over an S3 data source, with Amazon S3 Vectors (or an
 * OpenSearch Serverless collection, `vectorStore`) as the vector store: KMS-encrypted with a customer
 * key, a least-privilege service role, an ingestion
 * job on deploy (when the data source is created or its configuration changes) and an EventBridge
 * Scheduler schedule that starts one (`bedrockagent:StartIngestionJob`) at the set interval.
 * Documents carry `tenant`, `sensitivity` and `source` metadata in S3 `.metadata.json` sidecars; the gateway filters every search by tenant and clearance.
 *
 * @example
 * const kb = new TenantKnowledgeBase(this, 'Handbook', { documents: bucket });
 * // gateway configuration: knowledgeSources: [kb.knowledgeSourceConfig('handbook')]
 */
export class TenantKnowledgeBase extends Construct implements IKnowledgeSource {
  /** Titan Text Embeddings V2. */
  public static readonly DEFAULT_EMBEDDING_MODEL_ID = 'amazon.titan-embed-text-v2:0';
  /** Titan V2 dimensions. */
  public static readonly ALLOWED_DIMENSIONS = [256, 512, 1024];
  /**
   * Metadata Bedrock writes that must not be filterable on S3 Vectors: filterable metadata is
   * limited to 2 KB per vector and the chunk text alone exceeds it.
   */
  public static readonly NON_FILTERABLE_METADATA_KEYS = ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'];

  /** A knowledge base made elsewhere (OpenSearch Serverless, any vector store), by id. */
  public static fromKnowledgeBaseId(scope: Construct, id: string, knowledgeBaseId: string): IKnowledgeSource {
    const arn = Stack.of(scope).formatArn({ service: 'bedrock', resource: 'knowledge-base', resourceName: knowledgeBaseId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    return new ImportedKnowledgeBase(scope, id, knowledgeBaseId, arn);
  }

  public readonly knowledgeBaseId: string;
  public readonly knowledgeBaseArn: string;
  /** The data source id (for ingestion jobs). */
  public readonly dataSourceId: string;
  /** The key of the vector store. */
  public readonly encryptionKey: kms.IKey;
  /** The knowledge base's service role. */
  public readonly role: iam.IRole;
  /** Where the vectors are kept. */
  public readonly vectorStore: KnowledgeBaseVectorStore;

  constructor(scope: Construct, id: string, props: TenantKnowledgeBaseProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const dimensions = props.dimensions ?? 1024;
    if (!Token.isUnresolved(dimensions) && !TenantKnowledgeBase.ALLOWED_DIMENSIONS.includes(dimensions)) {
      throw new AiGatewayValidationError(`dimensions must be one of ${TenantKnowledgeBase.ALLOWED_DIMENSIONS.join(', ')}, received ${dimensions}.`, this);
    }
    const hours = (props.ingestionInterval ?? Duration.days(1)).toHours({ integral: false });
    if (!Number.isInteger(hours) || hours < 1) throw new AiGatewayValidationError(`ingestionInterval must be a whole number of hours (at least 1), received ${hours}.`, this);
    const modelId = props.embeddingModelId ?? TenantKnowledgeBase.DEFAULT_EMBEDDING_MODEL_ID;
    const modelArn = stack.formatArn({ service: 'bedrock', account: '', resource: 'foundation-model', resourceName: modelId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    this.encryptionKey = props.encryptionKey ?? newKey(this, 'Key', 'Encrypts a cdk-ai-gateway knowledge base vector store');

    const vectorStore = props.vectorStore ?? KnowledgeBaseVectorStore.S3_VECTORS;
    if (props.openSearchServerless !== undefined && vectorStore !== KnowledgeBaseVectorStore.OPENSEARCH_SERVERLESS) {
      throw new AiGatewayValidationError(`openSearchServerless applies only with vectorStore ${KnowledgeBaseVectorStore.OPENSEARCH_SERVERLESS}, received vectorStore ${vectorStore}.`, this);
    }

    const role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'bedrock', resource: 'knowledge-base', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }) },
        },
      }),
      description: 'The service role of a cdk-ai-gateway knowledge base: embeds documents and reads and writes its vector index',
    });
    this.role = role;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [modelArn] }));
    const store: VectorStoreBinding = vectorStore === KnowledgeBaseVectorStore.OPENSEARCH_SERVERLESS
      ? new OpenSearchServerlessStore(this, 'OpenSearchServerless', { ...props.openSearchServerless, key: this.encryptionKey, dimensions, role })
      : s3VectorsStore(this, { key: this.encryptionKey, dimensions, role, nonFilterableMetadataKeys: TenantKnowledgeBase.NON_FILTERABLE_METADATA_KEYS });
    this.vectorStore = vectorStore;
    // Exact actions (no grantRead wildcards): list the bucket, read the documents under the prefix.
    const documentObjects = props.documents.arnForObjects(`${props.documentsPrefix ?? ''}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.documents.bucketArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [documentObjects] }));
    props.documents.encryptionKey?.grant(role, 'kms:Decrypt');
    this.encryptionKey.grant(role, ...KEY_ACTIONS);
    GatewayCompliance.acknowledge(role.grantsPolicy, `AwsSolutions-IAM5[Resource::${flattenValue(stack.resolve(documentObjects))}]`,
      'The knowledge base ingests every document under its prefix (only GetObject, on that prefix of the one documents bucket): the objects are not known at deploy time.');

    const kb = new bedrock.CfnKnowledgeBase(this, 'KnowledgeBase', {
      name: Names.uniqueResourceName(this, { maxLength: 100 }),
      roleArn: role.roleArn,
      knowledgeBaseConfiguration: {
        type: 'VECTOR',
        vectorKnowledgeBaseConfiguration: {
          embeddingModelArn: modelArn,
          embeddingModelConfiguration: { bedrockEmbeddingModelConfiguration: { dimensions, embeddingDataType: 'FLOAT32' } },
        },
      },
      storageConfiguration: store.storageConfiguration,
    });
    kb.node.addDependency(role, ...store.dependables);
    this.knowledgeBaseId = kb.attrKnowledgeBaseId;
    this.knowledgeBaseArn = kb.attrKnowledgeBaseArn;

    const dataSource = new bedrock.CfnDataSource(this, 'DataSource', {
      knowledgeBaseId: kb.attrKnowledgeBaseId,
      name: 'documents',
      dataDeletionPolicy: 'DELETE',
      dataSourceConfiguration: {
        type: 'S3',
        s3Configuration: { bucketArn: props.documents.bucketArn, ...(props.documentsPrefix ? { inclusionPrefixes: [props.documentsPrefix] } : {}) },
      },
      serverSideEncryptionConfiguration: { kmsKeyArn: this.encryptionKey.keyArn },
    });
    this.dataSourceId = dataSource.attrDataSourceId;

    const schedulerRole = new SchedulerRole(this, 'IngestionScheduleRole', {
      description: 'Starts the ingestion jobs of a cdk-ai-gateway knowledge base on its schedule',
    });
    schedulerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['bedrock:StartIngestionJob'], resources: [kb.attrKnowledgeBaseArn] }));
    // A universal target: `arn:aws:scheduler:::aws-sdk:<SDK service id>:<apiAction>`, the SDK id of
    // Bedrock Agent being `bedrockagent` (not the endpoint prefix `bedrock-agent`), and `Input` the
    // API's request parameters (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html).
    // The parameter casing (`KnowledgeBaseId`, `DataSourceId`, as the universal targets of the
    // Step Functions SDK integrations and public stacks write them) is not stated by that page: unverified.
    new scheduler.CfnSchedule(this, 'IngestionSchedule', {
      description: 'Ingests the knowledge base documents again (cdk-ai-gateway)',
      scheduleExpression: `rate(${hours} ${hours === 1 ? 'hour' : 'hours'})`,
      flexibleTimeWindow: { mode: 'OFF' },
      kmsKeyArn: this.encryptionKey.keyArn,
      target: {
        arn: 'arn:aws:scheduler:::aws-sdk:bedrockagent:startIngestionJob',
        roleArn: schedulerRole.roleArn,
        input: stack.toJsonString({ KnowledgeBaseId: kb.attrKnowledgeBaseId, DataSourceId: dataSource.attrDataSourceId }),
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
      },
    });
    this.encryptionKey.grant(schedulerRole, ...KEY_ACTIONS);

    new IngestionOnDeploy(this, 'IngestionOnDeploy', {
      knowledgeBaseId: kb.attrKnowledgeBaseId,
      knowledgeBaseArn: kb.attrKnowledgeBaseArn,
      dataSource,
      key: this.encryptionKey,
      after: [role.grantsPolicy, kb],
    });
  }

  public grantRetrieve(grantee: iam.IGrantable): iam.Grant {
    return grantRetrieveOn(grantee, this.knowledgeBaseArn);
  }

  public knowledgeSourceConfig(id: string): KnowledgeSourceConfig {
    return bedrockSourceConfig(id, this.knowledgeBaseId);
  }
}

class ImportedKnowledgeBase extends Construct implements IKnowledgeSource {
  constructor(scope: Construct, id: string, public readonly knowledgeBaseId: string, public readonly knowledgeBaseArn: string) {
    super(scope, id);
  }

  public grantRetrieve(grantee: iam.IGrantable): iam.Grant {
    return grantRetrieveOn(grantee, this.knowledgeBaseArn);
  }

  public knowledgeSourceConfig(id: string): KnowledgeSourceConfig {
    return bedrockSourceConfig(id, this.knowledgeBaseId);
  }
}
