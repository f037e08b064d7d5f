import { InvalidArgumentError } from './errors.js';

/**
 * Z85 (ZeroMQ RFC 32), the Base85 variant Delta uses for deletion vector descriptors: UUIDs of
 * DV files and inline DVs. Written here because it is twenty lines, and the one npm package for
 * it (`z85`, 0.0.2) is unmaintained.
 *
 * Delta encodes byte strings whose length is not a multiple of 4 by padding them with zeros and
 * records the real length beside the text (`sizeInBytes`); pass that length to `z85Decode`.
 */

const ALPHABET =
  '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Decodes Z85 text (a multiple of 5 characters); `length` cuts off Delta's zero padding. */
export function z85Decode(text: string, length?: number): Buffer {
  if (text.length % 5 !== 0) {
    throw new InvalidArgumentError(
      `Z85 text must have a multiple of 5 characters, got ${text.length}.`,
    );
  }
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const code = text.charCodeAt(i + j);
      const digit = code < 128 ? DECODE[code]! : -1;
      if (digit < 0) {
        throw new InvalidArgumentError(
          `'${text[i + j]}' at position ${i + j} is not a Z85 character.`,
        );
      }
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) {
      throw new InvalidArgumentError(`Z85 group at position ${i} is out of range.`);
    }
    out.writeUInt32BE(value, o);
  }
  if (length === undefined) return out;
  if (length < 0 || length > out.length || out.length - length >= 4) {
    throw new InvalidArgumentError(
      `Z85 text of ${text.length} characters cannot hold ${length} bytes.`,
    );
  }
  return out.subarray(0, length);
}

/** Encodes bytes as Z85, zero-padding them to a multiple of 4 bytes as Delta does. */
export function z85Encode(data: Uint8Array): string {
  const padded = Buffer.alloc(Math.ceil(data.length / 4) * 4);
  padded.set(data);
  let out = '';
  for (let i = 0; i < padded.length; i += 4) {
    let value = padded.readUInt32BE(i);
    const chars: string[] = [];
    for (let j = 0; j < 5; j++) {
      chars.push(ALPHABET[value % 85]!);
      value = Math.floor(value / 85);
    }
    out += chars.reverse().join('');
  }
  return out;
}
