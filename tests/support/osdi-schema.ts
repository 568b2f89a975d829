import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

/**
 * The OSDI person schema (tests/fixtures/osdi/person.schema.json, written from the OSDI people document) compiled
 * once: `validOsdiPerson(value)` says whether an OSDI consumer reading that document would accept it; its
 * `.errors` say why not.
 */
const schema = JSON.parse(readFileSync('tests/fixtures/osdi/person.schema.json', 'utf8')) as object;
export const validOsdiPerson = new Ajv({ allErrors: true, strict: true }).compile(schema);
