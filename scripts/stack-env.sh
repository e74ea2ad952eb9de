# shellcheck shell=bash
# Environment of the apps and their sidecars (sourced by up.sh and the tests).
# Sidecars read connection strings through the `envsecrets` component (prefix COMMERCE_).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
export COMMERCE_RABBITMQ_URL="amqp://$RABBITMQ_USER:$RABBITMQ_PASSWORD@$RABBITMQ_HOST:$RABBITMQ_PORT/"
export COMMERCE_REDIS_ADDR="$REDIS_HOST:$REDIS_PORT"
export COMMERCE_PG_DAPR_URL="host=$PG_HOST port=$PG_PORT user=$PG_USER password=$PG_PASSWORD dbname=$PG_DATABASE sslmode=disable"
export DAPR_RUNTIME_PATH="$ROOT"          # the CLI runs $ROOT/.dapr/bin/daprd
export PATH="$ROOT/.dapr/bin:$PATH"
