// TIME arguments (--at, --older-than): an ISO 8601 date or date-time, `@`
// and Unix seconds, or an age such as 30d, 12h, 2w (that long before now).
import { paramError } from '../errors';

const AGE = /^(\d+(?:\.\d+)?)([smhdw])$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

export function parseTime(text: string, now: number = Date.now()): Date {
  const age = AGE.exec(text);
  if (age) return new Date(now - Number(age[1]) * UNIT_MS[age[2]]);
  if (/^@\d+(\.\d+)?$/.test(text)) return new Date(Number(text.slice(1)) * 1000);
  // A bare date means its start in UTC; anything else is Date.parse's ISO form.
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw paramError(`invalid time '${text}': expected an ISO date (2026-11-26T10:00:00Z), @SECONDS or an age (30d, 12h)`);
}
