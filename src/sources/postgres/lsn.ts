// PostgreSQL log sequence numbers: 64-bit WAL positions, written "X/Y" (two hex halves). Kept as
// bigint so no position above 2^53 is ever rounded (a rounded LSN would confirm WAL not yet read).

export type Lsn = bigint;

export class LsnFormatError extends Error {
  override name = 'LsnFormatError';
}

export function parseLsn(text: string): Lsn {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!m) {
    throw new LsnFormatError(
      `"${text}" is not a PostgreSQL LSN; expected two hex numbers as "16/B374D848"`,
    );
  }
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
