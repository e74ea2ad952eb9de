{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "dapr-commerce.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Prefix of the resource names: fullnameOverride, else the release name, plus the chart name
unless the release name already contains it. Per-service names append "-<service>", so this
is kept at 50 characters to leave room for the longest service name.
*/}}
{{- define "dapr-commerce.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "dapr-commerce.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "dapr-commerce.labels" -}}
helm.sh/chart: {{ include "dapr-commerce.chart" . }}
app.kubernetes.io/name: {{ include "dapr-commerce.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: dapr-commerce
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one service's pods; call with (dict "root" $ "name" "<service>"). */}}
{{- define "dapr-commerce.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dapr-commerce.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/* Name of one service's Deployment/Service/PDB; call with (dict "root" $ "name" "<service>"). */}}
{{- define "dapr-commerce.serviceFullname" -}}
{{- printf "%s-%s" (include "dapr-commerce.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "dapr-commerce.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dapr-commerce.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Secret holding credentials and connection strings (created by the chart or existing). */}}
{{- define "dapr-commerce.secretName" -}}
{{- default (printf "%s-secrets" (include "dapr-commerce.fullname" .)) .Values.secret.name }}
{{- end }}

{{- define "dapr-commerce.configMapName" -}}
{{- printf "%s-config" (include "dapr-commerce.fullname" .) }}
{{- end }}

{{- define "dapr-commerce.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
{{- end }}

{{/*
A Component metadata item read from the Secret: name, then the Secret's key.
Call with (dict "root" $ "name" "connectionString" "key" "PG_DAPR_URL").
*/}}
{{- define "dapr-commerce.componentSecretItem" -}}
- name: {{ .name }}
  secretKeyRef:
    name: {{ include "dapr-commerce.secretName" .root }}
    key: {{ .key }}
{{- end }}

{{/*
Scopes of a Component: always the full list of app IDs, as in components/*.yaml (an empty
`scopes` would open the Component to every app of the namespace).
*/}}
{{- define "dapr-commerce.scopes" -}}
scopes:
{{- range .apps }}
  - {{ . }}
{{- end }}
{{- end }}

{{/* Auth block of every Component: the built-in Kubernetes secret store. */}}
{{- define "dapr-commerce.componentAuth" -}}
auth:
  secretStore: kubernetes
{{- end }}

{{/*
Fails the render when the grace period cannot cover a clean shutdown of the app and its sidecar.
*/}}
{{- define "dapr-commerce.checkShutdownTimings" -}}
{{- $grace := int .Values.terminationGracePeriodSeconds }}
{{- $preStop := int .Values.preStopSleepSeconds }}
{{- $appGraceMs := int (default "10000" (index .Values.config "SHUTDOWN_GRACE_MS")) }}
{{- if le (mul $grace 1000) (add (mul $preStop 1000) $appGraceMs) }}
{{- fail (printf "terminationGracePeriodSeconds (%d s) must exceed preStopSleepSeconds (%d s) + config.SHUTDOWN_GRACE_MS (%d ms)" $grace $preStop $appGraceMs) }}
{{- end }}
{{- $block := int .Values.dapr.blockShutdownSeconds }}
{{- $daprGrace := int .Values.dapr.gracefulShutdownSeconds }}
{{- if le $grace (add $block $daprGrace) }}
{{- fail (printf "terminationGracePeriodSeconds (%d s) must exceed dapr.blockShutdownSeconds (%d s) + dapr.gracefulShutdownSeconds (%d s)" $grace $block $daprGrace) }}
{{- end }}
{{- end }}

{{/* Secret with the Dapr app API token (key `token`), shared by each app and its sidecar. */}}
{{- define "dapr-commerce.appTokenSecretName" -}}
{{- default (printf "%s-app-token" (include "dapr-commerce.fullname" .)) .Values.dapr.appToken.secretName }}
{{- end }}

{{/* Sidecar Configuration of one app; call with (dict "root" $ "name" "<app>"). */}}
{{- define "dapr-commerce.configurationName" -}}
{{- printf "%s-%s" .root.Values.dapr.configName .name | trunc 253 }}
{{- end }}

{{/* Secret with one app's Dapr API token (key `token`); call with (dict "root" $ "name" "<app>"). */}}
{{- define "dapr-commerce.apiTokenSecretName" -}}
{{- $prefix := default (printf "%s-api-token" (include "dapr-commerce.fullname" .root)) .root.Values.dapr.apiToken.secretNamePrefix }}
{{- printf "%s-%s" $prefix .name | trunc 253 }}
{{- end }}

{{/*
The Secret itself (templates/api-token-secret.yaml; its checksum goes on the app's pods).
Generated once; an upgrade reuses the value found in the cluster. Call with (dict "root" $ "name" "<app>").
*/}}
{{- define "dapr-commerce.apiTokenSecret" -}}
{{- $name := include "dapr-commerce.apiTokenSecretName" . }}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace $name }}
{{- $token := "" }}
{{- if and $existing $existing.data (hasKey $existing.data "token") }}
{{- $token = index $existing.data "token" | b64dec }}
{{- else }}
{{- $token = randAlphaNum 48 }}
{{- end }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ $name }}
  labels:
    {{- include "dapr-commerce.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .name }}
type: Opaque
data:
  token: {{ $token | b64enc | quote }}
{{- end }}

{{/*
Fails the render when dapr.policy cannot be what it means: an enabled app without a policy, an
allowlist without an http and a grpc rule (an empty list, or no rule of a protocol, leaves that
API all open), a caller, publisher, subscriber or component scope that is not an app of
`services` (a typo would silently deny, or name an app that does not exist), a scoped topic
that is not in pubsub.topics, or a Component with empty scopes (open to every app).
*/}}
{{- define "dapr-commerce.checkPolicy" -}}
{{- $policy := .Values.dapr.policy }}
{{- $apps := keys .Values.services }}
{{- range $name, $svc := .Values.services }}
{{- if ne (toString $svc.enabled) "false" }}
{{- $app := index $policy.apps $name }}
{{- if not $app }}
{{- fail (printf "dapr.policy.apps.%s is missing: every app needs its sidecar policy (api, accessControl)" $name) }}
{{- end }}
{{- $protocols := list }}
{{- range $app.api }}
{{- $protocols = append $protocols .protocol }}
{{- end }}
{{- if not (and (has "http" $protocols) (has "grpc" $protocols)) }}
{{- fail (printf "dapr.policy.apps.%s.api needs at least one http and one grpc rule (without one, that API is all open)" $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- range $called, $app := $policy.apps }}
{{- if not (has $called $apps) }}
{{- fail (printf "dapr.policy.apps.%s: no such app in services" $called) }}
{{- end }}
{{- range $caller, $ops := ($app.accessControl | default dict) }}
{{- if not (has $caller $apps) }}
{{- fail (printf "dapr.policy.apps.%s.accessControl.%s: no such app in services" $called $caller) }}
{{- end }}
{{- end }}
{{- end }}
{{- range $kind := list "publishingScopes" "subscriptionScopes" }}
{{- range $app, $topics := (get $policy.pubsub $kind | default dict) }}
{{- if not (has $app $apps) }}
{{- fail (printf "dapr.policy.pubsub.%s.%s: no such app in services" $kind $app) }}
{{- end }}
{{- range $topics }}
{{- if not (has . $policy.pubsub.topics) }}
{{- fail (printf "dapr.policy.pubsub.%s.%s: topic %s is not in dapr.policy.pubsub.topics" $kind $app .) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- range $component := list "pubsub" "statestore" "actorstore" "workflowstore" "mail" }}
{{- $scopes := get $policy.componentScopes $component }}
{{- if not $scopes }}
{{- fail (printf "dapr.policy.componentScopes.%s must name the apps that load it (empty scopes open a Component to every app)" $component) }}
{{- end }}
{{- range $scopes }}
{{- if not (has . $apps) }}
{{- fail (printf "dapr.policy.componentScopes.%s: no such app in services: %s" $component .) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
