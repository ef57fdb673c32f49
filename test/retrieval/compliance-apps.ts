/**
 * Fixture apps of the retrieval compliance test, synthesized once per run by the shared synthesis
 * (test/helpers/synthesis). Not a test file: the synthesis server loads it with ts-node.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { KnowledgeBaseVectorStore, TenantKnowledgeBase } from '../../lib';

/** A knowledge base over an existing documents bucket (stack `Kb`). */
export function tenantKnowledgeBaseApp(app: App): void {
  const stack = new Stack(app, 'Kb', { env: { account: '111122223333', region: 'us-east-1' } });
  new TenantKnowledgeBase(stack, 'Handbook', { documents: s3.Bucket.fromBucketName(stack, 'Docs', 'docs-bucket'), documentsPrefix: 'handbook/' });
}

/** The same knowledge base on an OpenSearch Serverless collection (stack `KbAoss`). */
export function tenantKnowledgeBaseOnOpenSearchApp(app: App): void {
  const stack = new Stack(app, 'KbAoss', { env: { account: '111122223333', region: 'us-east-1' } });
  new TenantKnowledgeBase(stack, 'Handbook', {
    documents: s3.Bucket.fromBucketName(stack, 'Docs', 'docs-bucket'), documentsPrefix: 'handbook/', vectorStore: KnowledgeBaseVectorStore.OPENSEARCH_SERVERLESS,
  });
}
