import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { TenantKnowledgeBase } from '../../lib/retrieval';

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
