import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import {
  hasSecrets,
  onSecretRegistered,
  redact,
  redactingLines,
  registerSecret,
  resetSecretsForTests,
} from './redact.ts';

afterEach(() => resetSecretsForTests());

describe('redaction of secret values', () => {
  it('replaces every registered value, the longest first, and each line of a multi-line one', () => {
    expect(redact('nothing registered: hunter2')).toBe('nothing registered: hunter2');
    expect(hasSecrets()).toBe(false);
    registerSecret('hunter2');
    registerSecret('hunter2-and-more');
    registerSecret('-----BEGIN KEY-----\nc2VjcmV0\n-----END KEY-----');
    expect(redact('a=hunter2 b=hunter2-and-more hunter2')).toBe('a=*** b=*** ***');
    expect(redact('key line c2VjcmV0 seen')).toBe('key line *** seen');
  });

  it('tells listeners every value, those registered before they listened too', () => {
    registerSecret('first-secret');
    const heard: string[] = [];
    onSecretRegistered((value) => heard.push(value));
    registerSecret('second-secret');
    registerSecret('first-secret');
    expect(heard).toEqual(['first-secret', 'second-secret']);
  });

  it('redacts a stream line by line, a value split across chunks and characters split across bytes included', async () => {
    registerSecret('pässwörd-42');
    const bytes = Buffer.from('line one pässwörd-42\nline two pässwörd-42 end\nlast pässwörd-42');
    // chunks of 3 bytes cut the value and its two-byte characters
    const chunks = Array.from({ length: Math.ceil(bytes.length / 3) }, (_, i) =>
      bytes.subarray(i * 3, i * 3 + 3),
    );
    const out = await text(Readable.from(chunks).pipe(redactingLines()));
    expect(out).toBe('line one ***\nline two *** end\nlast ***');
  });
});
