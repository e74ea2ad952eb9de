# shellcheck shell=bash
# Environment of the apps and their sidecars (sourced by up.sh and the tests).
# Sidecars read connection strings through the `envsecrets` component (prefix COMMERCE_).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
export COMMERCE_RABBITMQ_URL="amqp://$RABBITMQ_USER:$RABBITMQ_PASSWORD@$RABBITMQ_HOST:$RABBITMQ_PORT/"
export COMMERCE_REDIS_ADDR="$REDIS_HOST:$REDIS_PORT"
export COMMERCE_PG_DAPR_URL="host=$PG_HOST port=$PG_PORT user=$PG_USER password=$PG_PASSWORD dbname=$PG_DATABASE sslmode=disable"
export DAPR_RUNTIME_PATH="$ROOT"          # the CLI runs $ROOT/.dapr/bin/daprd
export PATH="$ROOT/.dapr/bin:$PATH"

# Secrets made once per checkout, readable by root only (production gets them from its secret store):
# - APP_API_TOKEN, shared by each app and its sidecar: apps serve only requests relayed by it;
# - DAPR_API_TOKEN: a sidecar serves its API only to callers that send it (its own app, and
#   operators and tests on this machine who can read .data/run);
# - USER_KEY_ENCRYPTION_SECRET seals the token-signing private keys in the user database.
stack_secret() { # file bytes [characters to drop]: the file holds exactly the value used
  [ -s "$RUN_DIR/$1" ] || (mkdir -p "$RUN_DIR" && umask 077 && head -c "$2" /dev/urandom | base64 | tr -d "\n${3:-}" >"$RUN_DIR/$1")
  cat "$RUN_DIR/$1"
}
# Tokens go in HTTP headers: no '/', '+' or '=' (older checkouts' files may still hold them).
APP_API_TOKEN=$(stack_secret app-api-token 24 '/+=' | tr -d '/+=')
DAPR_API_TOKEN=$(stack_secret dapr-api-token 24 '/+=' | tr -d '/+=')
USER_KEY_ENCRYPTION_SECRET=$(stack_secret user-key-encryption-secret 32)
export APP_API_TOKEN DAPR_API_TOKEN USER_KEY_ENCRYPTION_SECRET
# mTLS: sidecars trust Sentry's root (made on Sentry's first start) and take their SPIFFE ids
# in this namespace; the access-control policies in components/config/*.yaml name it.
export NAMESPACE=default
if [ -s "$SENTRY_DIR/ca.crt" ]; then DAPR_TRUST_ANCHORS=$(cat "$SENTRY_DIR/ca.crt"); export DAPR_TRUST_ANCHORS; fi
