#!/bin/sh
# Once the server answers: creates the namespace (if missing) and registers the search attributes the
# enrichment workflows set (EnrichmentStatus, FlaggedProviders, ContactKey). Idempotent.
set -eu
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_RETENTION:-720h}"

until temporal operator cluster health >/dev/null 2>&1; do sleep 2; done
temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"

existing="$(temporal operator search-attribute list --namespace "$NAMESPACE")"
for attribute in EnrichmentStatus=Keyword FlaggedProviders=KeywordList ContactKey=Keyword; do
  name="${attribute%%=*}"
  if ! printf '%s\n' "$existing" | grep -qw "$name"; then
    temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "${attribute#*=}"
  fi
done
echo "namespace $NAMESPACE is ready"
