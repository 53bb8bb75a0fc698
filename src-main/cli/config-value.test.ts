import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { plainValue, tomlString, toTomlText } from './config-value.js';

describe('config set values', () => {
  it('a TOML value is sent as typed', () => {
    assert.equal(toTomlText('5000'), '5000');
    assert.equal(toTomlText(' 5000 '), '5000');
    assert.equal(toTomlText('-3'), '-3');
    assert.equal(toTomlText('1.5'), '1.5');
    assert.equal(toTomlText('true'), 'true');
    assert.equal(toTomlText('"debug"'), '"debug"');
    assert.equal(toTomlText("'{artist}'"), "'{artist}'");
    assert.equal(toTomlText('["a", "b"]'), '["a", "b"]');
  });

  it('anything else is sent as a quoted string', () => {
    assert.equal(toTomlText('debug'), '"debug"');
    assert.equal(toTomlText('{artist}/{title}'), '"{artist}/{title}"');
    assert.equal(toTomlText('{albumartist}/{album}/{disc-}{track:02} - {title}{.ext}'), '"{albumartist}/{album}/{disc-}{track:02} - {title}{.ext}"');
    assert.equal(toTomlText('127.0.0.1:9090'), '"127.0.0.1:9090"');
    assert.equal(toTomlText(''), '""');
    assert.equal(toTomlText('a "quoted" \\ path'), '"a \\"quoted\\" \\\\ path"');
    // Two lines that parse as a document are still one value.
    assert.equal(toTomlText('5000\nother = 1'), '"5000\\nother = 1"');
  });

  it('quoted strings parse back to what was typed', () => {
    for (const s of ['plain', 'tab\there', 'new\nline', 'quote"', 'back\\slash', 'ctl\u0001\u007f', 'ünïcødé 🎵', '{a}/{b}']) {
      assert.equal((parse(`v = ${tomlString(s)}`) as { v: string }).v, s);
    }
  });

  it('plainValue drops the quotes of strings only', () => {
    assert.equal(plainValue('"debug"'), 'debug');
    assert.equal(plainValue('30000'), '30000');
    assert.equal(plainValue('true'), 'true');
    assert.equal(plainValue('not toml ='), 'not toml =');
  });
});
