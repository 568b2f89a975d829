import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../store/database.js';
import { conditionSql, parseSegment, SEGMENT_FIELDS, SegmentFilterError } from '../../store/segments.js';

/** Compiles without a database, to look at the SQL and its parameters. */
const compiler = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

function issuesOf(where: string[], purpose: 'outreach' | 'research' = 'outreach') {
  try {
    parseSegment(where, purpose);
  } catch (err) {
    expect(err).toBeInstanceOf(SegmentFilterError);
    return (err as SegmentFilterError).issues;
  }
  throw new Error('expected the filters to be refused');
}

describe('parseSegment', () => {
  it('parses each operator into a typed condition', () => {
    expect(
      parseSegment([
        'work.occupation~ physician ',
        'location.districts.congressional=NC-04',
        'profiles.network=mastodon',
        'voter.party?',
        'voter.matchScore>0.9',
        'voter.registrationDate<=2012-10-01',
        'updatedAt>=2026-05-01T12:00:00+02:00',
        'location.districts.precinct=05-07',
      ]).conditions,
    ).toEqual([
      { expression: 'work.occupation~ physician ', field: 'work.occupation', operator: '~', value: 'physician' },
      {
        expression: 'location.districts.congressional=NC-04',
        field: 'location.districts.congressional',
        operator: '=',
        value: 'NC-04',
      },
      { expression: 'profiles.network=mastodon', field: 'profiles.network', operator: '=', value: 'mastodon' },
      { expression: 'voter.party?', field: 'voter.party', operator: '?' },
      { expression: 'voter.matchScore>0.9', field: 'voter.matchScore', operator: '>', value: 0.9 },
      {
        expression: 'voter.registrationDate<=2012-10-01',
        field: 'voter.registrationDate',
        operator: '<=',
        value: '2012-10-01',
      },
      {
        expression: 'updatedAt>=2026-05-01T12:00:00+02:00',
        field: 'updatedAt',
        operator: '>=',
        value: '2026-05-01T10:00:00.000Z',
      },
      {
        expression: 'location.districts.precinct=05-07',
        field: 'location.districts.precinct',
        operator: '=',
        value: '05-07',
      },
    ]);
    expect(parseSegment(['donations.total>=500'], 'research').conditions[0]).toMatchObject({ value: 500 });
    expect(parseSegment([]).conditions).toEqual([]);
  });

  it('keeps everything after the first operator as the value', () => {
    expect(parseSegment(['name.display=Dana = Ruiz']).conditions[0]).toMatchObject({
      operator: '=',
      value: 'Dana = Ruiz',
    });
    expect(parseSegment(['bio~>=5 years']).conditions[0]).toMatchObject({ operator: '~', value: '>=5 years' });
  });

  it.each([
    ['', /empty expression; write field=value, field~text/],
    ['work.occupation', /not a filter; write field=value, field~text, field>=n, field<=n, field>n, field<n or field\?/],
    ['work.occupation!=nurse', /not a filter/],
    ['work.occupation=', /no value after "="/],
    ['voter.party?DEM', /nothing may follow "\?"/],
    ['work.occupation>=5', /">=" compares numbers and dates, and work.occupation is text; use = or ~/],
    ['profiles.network<x', /"<" compares numbers and dates, and profiles.network is text/],
    ['voter.matchScore~9', /"~" searches text, and voter.matchScore is a number/],
    ['voter.matchScore>=high', /"high" is not a number/],
    ['voter.registrationDate>=last year', /"last year" is not a date \(YYYY-MM-DD\)/],
    ['voter.registrationDate>=2012-13-45', /is not a date/],
    [
      'donations.total>=500',
      /donations.total is FEC data, which US law forbids using to solicit contributions; filter on it only with --purpose research/,
    ],
  ])('refuses %j, saying why', (expression, reason) => {
    const [issue] = issuesOf([expression]);
    expect(issue!.expression).toBe(expression);
    expect(issue!.message).toMatch(reason);
  });

  it('refuses an unknown field with the list of allowed ones', () => {
    const [issue] = issuesOf(['occupation~physician']);
    expect(issue!.message).toMatch(/^unknown field "occupation"; allowed: email, status, name.given, /);
    for (const field of [
      'work.occupation',
      'location.districts.congressional',
      'profiles.network',
      'voter.party',
      'donations.total',
      'location.districts.<name>',
    ]) {
      expect(issue!.message).toContain(field);
      expect(SEGMENT_FIELDS).toContain(field);
    }
    expect(issuesOf(['location.districts.congressional.x=1'])[0]!.message).toMatch(/unknown field/);
    expect(issuesOf(['constructor=1'])[0]!.message).toMatch(/unknown field "constructor"/);
    expect(issuesOf(['toString~x'])[0]!.message).toMatch(/unknown field/);
  });

  it('names every bad expression in one message', () => {
    let caught: unknown;
    try {
      parseSegment(['work.occupation~physician', 'nope=1', 'voter.matchScore>x']);
    } catch (err) {
      caught = err;
    }
    expect((caught as Error).message).toBe(
      `--where "nope=1": unknown field "nope"; allowed: ${SEGMENT_FIELDS.join(', ')}; --where "voter.matchScore>x": "x" is not a number`,
    );
  });
});

describe('conditionSql', () => {
  const compile = (expression: string, purpose: 'outreach' | 'research' = 'outreach') =>
    conditionSql(parseSegment([expression], purpose).conditions[0]!, purpose).compile(compiler);

  it('binds the value as a parameter and never writes it into the SQL', () => {
    const hostile = `x'); drop table contacts; --`;
    const compiled = compile(`work.occupation=${hostile}`);
    expect(compiled.sql).not.toContain('drop table');
    expect(compiled.parameters).toContain(hostile);
  });

  it('reads indexed columns case-insensitively, and FEC-decided values only for research', () => {
    expect(compile('location.districts.congressional=NC-04').sql).toBe('lower(contacts."congressional") = lower($1)');
    expect(compile('work.occupation~phys%')).toMatchObject({
      sql: '(lower(contacts."occupation") like lower($1) and not (contacts.restricted_fields @> array[$2]::text[]))',
      parameters: ['%phys\\%%', 'work.occupation'],
    });
    expect(compile('work.occupation~phys', 'research').sql).toBe('lower(contacts."occupation") like lower($1)');
    expect(compile('profiles.network=Mastodon')).toMatchObject({
      sql: 'contacts.networks @> array[$1]::text[]',
      parameters: ['mastodon'],
    });
  });
});
