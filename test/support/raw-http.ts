import { request } from 'node:http';

/** A GET with full control of the headers (fetch may not send a forged Host). */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string>; path?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({
      host: target.hostname, port: target.port, method: options.method ?? 'GET',
      path: options.path ?? `${target.pathname}${target.search}`, headers: options.headers,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
