import fc from 'fast-check';
import { TtlCache } from '../../../lambda/authorizer/cache';
import { HeaderProblem, MAX_AUTHORIZATION_LENGTH, parseAuthorization } from '../../../lambda/authorizer/header';
import { generateTenantKey, hashTenantKey, isTenantKey, keyIdOf, TENANT_KEY_PATTERN } from '../../../lambda/authorizer/key';
import { MethodArnError, stageWideArn } from '../../../lambda/authorizer/policy';
import { Sensitivity } from '../../../lambda/shared/config';
import { fromItem, toItem, TenantKeyRecord } from '../../../lambda/authorizer/record';

describe('tenant keys', () => {
  test('generated keys have the documented shape, are distinct, and hash to 64 hex characters', () => {
    const generated = Array.from({ length: 200 }, generateTenantKey);
    for (const key of generated) {
      expect(key).toMatch(TENANT_KEY_PATTERN);
      expect(key).toHaveLength(49);
      expect(hashTenantKey(key)).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(new Set(generated).size).toBe(200);
  });

  test('hashing is SHA-256 of the UTF-8 key', () => {
    expect(hashTenantKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(keyIdOf(hashTenantKey('abc'))).toBe('ba7816bf8f01');
  });
});

describe('parseAuthorization', () => {
  test('accepts exactly "Bearer <key>" for any generated key', () => {
    fc.assert(fc.property(fc.constant(null).map(() => generateTenantKey()), (key) => {
      expect(parseAuthorization({ headers: { Authorization: `Bearer ${key}` } })).toEqual({ ok: true, key });
    }), { numRuns: 50 });
  });

  test('rejects every value that is not "Bearer " followed by a key', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (value) => {
      const parsed = parseAuthorization({ headers: { Authorization: value } });
      const valid = value.startsWith('Bearer ') && isTenantKey(value.slice(7));
      expect(parsed.ok).toBe(valid);
    }), { numRuns: 500 });
  });

  test.each([
    [{}, HeaderProblem.MISSING],
    [{ headers: { Authorization: '' } }, HeaderProblem.MISSING],
    [{ headers: { Authorization: 'x'.repeat(MAX_AUTHORIZATION_LENGTH + 1) } }, HeaderProblem.TOO_LONG],
    [{ headers: { Authorization: 'Token abc' } }, HeaderProblem.NOT_BEARER],
    [{ headers: { Authorization: 'Bearer abc' } }, HeaderProblem.MALFORMED_KEY],
    [{ headers: { a: '1', Authorization: 'Bearer x', AUTHORIZATION: 'Bearer x' } }, HeaderProblem.AMBIGUOUS],
    [{ headers: { Authorization: 'Bearer x' }, multiValueHeaders: { authorization: ['Bearer x', 'Bearer y'] } }, HeaderProblem.AMBIGUOUS],
  ])('%j → %s', (request, problem) => {
    expect(parseAuthorization(request)).toEqual({ ok: false, problem });
  });
});

describe('stageWideArn', () => {
  test.each([
    ['arn:aws:execute-api:eu-west-1:111122223333:abc123/prod/POST/v1/chat/completions', 'arn:aws:execute-api:eu-west-1:111122223333:abc123/prod/*/*'],
    ['arn:aws:execute-api:eu-west-1:111122223333:abc123/prod/GET/', 'arn:aws:execute-api:eu-west-1:111122223333:abc123/prod/*/*'],
    ['arn:aws-cn:execute-api:cn-north-1:111122223333:abc123/v1/GET/models', 'arn:aws-cn:execute-api:cn-north-1:111122223333:abc123/v1/*/*'],
    ['arn:aws-us-gov:execute-api:us-gov-west-1:111122223333:abc123/prod_2/ANY/x', 'arn:aws-us-gov:execute-api:us-gov-west-1:111122223333:abc123/prod_2/*/*'],
  ])('%s → %s', (methodArn, expected) => {
    expect(stageWideArn(methodArn)).toBe(expected);
  });

  test.each([
    '',
    'arn:aws:execute-api:eu-west-1:111122223333',
    'arn:aws:execute-api:eu-west-1:111122223333:abc/prod/GET:extra',
    'arn:aws:s3:eu-west-1:111122223333:abc/prod/GET/x',
    'arn:aws:execute-api:eu-west-1:*:abc/prod/GET/x',
    'arn:aws:execute-api:eu-west-1:111122223333:abc/*/GET/x',
    'xrn:aws:execute-api:eu-west-1:111122223333:abc/prod/GET/x',
  ])('%j is refused', (methodArn) => {
    expect(() => stageWideArn(methodArn)).toThrow(MethodArnError);
  });
});

describe('TtlCache', () => {
  test('entries live for the TTL, capped by notAfter', () => {
    let now = 1000;
    const cache = new TtlCache<string>({ ttlMs: 100, maxEntries: 10, now: () => now });
    cache.set('a', 'A');
    cache.set('b', 'B', 1050);
    now = 1049;
    expect([cache.get('a'), cache.get('b')]).toEqual(['A', 'B']);
    now = 1050;
    expect([cache.get('a'), cache.get('b')]).toEqual(['A', undefined]);
    now = 1100;
    expect(cache.get('a')).toBeUndefined();
  });

  test('drops the least recently used entry when full', () => {
    const cache = new TtlCache<number>({ ttlMs: 1000, maxEntries: 3, now: () => 0 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    cache.get('a'); // a is now the most recent
    cache.set('d', 4);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([1, undefined, 3, 4]);
    expect(cache.size).toBe(3);
  });

  test('a TTL of 0 stores nothing', () => {
    const cache = new TtlCache<number>({ ttlMs: 0, maxEntries: 3 });
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test.each([[{ ttlMs: -1, maxEntries: 1 }, /ttlMs/], [{ ttlMs: 1, maxEntries: 0 }, /maxEntries/], [{ ttlMs: 1, maxEntries: 1.5 }, /maxEntries/]])(
    '%j is refused', (options, message) => {
      expect(() => new TtlCache(options)).toThrow(message);
    },
  );
});

describe('record codec', () => {
  const hash = hashTenantKey('sk-gw-test');
  const record: TenantKeyRecord = {
    keyHash: hash, keyId: keyIdOf(hash), keyPrefix: 'sk-gw-test', tenantId: 'acme', tier: 'premium', aliases: ['classify'],
    status: 'active', createdAt: '2026-03-01T12:00:00.000Z', expiresAt: '2026-04-01T12:00:00.000Z', usageKeyId: 'k1', usageKey: 'v'.repeat(30),
  };

  test('round-trips', () => {
    expect(fromItem(toItem(record))).toEqual({ ok: true, record });
  });

  test('round-trips a sensitivity floor', () => {
    const floored: TenantKeyRecord = { ...record, sensitivityFloor: Sensitivity.RESTRICTED };
    expect(fromItem(toItem(floored))).toEqual({ ok: true, record: floored });
  });

  test.each([
    ['pk', { pk: { S: 'hash' } }, /pk is missing/],
    ['pk hash', { pk: { S: 'KEY#xyz' } }, /hex SHA-256/],
    ['tenantId', { tenantId: { S: 'Acme Corp' } }, /tenantId/],
    ['tier', { tier: { N: '1' } }, /tier/],
    ['status', { status: { S: 'paused' } }, /status/],
    ['createdAt', { createdAt: { S: 'yesterday' } }, /createdAt/],
    ['expiresAt', { expiresAt: { S: 'soon' } }, /expiresAt/],
    ['aliases type', { aliases: { SS: ['a'] } }, /aliases is not a list/],
    ['alias value', { aliases: { L: [{ S: 'auto' }] } }, /invalid alias/],
    ['sensitivity floor', { sensitivityFloor: { S: 'publik' } }, /sensitivityFloor is not one of public, internal, restricted/],
  ])('an item with a bad %s is reported', (_name, override, problem) => {
    const parsed = fromItem({ ...toItem(record), ...override });
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toMatch(problem);
  });
});
