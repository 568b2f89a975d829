import type { LookupAddress, LookupOptions } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { guardedLookup, isForbiddenAddress, type Resolver } from '../../activities/providers/address-guard.js';
import { LookupError } from '../../activities/providers/lookup-error.js';

describe('isForbiddenAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '192.0.0.8',
    '192.0.2.10',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '2002:c0a8:0101::1',
    'fc00::1',
    'fd12:3456:789a::1',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    'ff02::1',
    '2001:db8::1',
    'not an address',
    '',
  ])('refuses %j', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '1.1.1.1',
    '2606:4700:4700::1111',
    '2a00:1450:4007:80f::200e',
    '::ffff:93.184.216.34',
    '64:ff9b::5db8:d822',
  ])('allows the public address %j', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });
});

/** Calls a lookup function as `net.connect` does and answers what its callback got. */
function callLookup(lookup: ReturnType<typeof guardedLookup>, hostname: string, options: LookupOptions) {
  return new Promise<{
    err: NodeJS.ErrnoException | null;
    address: string | LookupAddress[];
    family: number | undefined;
  }>((resolve) => {
    lookup(hostname, options, (err, address, family) => resolve({ err, address, family }));
  });
}

describe('guardedLookup', () => {
  const resolve: Resolver = (hostname) =>
    Promise.resolve(
      (
        {
          'public.example': [
            { address: '2606:4700:4700::1111', family: 6 },
            { address: '93.184.216.34', family: 4 },
          ],
          'private.example': [{ address: '10.0.0.5', family: 4 }],
        } as Record<string, Array<{ address: string; family: number }>>
      )[hostname] ?? [],
    );

  it('answers every public address for `all` (happy eyeballs), or the first of the family asked for', async () => {
    const lookup = guardedLookup({ provider: 'test', resolve });
    expect((await callLookup(lookup, 'public.example', { all: true })).address).toEqual([
      { address: '2606:4700:4700::1111', family: 6 },
      { address: '93.184.216.34', family: 4 },
    ]);
    expect(await callLookup(lookup, 'public.example', { family: 4 })).toEqual({
      err: null,
      address: '93.184.216.34',
      family: 4,
    });
  });

  it('refuses a private address as a non-retryable ForbiddenHost, unless the host is allowed explicitly', async () => {
    const refused = await callLookup(guardedLookup({ provider: 'test', resolve }), 'private.example', { all: true });
    expect(refused.err).toBeInstanceOf(LookupError);
    expect((refused.err as unknown as LookupError).type).toBe('ForbiddenHost');
    expect((refused.err as unknown as LookupError).retryable).toBe(false);

    const allowed = await callLookup(
      guardedLookup({ provider: 'test', resolve, allowedHosts: ['Private.Example.'] }),
      'private.example',
      { all: true },
    );
    expect(allowed).toMatchObject({ err: null, address: [{ address: '10.0.0.5', family: 4 }] });
  });

  it('answers ENOTFOUND for a name without addresses (a network error, retried)', async () => {
    const { err } = await callLookup(guardedLookup({ provider: 'test', resolve }), 'nowhere.example', { all: true });
    expect(err?.code).toBe('ENOTFOUND');
  });
});
