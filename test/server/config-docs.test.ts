import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { configurationTables } from '../../src/server/config-docs.ts';

test('docs/configuration.md lists every option exactly as the code defines it', async () => {
  const doc = await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const start = '<!-- generated:options:start -->\n';
  const end = '<!-- generated:options:end -->';
  const inDoc = doc.slice(doc.indexOf(start) + start.length, doc.indexOf(end));
  assert.equal(inDoc, configurationTables(), 'regenerate with: node src/server/config-docs.ts');
});
