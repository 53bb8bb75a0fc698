import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isMusicFsError } from '../errors.js';
import { MAX_QUERY_CHARS, parseSearchQuery, type SearchQuery, type TextTerm } from './query.js';

const word = (text: string, over: Partial<TextTerm> = {}): TextTerm => ({ text, phrase: false, negated: false, ...over });
const phrase = (text: string, over: Partial<TextTerm> = {}): TextTerm => ({ text, phrase: true, negated: false, ...over });

/** Asserts a QUERY_INVALID error whose message starts with `column N:` and matches `pattern`. */
function assertInvalid(input: string, column: number, pattern: RegExp): void {
  assert.throws(
    () => parseSearchQuery(input),
    (err: unknown) => {
      assert.ok(isMusicFsError(err), `${input}: ${String(err)}`);
      assert.equal(err.code, 'QUERY_INVALID');
      assert.match(err.message, new RegExp(`^column ${column}: `), `${input} → ${err.message}`);
      assert.match(err.message, pattern, `${input} → ${err.message}`);
      assert.equal(err.context.column, column);
      return true;
    },
    input,
  );
}

describe('parseSearchQuery: text', () => {
  test('an empty or blank query has no terms', () => {
    assert.deepEqual(parseSearchQuery(''), { terms: [] });
    assert.deepEqual(parseSearchQuery('  \t\n '), { terms: [] });
  });

  test('free words', () => {
    assert.deepEqual(parseSearchQuery('miles kind'), { terms: [word('miles'), word('kind')] });
    assert.deepEqual(parseSearchQuery('  miles\t\tkind \n'), { terms: [word('miles'), word('kind')] });
  });

  test('quoted phrases', () => {
    assert.deepEqual(parseSearchQuery('"kind of blue"'), { terms: [phrase('kind of blue')] });
    assert.deepEqual(parseSearchQuery('miles "kind of blue" 1959'), { terms: [word('miles'), phrase('kind of blue'), word('1959')] });
    // A phrase ends at its closing quote, even without a space after it.
    assert.deepEqual(parseSearchQuery('"kind of"blue'), { terms: [phrase('kind of'), word('blue')] });
    // A quote inside a word is just a character of the word.
    assert.deepEqual(parseSearchQuery('rock"n"roll'), { terms: [word('rock"n"roll')] });
  });

  test('words without letters or digits are dropped', () => {
    assert.deepEqual(parseSearchQuery('simon & garfunkel'), { terms: [word('simon'), word('garfunkel')] });
    assert.deepEqual(parseSearchQuery('- … 🎵 "" "!!"'), { terms: [] });
    assert.deepEqual(parseSearchQuery('Simon - Live'), { terms: [word('Simon'), word('Live')] }, 'a lone "-" is punctuation');
  });

  test('text is NFC-normalised, in words, phrases and field values', () => {
    const decomposed = 'Beyonce\u0301';
    assert.deepEqual(parseSearchQuery(decomposed), { terms: [word('Beyonc\u00e9')] });
    assert.deepEqual(parseSearchQuery(`"${decomposed} live"`), { terms: [phrase('Beyonc\u00e9 live')] });
    assert.deepEqual(parseSearchQuery(`artist:${decomposed}`), { terms: [word('Beyonc\u00e9', { field: 'artist' })] });
  });

  test('control characters separate terms', () => {
    assert.deepEqual(parseSearchQuery('a\u0000b\u0007c'), { terms: [word('a'), word('b'), word('c')] });
  });

  test('other scripts', () => {
    assert.deepEqual(parseSearchQuery('坂本龍一 Кино'), { terms: [word('坂本龍一'), word('Кино')] });
  });
});

describe('parseSearchQuery: fields', () => {
  test('every text field, bare and quoted', () => {
    assert.deepEqual(parseSearchQuery('artist:miles'), { terms: [word('miles', { field: 'artist' })] });
    assert.deepEqual(parseSearchQuery('artist:"miles davis"'), { terms: [phrase('miles davis', { field: 'artist' })] });
    assert.deepEqual(parseSearchQuery('albumartist:various'), { terms: [word('various', { field: 'albumartist' })] });
    assert.deepEqual(parseSearchQuery('album:"kind of blue"'), { terms: [phrase('kind of blue', { field: 'album' })] });
    assert.deepEqual(parseSearchQuery('title:so'), { terms: [word('so', { field: 'title' })] });
    assert.deepEqual(parseSearchQuery('genre:jazz'), { terms: [word('jazz', { field: 'genre' })] });
  });

  test('field names are case-insensitive', () => {
    assert.deepEqual(parseSearchQuery('ARTIST:Miles AlbumArtist:X'), { terms: [word('Miles', { field: 'artist' }), word('X', { field: 'albumartist' })] });
  });

  test('a value keeps later colons', () => {
    assert.deepEqual(parseSearchQuery('title:12:30'), { terms: [word('12:30', { field: 'title' })] });
  });

  test('a colon that is clearly not a field is text', () => {
    assert.deepEqual(parseSearchQuery('12:30'), { terms: [word('12:30')] });
    assert.deepEqual(parseSearchQuery('Intro: The Sun'), { terms: [word('Intro:'), word('The'), word('Sun')] }, 'colon before a space');
    assert.deepEqual(parseSearchQuery(':foo'), { terms: [word(':foo')] });
    assert.deepEqual(parseSearchQuery('"foo:bar"'), { terms: [phrase('foo:bar')] }, 'quoted');
    assert.deepEqual(parseSearchQuery('café:x'), { terms: [word('café:x')] }, 'not ASCII letters');
  });

  test('an unknown field is an error naming it and the valid ones', () => {
    assertInvalid('foo:bar', 1, /unknown field "foo".*artist, albumartist, album, title, genre or year.*double quotes/);
    assertInvalid('miles Re:Zero', 7, /unknown field "Re" in Re:Zero/);
    assertInvalid('-foo:bar', 1, /unknown field "foo"/);
  });

  test('a field needs a value', () => {
    assertInvalid('artist:', 1, /artist: needs a value/);
    assertInvalid('miles artist: davis', 7, /artist: needs a value/);
    assertInvalid('artist:""', 1, /artist: needs a value/);
  });

  test('a field value without letters or digits is dropped', () => {
    assert.deepEqual(parseSearchQuery('artist:& miles'), { terms: [word('miles')] });
  });
});

describe('parseSearchQuery: years', () => {
  const year = (input: string): SearchQuery['year'] => parseSearchQuery(input).year;

  test('every form', () => {
    assert.deepEqual(year('year:1959'), { min: 1959, max: 1959 });
    assert.deepEqual(year('year:1950..1959'), { min: 1950, max: 1959 });
    assert.deepEqual(year('year:1950..'), { min: 1950 });
    assert.deepEqual(year('year:..1959'), { max: 1959 });
    assert.deepEqual(year('year:>=2000'), { min: 2000 });
    assert.deepEqual(year('year:>2000'), { min: 2001 });
    assert.deepEqual(year('year:<1980'), { max: 1979 });
    assert.deepEqual(year('year:<=1980'), { max: 1980 });
    assert.deepEqual(year('YEAR:"1959"'), { min: 1959, max: 1959 });
  });

  test('a year filter is not a text term', () => {
    assert.deepEqual(parseSearchQuery('miles year:1959'), { terms: [word('miles')], year: { min: 1959, max: 1959 } });
    assert.deepEqual(parseSearchQuery('year:1959'), { terms: [], year: { min: 1959, max: 1959 } });
  });

  test('several year filters narrow each other', () => {
    assert.deepEqual(year('year:>=1950 year:<1960'), { min: 1950, max: 1959 });
    assert.deepEqual(year('year:1950..1990 year:1980..2000'), { min: 1980, max: 1990 });
    assertInvalid('year:<1950 year:>1960', 12, /leaves no year that the earlier year filter allows/);
  });

  test('mistakes name the column and the forms', () => {
    assertInvalid('year:abc', 1, /year:abc is not a year or a range.*1950\.\.1959.*>=2000/);
    assertInvalid('miles year:', 7, /year: needs a value/);
    assertInvalid('year:..', 1, /not a year or a range/);
    assertInvalid('year:1950-1959', 1, /not a year or a range/);
    assertInvalid('year:59', 1, /years have four digits/);
    assertInvalid('year:19590', 1, /years have four digits/);
    assertInvalid('year:>=abc', 1, /not a year or a range/);
    assertInvalid('year:1960..1950', 1, /starts after it ends.*1950\.\.1960/);
    assertInvalid('year:>9999', 1, /matches no year/);
    assertInvalid('year:<1000', 1, /matches no year/);
    assertInvalid('miles -year:1959', 7, /-year: is not supported/);
  });
});

describe('parseSearchQuery: negation', () => {
  test('words, phrases and fields', () => {
    assert.deepEqual(parseSearchQuery('miles -live'), { terms: [word('miles'), word('live', { negated: true })] });
    assert.deepEqual(parseSearchQuery('miles -"live at"'), { terms: [word('miles'), phrase('live at', { negated: true })] });
    assert.deepEqual(parseSearchQuery('miles -genre:jazz'), { terms: [word('miles'), word('jazz', { field: 'genre', negated: true })] });
    assert.deepEqual(parseSearchQuery('miles -artist:"miles davis"'), { terms: [word('miles'), phrase('miles davis', { field: 'artist', negated: true })] });
  });

  test('a "-" inside a word is text', () => {
    assert.deepEqual(parseSearchQuery('hip-hop'), { terms: [word('hip-hop')] });
  });

  test('only excluded terms is an error', () => {
    assertInvalid('-live', 1, /only excluded terms.*add at least one term to search for/);
    assertInvalid('  -live -genre:jazz', 3, /add at least one term to search for/);
    assertInvalid('& -live', 3, /add at least one term/);
  });

  test('excluded terms with a year filter are fine', () => {
    assert.deepEqual(parseSearchQuery('-live year:1959'), { terms: [word('live', { negated: true })], year: { min: 1959, max: 1959 } });
  });
});

describe('parseSearchQuery: other mistakes', () => {
  test('an unclosed quote', () => {
    assertInvalid('"kind of blue', 1, /never closed/);
    assertInvalid('miles artist:"miles davis', 14, /never closed/);
    assertInvalid('miles -"live', 8, /never closed/);
  });

  test('columns count characters, not UTF-16 units', () => {
    assertInvalid('🎵🎵 foo:bar', 4, /unknown field/);
  });

  test('an overlong query', () => {
    assertInvalid('a '.repeat(MAX_QUERY_CHARS), MAX_QUERY_CHARS + 1, /longer than 1000 characters/);
    assert.equal(parseSearchQuery('a'.repeat(MAX_QUERY_CHARS)).terms.length, 1);
  });

  test('arbitrary input either parses or throws QUERY_INVALID', () => {
    const inputs = ['"', '""', '*', 'AND', 'OR NOT', 'NEAR(a b)', ':', '::', 'a:', '^x', '(', ')', '{artist}: x', '\\', "'", '-', '--', '-"', '-:', 'year:', 'year', '\u0000', '\ud800'];
    for (const input of inputs) {
      try {
        parseSearchQuery(input);
      } catch (err) {
        assert.ok(isMusicFsError(err) && err.code === 'QUERY_INVALID', `${JSON.stringify(input)}: ${String(err)}`);
      }
    }
  });
});
