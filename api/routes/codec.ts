import cors from '@fastify/cors';
import type { Payload } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { payloadCodecFor } from '../../client/codec/data-converter.js';
import type { ApiDeps } from '../api-deps.js';
import { bearerToken, secretsEqual } from '../../domain/secrets.js';

/** The codec-server wire format: payloads as JSON, bytes in base64. */
const CodecRequestSchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).default({}), data: z.string().default('') })),
});
type WirePayload = z.infer<typeof CodecRequestSchema>['payloads'][number];

const fromWire = (p: WirePayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const toWire = (p: Payload): WirePayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * `POST /codec/encode` and `/codec/decode`: the Temporal codec-server contract, so the Web UI and the CLI can show
 * encrypted payloads to operators. With CODEC_TOKEN set, requests need `Authorization: Bearer $CODEC_TOKEN`;
 * without it, the endpoints answer only when the API listens on loopback (the `enrich dev` case). CORS admits
 * the UI's origin (CODEC_CORS_ORIGIN) with the headers the UI sends.
 */
export function codecRoutes(app: FastifyInstance, { config }: ApiDeps): void {
  const codec = payloadCodecFor(config);
  void app.register(async (scope) => {
    await scope.register(cors, {
      // A list, so only that origin is echoed back; any other gets no CORS headers at all.
      origin: [config.codec.corsOrigin],
      methods: ['POST', 'OPTIONS'],
      allowedHeaders: ['content-type', 'x-namespace', 'authorization'],
      credentials: true,
    });
    scope.addHook('preHandler', async (req, reply) => {
      const token = config.codec.token;
      const given = bearerToken(req.headers.authorization);
      const allowed = token ? Boolean(given && secretsEqual(given, token)) : LOOPBACK.test(config.api.host);
      if (!allowed)
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or invalid codec token' });
    });
    for (const direction of ['encode', 'decode'] as const) {
      scope.post(`/codec/${direction}`, async (req, reply) => {
        const parsed = CodecRequestSchema.safeParse(req.body);
        if (!parsed.success) {
          return reply.code(400).send({
            error: 'invalid codec request',
            issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
          });
        }
        const payloads = parsed.data.payloads.map(fromWire);
        const out = codec ? await codec[direction](payloads) : payloads;
        return reply.send({ payloads: out.map(toWire) });
      });
    }
  });
}
