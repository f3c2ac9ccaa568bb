/** One metric of a `Server-Timing` header. */
export interface ServerTimingEntry {
  name: string;
  /** `dur` in milliseconds, or `null` when absent or not a number. */
  dur: number | null;
  /** `desc`, unquoted, or `null` when absent. */
  desc: string | null;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses a `Server-Timing` header value (RFC-ish: `name;dur=1.2;desc="a, b"`, comma separated).
 *
 * Tolerant by design: headers merged by a proxy, stray whitespace, quoted commas and backslash
 * escapes, and garbage entries are skipped rather than failing the whole header, because the
 * app or a proxy may put anything in it before Taskscope appends its entries.
 */
export function parseServerTiming(value: string): ServerTimingEntry[] {
  const entries: ServerTimingEntry[] = [];
  let i = 0;
  const n = value.length;

  const skipSpace = (): void => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN.test(value[i] ?? '')) i++;
    return value.slice(start, i);
  };
  const readValue = (): string => {
    if (value[i] !== '"') return readToken();
    i++;
    let out = '';
    while (i < n && value[i] !== '"') {
      if (value[i] === '\\' && i + 1 < n) i++;
      out += value[i];
      i++;
    }
    i++; // closing quote (or end of input)
    return out;
  };
  // Skip to the next top-level comma, stepping over quoted strings.
  const skipToComma = (): void => {
    while (i < n && value[i] !== ',') {
      if (value[i] === '"') readValue();
      else i++;
    }
  };

  while (i < n) {
    skipSpace();
    const name = readToken();
    if (!name) {
      skipToComma();
      i++;
      continue;
    }
    const entry: ServerTimingEntry = { name, dur: null, desc: null };
    skipSpace();
    while (value[i] === ';') {
      i++;
      skipSpace();
      const param = readToken().toLowerCase();
      skipSpace();
      let paramValue: string | null = null;
      if (value[i] === '=') {
        i++;
        skipSpace();
        paramValue = readValue();
        skipSpace();
      }
      // The first occurrence of a parameter wins, as in the Server Timing spec.
      if (param === 'dur' && entry.dur === null && paramValue !== null) {
        const dur = Number(paramValue);
        entry.dur = paramValue.trim() !== '' && Number.isFinite(dur) ? dur : null;
      } else if (param === 'desc' && entry.desc === null && paramValue !== null) {
        entry.desc = paramValue;
      }
      if (!param) break;
    }
    entries.push(entry);
    skipToComma();
    i++;
  }
  return entries;
}
