/**
 * The tenant key format, in one place: the CLI generates keys with it and the authorizer parses
 * them with it. A key is `sk-gw-` followed by 32 random bytes in base64url (43 characters); only
 * its SHA-256 is ever stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import { TENANT_KEY_ID_LENGTH, TENANT_KEY_PK_PREFIX } from '../shared/tenant-key-schema';

/** What every tenant key starts with, so secret scanners and humans recognise one. */
export const TENANT_KEY_PREFIX = 'sk-gw-';

/** Random bytes in a key: 256 bits, far beyond brute force, so an unsalted SHA-256 is safe to store. */
export const TENANT_KEY_RANDOM_BYTES = 32;

/** The exact shape of a key: the prefix and 43 base64url characters (32 bytes, unpadded). */
export const TENANT_KEY_PATTERN = /^sk-gw-[A-Za-z0-9_-]{43}$/;

/** Characters of the key kept in the table for humans (`sk-gw-` and 4 random characters). */
export const TENANT_KEY_DISPLAY_PREFIX_LENGTH = TENANT_KEY_PREFIX.length + 4;

/**
 * A new random tenant key.
 *
 * @example
 * const key = generateTenantKey(); // 'sk-gw-3q2-7wM…' (49 characters)
 */
export function generateTenantKey(): string {
  return TENANT_KEY_PREFIX + randomBytes(TENANT_KEY_RANDOM_BYTES).toString('base64url');
}

/** Whether `value` has the exact shape of a tenant key. */
export function isTenantKey(value: string): boolean {
  return TENANT_KEY_PATTERN.test(value);
}

/**
 * The hex SHA-256 of a key: the only form in which a key is stored.
 *
 * @example
 * hashTenantKey('sk-gw-…') // '9f86d081884c7d65…' (64 hex characters)
 */
export function hashTenantKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The key's short name (the first hex characters of its hash), safe to log and print. */
export function keyIdOf(keyHash: string): string {
  return keyHash.slice(0, TENANT_KEY_ID_LENGTH);
}

/** The partition key of a key item. */
export function partitionKeyOf(keyHash: string): string {
  return TENANT_KEY_PK_PREFIX + keyHash;
}

/** The part of a key kept for humans: `sk-gw-` and a few random characters. */
export function displayPrefixOf(key: string): string {
  return key.slice(0, TENANT_KEY_DISPLAY_PREFIX_LENGTH);
}
