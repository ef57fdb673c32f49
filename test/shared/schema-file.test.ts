import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaText } from '../../cli/config-commands';
import { GatewayConfigValidator } from '../../lambda/shared/validator';

const root = join(__dirname, '..', '..');

describe('schema/gateway-config.schema.json', () => {
  test('is the schema the validator generates (run `npm run schema` after changing the config module)', () => {
    // Prepare
    const committed = readFileSync(join(root, 'schema', 'gateway-config.schema.json'), 'utf8');

    // Assess
    expect(committed).toBe(schemaText());
  });
});

describe('examples/local-config.json', () => {
  test('is a valid gateway configuration', () => {
    const example: unknown = JSON.parse(readFileSync(join(root, 'examples', 'local-config.json'), 'utf8'));
    expect(GatewayConfigValidator.check(example)).toEqual([]);
  });
});
