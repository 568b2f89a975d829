import { describe, expect, it } from 'vitest';
import { unstorableUrlReason, withStorableUrls } from '../../activities/providers/public-url.js';
import type { ObservationInput } from '../../schemas/lookup.js';

const at = '2026-11-01T12:00:00.000Z';
const obs = (field: string, value: ObservationInput['value'], sourceUrl?: string): ObservationInput => ({
  field,
  value,
  confidence: 0.9,
  fetchedAt: at,
  ...(sourceUrl !== undefined ? { sourceUrl } : {}),
});

describe('unstorableUrlReason', () => {
  it('keeps https URLs on public names and public IP literals', () => {
    for (const url of [
      'https://gravatar.com/danaruiz',
      'https://avatars.githubusercontent.com/u/1?v=4',
      'https://mastodon.example.net/@druiz',
      'https://EXAMPLE.org./x',
      'https://93.184.215.14/avatar.png',
      'https://[2606:4700::1111]/',
      'https://docquery.fec.gov:443/cgi-bin/fecimg/?202510149876543210',
    ]) {
      expect([url, unstorableUrlReason(url)]).toEqual([url, undefined]);
    }
  });

  it('drops what is not https, or not a URL, or carries credentials', () => {
    expect(unstorableUrlReason('http://gravatar.com/danaruiz')).toBe('not an https URL');
    expect(unstorableUrlReason('javascript:alert(1)')).toBe('not an https URL');
    expect(unstorableUrlReason('ftp://files.example.org/a')).toBe('not an https URL');
    expect(unstorableUrlReason('not a url')).toBe('not a URL');
    expect(unstorableUrlReason('https://user:secret@example.org/')).toBe('carries credentials');
  });

  it('drops IP literals the outgoing-request guard forbids: loopback, private, link-local, CGNAT, ULA, metadata, mapped', () => {
    for (const url of [
      'https://127.0.0.1/',
      'https://10.0.0.1/admin',
      'https://169.254.169.254/latest/meta-data/',
      'https://192.168.1.1/',
      'https://172.16.5.4/',
      'https://100.64.0.1/',
      'https://0.0.0.0/',
      'https://[::1]/',
      'https://[fd00::1]/',
      'https://[fe80::1]/',
      'https://[::ffff:10.0.0.1]/',
      // Spellings the URL parser turns into 127.0.0.1.
      'https://0x7f.1/',
      'https://2130706433/',
      'https://127.1/',
    ]) {
      expect([url, unstorableUrlReason(url)]).toEqual([url, 'host is not a public address']);
    }
  });

  it('drops localhost, single-label hosts and reserved names, without resolving anything', () => {
    expect(unstorableUrlReason('https://localhost/profile')).toBe('host is a single-label name');
    expect(unstorableUrlReason('https://intranet/')).toBe('host is a single-label name');
    expect(unstorableUrlReason('https://app.localhost/')).toBe('host is under the reserved name .localhost');
    expect(unstorableUrlReason('https://printer.local/')).toBe('host is under the reserved name .local');
    expect(unstorableUrlReason('https://intranet.corp.internal/people/ada')).toBe(
      'host is under the reserved name .internal',
    );
    expect(unstorableUrlReason('https://router.home.arpa/')).toBe('host is under the reserved name .home.arpa');
    expect(unstorableUrlReason('https://box.localdomain/')).toBe('host is under the reserved name .localdomain');
    expect(unstorableUrlReason('https://LOCALHOST./')).toBe('host is a single-label name');
  });
});

describe('withStorableUrls', () => {
  it('leaves observations with storable URLs, and without URLs, as they are', () => {
    const input = [
      obs('name.display', 'Ada', 'https://gravatar.com/ada'),
      obs('avatarUrl', 'https://gravatar.com/avatar/abc', 'https://gravatar.com/ada'),
      obs(
        'profiles',
        { network: 'github', handle: 'ada', url: 'https://github.com/ada', verified: true },
        'https://github.com/ada',
      ),
      obs('location.lat', 39.96),
    ];

    expect(withStorableUrls(input)).toEqual({ observations: input, dropped: 0 });
  });

  it('drops avatar and profile observations with bait URLs and notes each drop, never repeating the URL', () => {
    const { observations, dropped } = withStorableUrls([
      obs('name.display', 'Ada', 'https://gravatar.com/ada'),
      obs('avatarUrl', 'http://10.0.0.1/admin', 'https://gravatar.com/ada'),
      obs(
        'profiles',
        { network: 'mastodon', handle: 'ada', url: 'https://127.0.0.1/', verified: true },
        'https://gravatar.com/ada',
      ),
      obs(
        'profiles',
        { network: 'github', handle: 'ada', url: 'https://github.com/ada', verified: true },
        'https://gravatar.com/ada',
      ),
    ]);

    expect(dropped).toBe(2);
    expect(observations).toEqual([
      obs('name.display', 'Ada', 'https://gravatar.com/ada'),
      obs(
        'profiles',
        { network: 'github', handle: 'ada', url: 'https://github.com/ada', verified: true },
        'https://gravatar.com/ada',
      ),
      obs('dropped', { field: 'avatarUrl', part: 'value', reason: 'not an https URL' }),
      obs('dropped', { field: 'profiles', part: 'value', reason: 'host is not a public address' }),
    ]);
    expect(JSON.stringify(observations)).not.toMatch(/10\.0\.0\.1|127\.0\.0\.1/);
  });

  it('removes a bait sourceUrl from every observation, with one note per field, and drops a value that is bait too', () => {
    const metadata = 'http://169.254.169.254/latest/meta-data/';
    const { observations, dropped } = withStorableUrls([
      obs('name.display', 'Ada', metadata),
      obs('bio', 'Hello', metadata),
      obs('profiles', { network: 'gravatar', handle: 'meta-data', url: metadata, verified: true }, metadata),
    ]);

    expect(dropped).toBe(4);
    expect(observations).toEqual([
      obs('name.display', 'Ada'),
      obs('bio', 'Hello'),
      obs('dropped', { field: 'name.display', part: 'sourceUrl', reason: 'not an https URL' }),
      obs('dropped', { field: 'bio', part: 'sourceUrl', reason: 'not an https URL' }),
      obs('dropped', { field: 'profiles', part: 'sourceUrl', reason: 'not an https URL' }),
      obs('dropped', { field: 'profiles', part: 'value', reason: 'not an https URL' }),
    ]);
    expect(observations.some((o) => 'sourceUrl' in o)).toBe(false);
  });

  it('keeps URLs on the provider’s own configured origin (where our request went), and only there', () => {
    const request = 'http://127.0.0.1:47810/geocoder/geographies/onelineaddress?address=x&format=json';
    const input = [obs('location.lat', 39.96, request), obs('avatarUrl', 'http://127.0.0.1:9999/a.png', request)];

    const { observations, dropped } = withStorableUrls(input, ['http://127.0.0.1:47810', 'https://{instance}']);

    expect(dropped).toBe(1);
    expect(observations).toEqual([
      obs('location.lat', 39.96, request),
      obs('dropped', { field: 'avatarUrl', part: 'value', reason: 'not an https URL' }),
    ]);
  });
});
