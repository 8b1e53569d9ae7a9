/**
 * The cookie date parser of RFC 6265bis §5.1.1: tolerant of the many date forms servers send in
 * `Expires`, strict about the values it accepts.
 *
 * @module
 */

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** delimiter = %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E */
function isDelimiter(c: number): boolean {
  return c === 0x09 || (c >= 0x20 && c <= 0x2f) || (c >= 0x3b && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

/** Leading digits of `token` when there are `min`..`max` of them followed by a non-digit or the end. */
function leadingDigits(token: string, min: number, max: number): number | null {
  let n = 0;
  while (n < token.length && token.charCodeAt(n) >= 0x30 && token.charCodeAt(n) <= 0x39) n++;
  if (n < min || n > max) return null;
  return Number(token.slice(0, n));
}

/** hms-time = time-field ":" time-field ":" time-field, each 1*2DIGIT, then optionally a non-digit and anything. */
function parseTime(token: string): [number, number, number] | null {
  const match = /^(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D.*)?$/s.exec(token);
  if (match === null) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/**
 * Parses a cookie date (the value of an `Expires` attribute).
 *
 * @param text - The attribute value.
 * @returns Milliseconds since the epoch (UTC), or `null` when the date is not valid.
 */
export function parseCookieDate(text: string): number | null {
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const delimiter = i === text.length || isDelimiter(text.charCodeAt(i));
    if (!delimiter && start < 0) start = i;
    else if (delimiter && start >= 0) {
      tokens.push(text.slice(start, i));
      start = -1;
    }
  }
  let time: [number, number, number] | null = null;
  let day: number | null = null;
  let month: number | null = null;
  let year: number | null = null;
  for (const token of tokens) {
    if (time === null) {
      const t = parseTime(token);
      if (t !== null) {
        time = t;
        continue;
      }
    }
    if (day === null) {
      const d = leadingDigits(token, 1, 2);
      if (d !== null) {
        day = d;
        continue;
      }
    }
    if (month === null && token.length >= 3) {
      const m = MONTHS.indexOf(token.slice(0, 3).toLowerCase());
      if (m >= 0) {
        month = m;
        continue;
      }
    }
    if (year === null) {
      const y = leadingDigits(token, 2, 4);
      if (y !== null) {
        year = y;
      }
    }
  }
  if (time === null || day === null || month === null || year === null) return null;
  if (year >= 70 && year <= 99) year += 1900;
  else if (year >= 0 && year <= 69) year += 2000;
  const [hour, minute, second] = time;
  if (day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.UTC(year, month, day, hour, minute, second);
  // A day the month does not have (31 April) rolls over in Date.UTC: refuse it.
  if (new Date(ms).getUTCDate() !== day) return null;
  return ms;
}
