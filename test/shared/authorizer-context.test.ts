import { AuthorizerContext } from '../../lambda/shared/authorizer-context';

describe('AuthorizerContext', () => {
  test('encode → decode round-trips an identity', () => {
    // Prepare
    const identity = { tenantId: 'acme', keyId: '80cf0817e12a', tier: 'premium', aliases: ['chat', 'summary'] };

    // Act
    const context = AuthorizerContext.encode(identity);

    // Assess
    expect(context).toEqual({ tenantId: 'acme', keyId: '80cf0817e12a', tier: 'premium', aliases: 'chat,summary' });
    expect(AuthorizerContext.decode(context)).toEqual(identity);
  });

  test('an empty alias list means no narrowing (the authorizer sends "")', () => {
    expect(AuthorizerContext.decode({ tenantId: 'acme', aliases: '' })).toEqual({ tenantId: 'acme' });
    expect(AuthorizerContext.encode({ tenantId: 'acme', aliases: [] })).toEqual({ tenantId: 'acme' });
  });

  test('malformed aliases are dropped, never widening access', () => {
    expect(AuthorizerContext.decode({ tenantId: 'acme', aliases: 'chat, BAD ALIAS ,summary' })).toEqual({ tenantId: 'acme', aliases: ['chat', 'summary'] });
    expect(AuthorizerContext.decode({ tenantId: 'acme', aliases: '!!!' })).toEqual({ tenantId: 'acme', aliases: [] });
  });

  test.each([
    ['no context', undefined],
    ['no tenant id', { principalId: 'x' }],
    ['an invalid tenant id', { tenantId: 'Acme Corp' }],
    ['a non-string tenant id', { tenantId: { nested: true } }],
  ])('decode returns undefined for %s', (_name, context) => {
    expect(AuthorizerContext.decode(context as Record<string, unknown> | undefined)).toBeUndefined();
  });

  test('the context keys are the ones the authorizer writes', () => {
    expect([AuthorizerContext.TENANT_ID, AuthorizerContext.KEY_ID, AuthorizerContext.TIER, AuthorizerContext.ALIASES])
      .toEqual(['tenantId', 'keyId', 'tier', 'aliases']);
  });
});
