import { sql, type Kysely } from 'kysely';

/**
 * The list statuses heard from supporter lists (store/list-statuses.ts): one row per contact key, status and source
 * field. Numbered 0011, leaving 0009 and 0010 to migrations written alongside on other branches.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('list_statuses')
    .addColumn('contact_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`status in ('subscribed', 'unsubscribed', 'bouncing', 'spam_complaint', 'do_not_contact', 'deceased')`,
        ),
    )
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('list_statuses_pkey', ['contact_key', 'status', 'source'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('list_statuses').execute();
}
