// Numeric option values parsed the way rdiff (popt, strtol base 0) does:
// optional sign, 0x hex, leading-0 octal, decimal; int range only.
import { usageError } from './cli-error';

const C_INTEGER = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** An int option value as popt reads it; `option` names the option in errors. */
export function parseIntOption(text: string, option: string): number {
  const match = C_INTEGER.exec(text);
  if (!match) throw usageError(`invalid numeric value for ${option}: '${text}'`);
  const [, sign, digits] = match;
  let magnitude: number;
  if (/^0[xX]/.test(digits)) magnitude = parseInt(digits.slice(2), 16);
  else if (digits.length > 1 && digits.startsWith('0')) magnitude = parseInt(digits.slice(1), 8);
  else magnitude = parseInt(digits, 10);
  const value = sign === '-' ? -magnitude : magnitude;
  if (value < INT32_MIN || value > INT32_MAX) throw usageError(`number too large or too small for ${option}: '${text}'`);
  return value === 0 ? 0 : value; // no -0
}

/** A byte count beyond int range (e.g. --max-output): a plain non-negative decimal. */
export function parseByteCount(text: string, option: string): number {
  if (!/^\d+$/.test(text)) throw usageError(`invalid byte count for ${option}: '${text}'`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw usageError(`number too large for ${option}: '${text}'`);
  return value;
}
