/**
 * Files above the API's payload limit: the client asks for an upload (`POST /v1/files/uploads`),
 * `PUT`s the file to the presigned URL it gets (straight to the batch bucket), then completes it
 * (`POST /v1/files/uploads/{id}/complete`), which checks the file like `POST /v1/files` and
 * registers it. The object key names the tenant, so a tenant completes only its own uploads.
 */
import { batchFileKey } from '../../shared/batch-table-schema';
import type { S3ObjectStore } from './s3-objects';

/** Where large files are uploaded directly. */
export interface FileUploads {
  /** A URL that accepts one `PUT` of the tenant's file `fileId`, valid for `seconds`. */
  uploadUrl(tenantId: string, fileId: string, seconds: number): Promise<string>;
  /** The uploaded content, or `undefined` when nothing was uploaded. */
  read(tenantId: string, fileId: string): Promise<string | undefined>;
}

/** Uploads to the batch bucket, at the key the file's content is kept under. */
export class BucketFileUploads implements FileUploads {
  constructor(private readonly objects: S3ObjectStore) {}

  uploadUrl(tenantId: string, fileId: string, seconds: number): Promise<string> {
    return this.objects.uploadUrl(batchFileKey(tenantId, fileId), seconds);
  }

  read(tenantId: string, fileId: string): Promise<string | undefined> {
    return this.objects.get(batchFileKey(tenantId, fileId));
  }
}
