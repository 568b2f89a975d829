import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** `running`, `enriched`, `flagged` or `suppressed`: what operators filter on in the Web UI. */
export const EnrichmentStatusKey = defineSearchAttributeKey('EnrichmentStatus', SearchAttributeType.KEYWORD);
/** The providers whose lookups failed for this contact. */
export const FlaggedProvidersKey = defineSearchAttributeKey('FlaggedProviders', SearchAttributeType.KEYWORD_LIST);
/** The contact's keyed hash (the same as in the workflow ID), to join UI rows with the database. */
export const ContactKeyKey = defineSearchAttributeKey('ContactKey', SearchAttributeType.KEYWORD);

/** What the dev server must be started with (`--search-attribute Name=Type`). */
export const SEARCH_ATTRIBUTE_FLAGS = [
  'EnrichmentStatus=Keyword',
  'FlaggedProviders=KeywordList',
  'ContactKey=Keyword',
];
