import { DefaultStackSynthesizer, Fn, Names, Stack, Token } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as aoss from 'aws-cdk-lib/aws-opensearchserverless';
import * as s3vectors from 'aws-cdk-lib/aws-s3vectors';
import { Construct, IDependable } from 'constructs';
import { AiGatewayValidationError } from '../../private/errors';
import type { OpenSearchServerlessStoreOptions } from '../tenant-knowledge-base';

/** What a knowledge base needs of its vector store. */
export interface VectorStoreBinding {
  /** The knowledge base's `storageConfiguration`. */
  readonly storageConfiguration: bedrock.CfnKnowledgeBase.StorageConfigurationProperty;
  /** What must exist before the knowledge base is created (the index, the policies). */
  readonly dependables: readonly IDependable[];
}

/** Props of {@link s3VectorsStore}. */
export interface S3VectorsStoreProps {
  readonly key: kms.IKey;
  readonly dimensions: number;
  readonly role: iam.IRole;
  readonly nonFilterableMetadataKeys: string[];
}

/**
 * What the knowledge base role may do on its S3 Vectors index: the actions Bedrock's S3 Vectors
 * store needs (write and delete on ingestion, get and query on retrieval). `QueryVectors` with a
 * metadata filter or returned metadata also needs `GetVectors`
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_S3VectorBuckets_QueryVectors.html; the
 * actions: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3vectors.html).
 * Unverified: the Bedrock user guide's own statement for this role was not retrieved; `ListVectors`
 * is kept for the data deletion of a removed data source.
 */
export const S3_VECTORS_INDEX_ACTIONS = [
  's3vectors:GetIndex', 's3vectors:PutVectors', 's3vectors:GetVectors', 's3vectors:DeleteVectors', 's3vectors:QueryVectors', 's3vectors:ListVectors',
];

/**
 * An S3 Vectors bucket and index in `scope` (ids `VectorBucket` and `Index`, as before the store
 * was a choice, so existing knowledge bases keep them), KMS-encrypted, and the knowledge base role's
 * grant on exactly that index.
 */
export function s3VectorsStore(scope: Construct, props: S3VectorsStoreProps): VectorStoreBinding {
  const vectorBucket = new s3vectors.CfnVectorBucket(scope, 'VectorBucket', {
    encryptionConfiguration: { sseType: 'aws:kms', kmsKeyArn: props.key.keyArn },
  });
  const index = new s3vectors.CfnIndex(scope, 'Index', {
    vectorBucketArn: vectorBucket.attrVectorBucketArn,
    dataType: 'float32',
    dimension: props.dimensions,
    distanceMetric: 'cosine',
    metadataConfiguration: { nonFilterableMetadataKeys: props.nonFilterableMetadataKeys },
  });
  props.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: S3_VECTORS_INDEX_ACTIONS, resources: [index.attrIndexArn] }));
  return { storageConfiguration: { type: 'S3_VECTORS', s3VectorsConfiguration: { indexArn: index.attrIndexArn } }, dependables: [index] };
}

/** Props of {@link OpenSearchServerlessStore}. */
export interface OpenSearchServerlessStoreProps extends OpenSearchServerlessStoreOptions {
  readonly key: kms.IKey;
  readonly dimensions: number;
  readonly role: iam.IRole;
}

const NAME = /^[a-z][a-z0-9-]{2,31}$/;

/** An OpenSearch Serverless collection name (3–32 lower-case letters, digits, hyphens, a letter first) unique to `scope`. */
function collectionName(scope: Construct): string {
  const unique = Names.uniqueResourceName(scope, { maxLength: 28, separator: '-' }).toLowerCase().replace(/[^a-z0-9-]/g, '');
  return `kb-${unique}`.slice(0, 32).replace(/-+$/, '');
}

/**
 * An OpenSearch Serverless `VECTORSEARCH` collection for a knowledge base: encrypted with the
 * customer key (an encryption policy, which must exist before the collection), reachable only from
 * Amazon Bedrock (and the VPC endpoints named) through a network policy without public access, a
 * data access policy that lets the knowledge base role read and write documents of its one index
 * and the deployment role administer that index, the vector index itself
 * (`AWS::OpenSearchServerless::Index`: a FAISS HNSW `knn_vector` field, the text and metadata fields
 * Bedrock writes), and the role's `aoss:APIAccessAll` on exactly this collection.
 *
 * Policies: https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-encryption.html,
 * serverless-network.html, serverless-data-access.html; the index mapping Bedrock needs:
 * https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-setup.html.
 */
export class OpenSearchServerlessStore extends Construct implements VectorStoreBinding {
  /** The vector index's name. */
  public static readonly INDEX_NAME = 'bedrock-knowledge-base-default-index';
  /** The fields Bedrock writes: the vector, the chunk text and Bedrock's own metadata (not indexed). */
  public static readonly FIELDS = { vectorField: 'bedrock-knowledge-base-default-vector', textField: 'AMAZON_BEDROCK_TEXT_CHUNK', metadataField: 'AMAZON_BEDROCK_METADATA' };
  /** What the knowledge base role may do on the collection and on its index (documents, never index deletion). */
  public static readonly ROLE_PERMISSIONS = {
    collection: ['aoss:DescribeCollectionItems'],
    index: ['aoss:DescribeIndex', 'aoss:ReadDocument', 'aoss:WriteDocument', 'aoss:UpdateIndex'],
  };
  /** What the deployment role may do on the index (CloudFormation creates, updates and deletes it). */
  public static readonly ADMINISTRATOR_PERMISSIONS = {
    collection: ['aoss:DescribeCollectionItems'],
    index: ['aoss:CreateIndex', 'aoss:DescribeIndex', 'aoss:UpdateIndex', 'aoss:DeleteIndex'],
  };

  public readonly collectionName: string;
  public readonly collection: aoss.CfnCollection;
  public readonly storageConfiguration: bedrock.CfnKnowledgeBase.StorageConfigurationProperty;
  public readonly dependables: readonly IDependable[];

  constructor(scope: Construct, id: string, props: OpenSearchServerlessStoreProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const name = collectionName(this);
    if (!NAME.test(name)) throw new AiGatewayValidationError(`the OpenSearch Serverless collection name '${name}' derived from the construct path is not valid.`, this);
    this.collectionName = name;
    for (const [i, vpce] of (props.vpcEndpointIds ?? []).entries()) {
      if (!Token.isUnresolved(vpce) && !/^vpce-[0-9a-z]{1,40}$/.test(vpce)) {
        throw new AiGatewayValidationError(`openSearchServerless.vpcEndpointIds[${i}] must be an OpenSearch Serverless VPC endpoint id (vpce-…), received '${vpce}'.`, this);
      }
    }
    const administrators = props.indexAdministratorArns ?? [defaultDeploymentRoleArn(this)];
    const collectionRule = { ResourceType: 'collection', Resource: [`collection/${name}`] };
    const indexResource = [`index/${name}/${OpenSearchServerlessStore.INDEX_NAME}`];

    const encryption = new aoss.CfnSecurityPolicy(this, 'EncryptionPolicy', {
      name, type: 'encryption',
      description: 'Encrypts the knowledge base collection with its customer-managed key',
      policy: stack.toJsonString({ Rules: [collectionRule], AWSOwnedKey: false, KmsARN: props.key.keyArn }),
    });
    const network = new aoss.CfnSecurityPolicy(this, 'NetworkPolicy', {
      name, type: 'network',
      description: 'Only Amazon Bedrock (and the named VPC endpoints) reach the knowledge base collection; no public access, no dashboards',
      policy: stack.toJsonString([{
        Rules: [collectionRule],
        AllowFromPublic: false,
        SourceServices: ['bedrock.amazonaws.com'],
        ...(props.vpcEndpointIds?.length ? { SourceVPCEs: props.vpcEndpointIds } : {}),
      }]),
    });
    const access = new aoss.CfnAccessPolicy(this, 'DataAccessPolicy', {
      name, type: 'data',
      description: 'The knowledge base role reads and writes documents of its index; the deployment role administers that index',
      policy: stack.toJsonString([
        {
          Description: 'knowledge base service role',
          Rules: [
            { ...collectionRule, Permission: OpenSearchServerlessStore.ROLE_PERMISSIONS.collection },
            { ResourceType: 'index', Resource: indexResource, Permission: OpenSearchServerlessStore.ROLE_PERMISSIONS.index },
          ],
          Principal: [props.role.roleArn],
        },
        {
          Description: 'deployment (the vector index resource)',
          Rules: [
            { ...collectionRule, Permission: OpenSearchServerlessStore.ADMINISTRATOR_PERMISSIONS.collection },
            { ResourceType: 'index', Resource: indexResource, Permission: OpenSearchServerlessStore.ADMINISTRATOR_PERMISSIONS.index },
          ],
          Principal: administrators,
        },
      ]),
    });
    this.collection = new aoss.CfnCollection(this, 'Collection', {
      name, type: 'VECTORSEARCH',
      description: 'The vector store of a cdk-ai-gateway knowledge base',
      standbyReplicas: props.standbyReplicas === false ? 'DISABLED' : 'ENABLED',
    });
    this.collection.node.addDependency(encryption, network);

    const { vectorField, textField, metadataField } = OpenSearchServerlessStore.FIELDS;
    const index = new aoss.CfnIndex(this, 'VectorIndex', {
      collectionEndpoint: this.collection.attrCollectionEndpoint,
      indexName: OpenSearchServerlessStore.INDEX_NAME,
      settings: { index: { knn: true, knnAlgoParamEfSearch: 512 } },
      mappings: {
        properties: {
          [vectorField]: {
            type: 'knn_vector', dimension: props.dimensions,
            method: { name: 'hnsw', engine: 'faiss', spaceType: 'l2', parameters: { efConstruction: 512, m: 16 } },
          },
          [textField]: { type: 'text', index: true },
          [metadataField]: { type: 'text', index: false },
        },
      },
    });
    index.node.addDependency(access, network, this.collection);

    props.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['aoss:APIAccessAll'], resources: [this.collection.attrArn] }));
    this.storageConfiguration = {
      type: 'OPENSEARCH_SERVERLESS',
      opensearchServerlessConfiguration: {
        collectionArn: this.collection.attrArn,
        vectorIndexName: OpenSearchServerlessStore.INDEX_NAME,
        fieldMapping: OpenSearchServerlessStore.FIELDS,
      },
    };
    this.dependables = [index, access];
  }
}

/** The CloudFormation execution role of a stack deployed with the default synthesizer. */
function defaultDeploymentRoleArn(scope: Construct): string {
  const stack = Stack.of(scope);
  const synthesizer = stack.synthesizer;
  if (!(synthesizer instanceof DefaultStackSynthesizer)) {
    throw new AiGatewayValidationError('openSearchServerless.indexAdministratorArns is required when the stack does not use the DefaultStackSynthesizer: '
      + 'name the role CloudFormation deploys the stack with.', scope);
  }
  // The synthesizer's ARN keeps `${AWS::Partition}` (and the account and Region of an
  // environment-agnostic stack) as placeholders for the CLI: Fn::Sub resolves them in the template.
  return Fn.sub(synthesizer.cloudFormationExecutionRoleArn);
}
