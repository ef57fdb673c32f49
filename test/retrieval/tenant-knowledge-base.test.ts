import { App, CliCredentialsStackSynthesizer, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { KnowledgeBaseVectorStore, OpenSearchServerlessStoreOptions, TenantKnowledgeBase } from '../../lib/retrieval';

function build(props: Partial<ConstructorParameters<typeof TenantKnowledgeBase>[2]> = {}): { stack: Stack; kb: TenantKnowledgeBase; template: () => Template } {
  const stack = new Stack(new App(), 'Kb', { env: { account: '111122223333', region: 'us-east-1' } });
  const documents = s3.Bucket.fromBucketName(stack, 'Docs', 'docs-bucket');
  const kb = new TenantKnowledgeBase(stack, 'Handbook', { documents, ...props });
  return { stack, kb, template: () => Template.fromStack(stack) };
}

describe('TenantKnowledgeBase', () => {
  test('stores vectors in S3 Vectors', () => {
    build().template().hasResourceProperties('AWS::Bedrock::KnowledgeBase', {
      StorageConfiguration: { Type: 'S3_VECTORS', S3VectorsConfiguration: { IndexArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Index'), 'IndexArn'] } } },
    });
  });

  test('embeds with Titan Text Embeddings V2 at 1024 dimensions by default', () => {
    build().template().hasResourceProperties('AWS::Bedrock::KnowledgeBase', {
      KnowledgeBaseConfiguration: { VectorKnowledgeBaseConfiguration: {
        EmbeddingModelArn: { 'Fn::Join': ['', Match.arrayWith([':bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0']) ] },
        EmbeddingModelConfiguration: { BedrockEmbeddingModelConfiguration: { Dimensions: 1024, EmbeddingDataType: 'FLOAT32' } },
      } },
    });
  });

  test('encrypts the vector bucket with a customer key', () => {
    build().template().hasResourceProperties('AWS::S3Vectors::VectorBucket', {
      EncryptionConfiguration: { SseType: 'aws:kms', KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Key'), 'Arn'] } },
    });
  });

  test('keeps Bedrock text and metadata out of the filterable metadata of the index', () => {
    build().template().hasResourceProperties('AWS::S3Vectors::Index', {
      Dimension: 1024, DistanceMetric: 'cosine', MetadataConfiguration: { NonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] },
    });
  });

  test('the data source reads the documents bucket and encrypts transient data with the key', () => {
    build({ documentsPrefix: 'kb/' }).template().hasResourceProperties('AWS::Bedrock::DataSource', {
      DataSourceConfiguration: { Type: 'S3', S3Configuration: { InclusionPrefixes: ['kb/'] } },
      ServerSideEncryptionConfiguration: { KmsKeyArn: Match.anyValue() },
    });
  });

  test('the service role trusts Bedrock only for knowledge bases of this account', () => {
    build().template().hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 'bedrock.amazonaws.com' },
        Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': '111122223333' }, ArnLike: { 'aws:SourceArn': Match.anyValue() } }),
      })] },
    });
  });

  test('the service role may touch only its own index', () => {
    build().template().hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: Match.arrayWith(['s3vectors:PutVectors', 's3vectors:QueryVectors']),
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Index'), 'IndexArn'] },
      })]) },
    });
  });

  test('a schedule starts ingestion jobs through the Scheduler universal target, daily by default', () => {
    build().template().hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(24 hours)',
      Target: { Arn: 'arn:aws:scheduler:::aws-sdk:bedrockagent:startIngestionJob' },
    });
  });

  test('the schedule role may start ingestion jobs of this knowledge base only', () => {
    build({ ingestionInterval: Duration.hours(6) }).template().hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: 'bedrock:StartIngestionJob', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('KnowledgeBase'), 'KnowledgeBaseArn'] },
      })]) },
    });
  });

  test('the service role reads only the documents under the prefix', () => {
    build({ documentsPrefix: 'kb/' }).template().hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: 's3:GetObject', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::docs-bucket/kb/*']] },
      })]) },
    });
  });

  test('grantRetrieve grants bedrock:Retrieve on exactly this knowledge base', () => {
    const { stack, kb, template } = build();
    const role = new iam.Role(stack, 'Router', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    kb.grantRetrieve(role);
    template().hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Router') }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'bedrock:Retrieve', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('KnowledgeBase'), 'KnowledgeBaseArn'] } }] },
    });
  });

  test('an imported knowledge base grants on its ARN and gives its configuration entry', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
    const kb = TenantKnowledgeBase.fromKnowledgeBaseId(stack, 'Kb', 'ABCDEFGHIJ');
    expect(kb.knowledgeBaseArn).toContain('knowledge-base/ABCDEFGHIJ');
    expect(kb.knowledgeSourceConfig('docs')).toEqual({ id: 'docs', kind: 'bedrock-knowledge-base', knowledgeBaseId: 'ABCDEFGHIJ' });
  });

  test('refuses dimensions Titan V2 does not have', () => {
    expect(() => build({ dimensions: 768 })).toThrow(/dimensions/);
  });

  test('refuses an ingestion interval below one hour', () => {
    expect(() => build({ ingestionInterval: Duration.minutes(30) })).toThrow(/ingestionInterval/);
  });
});

describe('TenantKnowledgeBase ingestion on deploy', () => {
  const INGESTION = 'Custom::KnowledgeBaseIngestion';
  const onCreate = (template: Template): { service: string; action: string; parameters: Record<string, unknown> } => {
    const [resource] = Object.values(template.findResources(INGESTION)) as { Properties: { Create: unknown } }[];
    const create = resource.Properties.Create as { 'Fn::Join': [string, unknown[]] };
    const joined = create['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
    return JSON.parse(joined.replace(/\{"Fn::GetAtt":\["(\w+)","(\w+)"\]\}/g, '<$1.$2>')) as { service: string; action: string; parameters: Record<string, unknown> };
  };

  test('starts an ingestion job of its data source when created', () => {
    const call = onCreate(build().template());
    expect(call.service).toBe('bedrock-agent');
    expect(call.action).toBe('StartIngestionJob');
    expect(call.parameters.dataSourceId).toMatch(/^<HandbookDataSource\w+\.DataSourceId>$/);
    expect(call.parameters.knowledgeBaseId).toMatch(/^<HandbookKnowledgeBase\w+\.KnowledgeBaseId>$/);
  });

  test('starts one again (a new client token) when the data source configuration changes, and not otherwise', () => {
    const token = (props: Partial<ConstructorParameters<typeof TenantKnowledgeBase>[2]>) => onCreate(build(props).template()).parameters.clientToken;
    expect(token({ documentsPrefix: 'a/' })).toBe(token({ documentsPrefix: 'a/' }));
    expect(token({ documentsPrefix: 'a/' })).not.toBe(token({ documentsPrefix: 'b/' }));
    expect(token({ documentsPrefix: 'a/' })).toMatch(/^[a-f0-9]{64}$/);
  });

  test('runs after the data source, the knowledge base and the service role\'s policy', () => {
    const template = build().template();
    const logicalId = (type: string, like: string) => Object.keys(template.findResources(type)).find((id) => id.includes(like))!;
    const [resource] = Object.values(template.findResources(INGESTION)) as { DependsOn: string[] }[];
    expect(resource.DependsOn).toEqual(expect.arrayContaining([
      logicalId('AWS::Bedrock::DataSource', 'DataSource'),
      logicalId('AWS::Bedrock::KnowledgeBase', 'KnowledgeBase'),
      logicalId('AWS::IAM::ManagedPolicy', 'HandbookRolePolicy'),
    ]));
  });

  test('its function may start ingestion jobs of exactly this knowledge base', () => {
    build().template().hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({
        Action: 'bedrock:StartIngestionJob',
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('HandbookKnowledgeBase'), 'KnowledgeBaseArn'] },
      })] },
      Description: Match.stringLikeRegexp('ingestion on deploy'),
    });
  });

  test('a job already running is not a deployment failure', () => {
    expect(JSON.stringify(build().template().findResources(INGESTION))).toContain('ConflictException');
  });
});

describe('TenantKnowledgeBase on OpenSearch Serverless', () => {
  const aossBuild = (options: OpenSearchServerlessStoreOptions = {}, stackProps: StackProps = {}) => {
    const stack = new Stack(new App(), 'Kb', { env: { account: '111122223333', region: 'us-east-1' }, ...stackProps });
    const documents = s3.Bucket.fromBucketName(stack, 'Docs', 'docs-bucket');
    const kb = new TenantKnowledgeBase(stack, 'Handbook', { documents, vectorStore: KnowledgeBaseVectorStore.OPENSEARCH_SERVERLESS, openSearchServerless: options });
    return { kb, template: Template.fromStack(stack) };
  };
  /** A policy document with its tokens as `<LogicalId.Attribute>` / `<Ref>` strings. */
  const policy = (template: Template, type: string, policyType: string): unknown => {
    const [resource] = Object.values(template.findResources(type, { Properties: { Type: policyType } })) as { Properties: { Policy: unknown } }[];
    const raw = resource.Properties.Policy;
    if (typeof raw === 'string') return JSON.parse(raw);
    const [, parts] = (raw as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p).replace(/"/g, "'"))).join(''));
  };
  const logicalId = (template: Template, type: string): string => Object.keys(template.findResources(type))[0];

  test('the knowledge base stores vectors in the collection, in the index Bedrock writes to', () => {
    const { template } = aossBuild();
    template.hasResourceProperties('AWS::Bedrock::KnowledgeBase', {
      StorageConfiguration: {
        Type: 'OPENSEARCH_SERVERLESS',
        OpensearchServerlessConfiguration: {
          CollectionArn: { 'Fn::GetAtt': [logicalId(template, 'AWS::OpenSearchServerless::Collection'), 'Arn'] },
          VectorIndexName: 'bedrock-knowledge-base-default-index',
          FieldMapping: { VectorField: 'bedrock-knowledge-base-default-vector', TextField: 'AMAZON_BEDROCK_TEXT_CHUNK', MetadataField: 'AMAZON_BEDROCK_METADATA' },
        },
      },
    });
    template.resourceCountIs('AWS::S3Vectors::VectorBucket', 0);
  });

  test('a VECTORSEARCH collection with standby replicas, created after its encryption and network policies', () => {
    const { template } = aossBuild();
    const [collection] = Object.values(template.findResources('AWS::OpenSearchServerless::Collection')) as { Properties: Record<string, unknown>; DependsOn: string[] }[];
    expect(collection.Properties).toMatchObject({ Type: 'VECTORSEARCH', StandbyReplicas: 'ENABLED' });
    expect(collection.Properties.Name).toMatch(/^[a-z][a-z0-9-]{2,31}$/);
    const policies = Object.keys(template.findResources('AWS::OpenSearchServerless::SecurityPolicy'));
    expect(collection.DependsOn).toEqual(expect.arrayContaining(policies));
    expect(policies).toHaveLength(2);
  });

  test('the collection is encrypted with the customer key, never an AWS-owned key', () => {
    const { template } = aossBuild();
    const doc = policy(template, 'AWS::OpenSearchServerless::SecurityPolicy', 'encryption') as Record<string, unknown>;
    expect(doc.AWSOwnedKey).toBe(false);
    expect(doc.KmsARN).toMatch(/'Fn::GetAtt':\['HandbookKey\w+','Arn'\]/);
    expect((doc.Rules as { ResourceType: string }[]).map((r) => r.ResourceType)).toEqual(['collection']);
  });

  test('only Amazon Bedrock reaches the collection: no public access, no dashboards', () => {
    const [rule] = policy(aossBuild().template, 'AWS::OpenSearchServerless::SecurityPolicy', 'network') as Record<string, unknown>[];
    expect(rule).toMatchObject({ AllowFromPublic: false, SourceServices: ['bedrock.amazonaws.com'] });
    expect(rule.SourceVPCEs).toBeUndefined();
    expect(JSON.stringify(rule.Rules)).not.toContain('dashboard');
  });

  test('named VPC endpoints are admitted besides Bedrock', () => {
    const [rule] = policy(aossBuild({ vpcEndpointIds: ['vpce-0123456789abcdef0'] }).template, 'AWS::OpenSearchServerless::SecurityPolicy', 'network') as Record<string, unknown>[];
    expect(rule).toMatchObject({ AllowFromPublic: false, SourceVPCEs: ['vpce-0123456789abcdef0'], SourceServices: ['bedrock.amazonaws.com'] });
  });

  test('the data access policy: the service role reads and writes documents of its one index, the deployment role administers that index', () => {
    const { template } = aossBuild();
    const [role, deployment] = policy(template, 'AWS::OpenSearchServerless::AccessPolicy', 'data') as { Rules: { ResourceType: string; Resource: string[]; Permission: string[] }[]; Principal: string[] }[];
    const indexRule = (p: typeof role) => p.Rules.find((r) => r.ResourceType === 'index')!;
    expect(role.Principal).toEqual([expect.stringContaining('HandbookRole')]);
    expect(indexRule(role).Resource).toEqual([expect.stringMatching(/^index\/kb-[a-z0-9-]+\/bedrock-knowledge-base-default-index$/)]);
    expect(indexRule(role).Permission).toEqual(expect.arrayContaining(['aoss:ReadDocument', 'aoss:WriteDocument']));
    expect(indexRule(role).Permission).not.toContain('aoss:DeleteIndex');
    expect(JSON.stringify(role)).not.toContain('aoss:*');
    expect(deployment.Principal).toEqual([expect.stringContaining('cfn-exec-role-111122223333-us-east-1')]);
    expect(indexRule(deployment).Permission).toEqual(expect.arrayContaining(['aoss:CreateIndex', 'aoss:DeleteIndex']));
    expect(indexRule(deployment).Permission).not.toContain('aoss:ReadDocument');
  });

  test('indexAdministratorArns replaces the deployment role; without the default synthesizer it is required', () => {
    const [, deployment] = policy(aossBuild({ indexAdministratorArns: ['arn:aws:iam::111122223333:role/deployer'] }).template,
      'AWS::OpenSearchServerless::AccessPolicy', 'data') as { Principal: string[] }[];
    expect(deployment.Principal).toEqual(['arn:aws:iam::111122223333:role/deployer']);
    expect(() => aossBuild({}, { synthesizer: new CliCredentialsStackSynthesizer() })).toThrow(/indexAdministratorArns/);
  });

  test('the vector index: a FAISS HNSW knn_vector of the embedding size, Bedrock metadata not indexed, after the access and network policies', () => {
    const { template } = aossBuild();
    template.hasResourceProperties('AWS::OpenSearchServerless::Index', {
      IndexName: 'bedrock-knowledge-base-default-index',
      CollectionEndpoint: { 'Fn::GetAtt': [logicalId(template, 'AWS::OpenSearchServerless::Collection'), 'CollectionEndpoint'] },
      Settings: { Index: { Knn: true } },
      Mappings: { Properties: {
        'bedrock-knowledge-base-default-vector': { Type: 'knn_vector', Dimension: 1024, Method: Match.objectLike({ Engine: 'faiss', Name: 'hnsw' }) },
        AMAZON_BEDROCK_METADATA: { Type: 'text', Index: false },
      } },
    });
    const [index] = Object.values(template.findResources('AWS::OpenSearchServerless::Index')) as { DependsOn: string[] }[];
    expect(index.DependsOn).toEqual(expect.arrayContaining([logicalId(template, 'AWS::OpenSearchServerless::AccessPolicy')]));
    const [kb] = Object.values(template.findResources('AWS::Bedrock::KnowledgeBase')) as { DependsOn: string[] }[];
    expect(kb.DependsOn).toEqual(expect.arrayContaining([logicalId(template, 'AWS::OpenSearchServerless::Index')]));
  });

  test('the service role may call the data plane of exactly this collection, and has no S3 Vectors access', () => {
    const { template } = aossBuild();
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Effect: 'Allow', Action: 'aoss:APIAccessAll', Resource: { 'Fn::GetAtt': [logicalId(template, 'AWS::OpenSearchServerless::Collection'), 'Arn'] } }]) },
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'))).not.toContain('s3vectors:');
  });

  test('standbyReplicas: false disables them', () => {
    aossBuild({ standbyReplicas: false }).template.hasResourceProperties('AWS::OpenSearchServerless::Collection', { StandbyReplicas: 'DISABLED' });
  });

  test.each([
    [{ vpcEndpointIds: ['endpoint-1'] }, /openSearchServerless.vpcEndpointIds\[0\]/],
  ])('refuses %j', (options, message) => {
    expect(() => aossBuild(options)).toThrow(message);
  });

  test('refuses openSearchServerless options on the S3 Vectors store', () => {
    expect(() => build({ openSearchServerless: { standbyReplicas: false } })).toThrow(/openSearchServerless applies only with vectorStore opensearch-serverless/);
  });
});
