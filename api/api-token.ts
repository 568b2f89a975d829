import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { bearerToken, secretsEqual } from '../domain/secrets.js';

/** Checks `Authorization: Bearer $API_TOKEN` (constant time); answers 401 and returns false when it is not there. */
export function requireApiToken(config: Config, req: FastifyRequest, reply: FastifyReply): boolean {
  const expected = config.api.apiToken;
  const given = bearerToken(req.headers.authorization);
  if (expected && given && secretsEqual(given, expected)) return true;
  void reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or invalid API token' });
  return false;
}
