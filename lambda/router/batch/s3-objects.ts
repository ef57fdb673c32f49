/**
 * The deployed `ObjectStore`: the batch bucket (KMS-encrypted by its default encryption, so no
 * write names a key). Also signs the upload URL of a file too large for the API's payload limit.
 */
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ObjectStore } from './bedrock-jobs';

export interface S3ObjectStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
}

export class S3ObjectStore implements ObjectStore {
  /** Seconds a presigned upload URL is valid. */
  static readonly UPLOAD_URL_SECONDS = 3600;

  constructor(private readonly options: S3ObjectStoreOptions) {}

  async put(key: string, body: string): Promise<void> {
    await this.options.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentType: 'application/jsonl' }));
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const out = await this.options.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return out.Body ? await out.Body.transformToString('utf8') : '';
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.options.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of out.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys;
  }

  /** A URL that accepts one `PUT` of the object `key` for `seconds` (the client uploads a large file directly). */
  uploadUrl(key: string, seconds = S3ObjectStore.UPLOAD_URL_SECONDS): Promise<string> {
    return getSignedUrl(this.options.client, new PutObjectCommand({ Bucket: this.options.bucket, Key: key, ContentType: 'application/jsonl' }), { expiresIn: seconds });
  }
}
