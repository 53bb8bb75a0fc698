import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeComponent, sanitizeFileName, truncateUtf8, utf8ByteLength, MAX_COMPONENT_BYTES } from './sanitize.js';

const bytesOf = (s: string): number => new TextEncoder().encode(s).length;
const CJK = '音'; // 3 bytes of UTF-8
const EMOJI = '🎵'; // 4 bytes, a surrogate pair in UTF-16

describe('sanitizeComponent', () => {
  test('a "/" in a value is replaced, never a separator: AC/DC -> AC_DC', () => {
    assert.equal(sanitizeComponent('AC/DC'), 'AC_DC');
  });

  test('NFD and NFC spellings of the same name give identical strings', () => {
    const nfd = 'Beyonce\u0301 – Cafe\u0301';
    const nfc = 'Beyonc\u00e9 – Caf\u00e9';
    assert.notEqual(nfd, nfc);
    assert.equal(sanitizeComponent(nfd), sanitizeComponent(nfc));
    assert.equal(sanitizeComponent(nfd), nfc);
  });

  test('surrounding whitespace is trimmed', () => {
    assert.equal(sanitizeComponent('  Abbey Road \t\n'), 'Abbey Road');
  });

  test('NUL, C0 controls, DEL and C1 controls become "_"', () => {
    assert.equal(sanitizeComponent('a\u0000b'), 'a_b');
    assert.equal(sanitizeComponent('a\u0001b\u001fc'), 'a_b_c');
    assert.equal(sanitizeComponent('a\tb\nc'), 'a_b_c');
    assert.equal(sanitizeComponent('a\u007fb'), 'a_b');
    assert.equal(sanitizeComponent('a\u0080b\u009fc'), 'a_b_c');
  });

  test('a leading dot becomes "_" (no hidden entries)', () => {
    assert.equal(sanitizeComponent('.hidden'), '_hidden');
    assert.equal(sanitizeComponent('  .hidden'), '_hidden');
    assert.equal(sanitizeComponent('a.b.'), 'a.b.');
  });

  test('".." becomes "_."', () => {
    assert.equal(sanitizeComponent('..'), '_.');
  });

  test('"." becomes "_"', () => {
    assert.equal(sanitizeComponent('.'), '_');
  });

  test('an empty or blank value becomes "_"', () => {
    assert.equal(sanitizeComponent(''), '_');
    assert.equal(sanitizeComponent('   '), '_');
  });

  test('short and RTL text is left untouched', () => {
    assert.equal(sanitizeComponent('Pink Floyd'), 'Pink Floyd');
    assert.equal(sanitizeComponent('فيروز'), 'فيروز');
    assert.equal(sanitizeComponent('שלמה ארצי - ירח'), 'שלמה ארצי - ירח');
  });

  test('truncated to 255 bytes without splitting a 3-byte CJK character', () => {
    const value = 'a'.repeat(253) + CJK + 'tail'; // the CJK char would end at byte 256
    const out = sanitizeComponent(value);
    assert.equal(out, 'a'.repeat(253));
    assert.ok(bytesOf(out) <= MAX_COMPONENT_BYTES);
    assert.equal(sanitizeComponent(CJK.repeat(100)), CJK.repeat(85)); // 85 * 3 = 255
  });

  test('truncated to 255 bytes without splitting an emoji surrogate pair', () => {
    const value = 'a'.repeat(253) + EMOJI;
    assert.equal(sanitizeComponent(value), 'a'.repeat(253));
    const emojis = sanitizeComponent(EMOJI.repeat(100));
    assert.equal(emojis, EMOJI.repeat(63)); // 63 * 4 = 252
    assert.ok(!/[\ud800-\udbff]$/.test(emojis));
  });

  test('trimmed again after truncation (no trailing space left by the cut)', () => {
    const value = 'a'.repeat(250) + ' '.repeat(10) + 'bbb'; // the cut falls inside the spaces
    assert.equal(sanitizeComponent(value), 'a'.repeat(250));
  });

  test('a lone surrogate half becomes U+FFFD', () => {
    assert.equal(sanitizeComponent('a\ud800b'), 'a\ufffdb');
    assert.equal(sanitizeComponent(`x${EMOJI}y`), `x${EMOJI}y`);
  });
});

describe('sanitizeFileName', () => {
  test('joins stem and extension, applying the component rules to the stem', () => {
    assert.equal(sanitizeFileName('03 - AC/DC ', 'flac'), '03 - AC_DC.flac');
    assert.equal(sanitizeFileName('.hidden', 'mp3'), '_hidden.mp3');
    assert.equal(sanitizeFileName('', 'flac'), '_.flac');
  });

  test('an empty extension gives the plain component', () => {
    assert.equal(sanitizeFileName('Song', ''), 'Song');
  });

  test('255-byte truncation keeps ".flac" with a CJK character at the boundary', () => {
    // room for the stem: 255 - 5 = 250 bytes; 248 + 3 would be 251
    const out = sanitizeFileName('a'.repeat(248) + CJK.repeat(10), 'flac');
    assert.equal(out, 'a'.repeat(248) + '.flac');
    assert.ok(bytesOf(out) <= MAX_COMPONENT_BYTES);
    const allCjk = sanitizeFileName(CJK.repeat(200), 'flac');
    assert.equal(allCjk, CJK.repeat(83) + '.flac'); // 249 + 5 = 254 bytes
  });

  test('255-byte truncation keeps ".flac" with an emoji at the boundary', () => {
    const out = sanitizeFileName('a'.repeat(247) + EMOJI + EMOJI, 'flac'); // 247 + 4 = 251 > 250
    assert.equal(out, 'a'.repeat(247) + '.flac');
    const exact = sanitizeFileName('a'.repeat(246) + EMOJI + 'zz', 'flac'); // 246 + 4 = 250 fits
    assert.equal(exact, 'a'.repeat(246) + EMOJI + '.flac');
    assert.equal(bytesOf(exact), MAX_COMPONENT_BYTES);
  });

  test('trailing space left by the cut is trimmed before the extension', () => {
    const out = sanitizeFileName('a'.repeat(245) + '      word', 'flac');
    assert.equal(out, 'a'.repeat(245) + '.flac');
  });
});

describe('UTF-8 helpers', () => {
  test('utf8ByteLength matches the real encoder', () => {
    for (const s of ['', 'abc', 'é', CJK, EMOJI, 'مرحبا', `a${CJK}${EMOJI}é`]) {
      assert.equal(utf8ByteLength(s), bytesOf(s), s);
    }
  });

  test('truncateUtf8 cuts on code point boundaries', () => {
    assert.equal(truncateUtf8(`ab${EMOJI}`, 5), 'ab');
    assert.equal(truncateUtf8(`ab${EMOJI}`, 6), `ab${EMOJI}`);
    assert.equal(truncateUtf8(`${CJK}${CJK}`, 5), CJK);
    assert.equal(truncateUtf8('abc', 0), '');
  });
});
