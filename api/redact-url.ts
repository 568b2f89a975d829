import type { FastifyRequest } from 'fastify';

/** Routes whose path carries a secret: the segment after the prefix is replaced in anything logged. */
const SECRET_PATH_PREFIXES = ['/v1/webhooks/action-network/'];

/** Query parameters that may carry a secret, should a sender put one there. */
const SECRET_QUERY = /([?&](?:token|secret|key|api_key|apikey|osdi_api_token)=)[^&#]*/gi;

/**
 * A request URL fit for a log: the Action Network webhook's secret path segment (and anything after it) and any
 * token-like query value become `[redacted]`. Action Network signs nothing, so its webhook URL's secret is the
 * credential, and Fastify's request log would otherwise write it out with every delivery.
 */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let out = url;
  for (const prefix of SECRET_PATH_PREFIXES) {
    if (out.startsWith(prefix)) {
      const query = out.indexOf('?', prefix.length);
      out = `${prefix}[redacted]${query >= 0 ? out.slice(query) : ''}`;
    }
  }
  return out.replace(SECRET_QUERY, '$1[redacted]');
}

/** Fastify's request serializer (method, url, host, remote address), with the URL redacted. */
export function redactedRequest(req: FastifyRequest) {
  return {
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
