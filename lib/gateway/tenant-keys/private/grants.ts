import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { TENANT_KEY_INDEX } from '../../../../lambda/shared/tenant-key-schema';

/** `dynamodb:GetItem` on the table itself (not its indexes), and `kms:Decrypt` on its key if it has one. */
export function grantReadKeys(table: dynamodb.ITable, grantee: iam.IGrantable): iam.Grant {
  const grant = iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem'], resourceArns: [table.tableArn] });
  return table.encryptionKey ? grant.combine(table.encryptionKey.grantDecrypt(grantee)) : grant;
}

/**
 * What the key CLI needs: read, create, revoke and re-tier key items on the table, query the
 * tenant index, and use the table's key to encrypt and decrypt. No Scan, no DeleteItem.
 */
export function grantManageKeys(table: dynamodb.ITable, grantee: iam.IGrantable): iam.Grant {
  const items = iam.Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    resourceArns: [table.tableArn],
  });
  const index = iam.Grant.addToPrincipal({
    grantee,
    actions: ['dynamodb:Query'],
    resourceArns: [`${table.tableArn}/index/${TENANT_KEY_INDEX.name}`],
  });
  const grant = items.combine(index);
  return table.encryptionKey ? grant.combine(table.encryptionKey.grantEncryptDecrypt(grantee)) : grant;
}
