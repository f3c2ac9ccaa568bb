/** Quotes a value for a POSIX shell: `'it'\''s'`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The request as a cURL command, e.g. `curl -X POST 'http://localhost:3000/api/orders'`. The
 * panel knows the method and URL of a request, not its body or cookies.
 */
export function toCurl(method: string, url: string): string {
  const verb = method.toUpperCase();
  return verb === 'GET' ? `curl ${shellQuote(url)}` : `curl -X ${shellQuote(verb).replace(/^'([A-Z]+)'$/, '$1')} ${shellQuote(url)}`;
}
