{{/* Names and labels. */}}
{{- define "refactortrack.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "refactortrack.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "refactortrack.labels" -}}
{{ include "refactortrack.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: refactortrack
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "refactortrack.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The consumer group of a worker group, as app/worker.py names it. */}}
{{- define "refactortrack.consumerGroup" -}}
{{- if has .agents (list "analytics" "followers") -}}
{{ .root.Values.kafka.workerGroup }}-{{ .agents }}
{{- else -}}
{{ .root.Values.kafka.workerGroup }}
{{- end -}}
{{- end -}}

{{/* Checks of values that would otherwise fail inside a running pod. */}}
{{- define "refactortrack.validate" -}}
{{- $kafka := .Values.kafka -}}
{{- if not .Values.secrets.existingSecret -}}
{{- fail "secrets.existingSecret: name the Secret that holds JWT_SECRET, DATA_MASTER_KEY and the stores' passwords (docs/deploy-kubernetes.md)" -}}
{{- end -}}
{{- if lt (int $kafka.partitions) 1 -}}
{{- fail "kafka.partitions must be at least 1" -}}
{{- end -}}
{{- if lt (int $kafka.replicationFactor) 1 -}}
{{- fail "kafka.replicationFactor must be at least 1" -}}
{{- end -}}
{{- if or (lt (int $kafka.minInsyncReplicas) 1) (gt (int $kafka.minInsyncReplicas) (int $kafka.replicationFactor)) -}}
{{- fail (printf "kafka.minInsyncReplicas (%v) must be between 1 and kafka.replicationFactor (%v)" $kafka.minInsyncReplicas $kafka.replicationFactor) -}}
{{- end -}}
{{- if not (has $kafka.securityProtocol (list "SASL_PLAINTEXT" "SASL_SSL")) -}}
{{- fail "kafka.securityProtocol must be SASL_PLAINTEXT or SASL_SSL: the broker admits no client that has not logged in" -}}
{{- end -}}
{{- if not (has $kafka.saslMechanism (list "SCRAM-SHA-512" "SCRAM-SHA-256")) -}}
{{- fail "kafka.saslMechanism must be SCRAM-SHA-512 or SCRAM-SHA-256" -}}
{{- end -}}
{{- if not (has .Values.postgres.sslmode (list "disable" "prefer" "require" "verify-ca" "verify-full")) -}}
{{- fail "postgres.sslmode must be one of disable, prefer, require, verify-ca, verify-full" -}}
{{- end -}}
{{- if and .Values.ca.existingSecret .Values.ca.existingConfigMap -}}
{{- fail "ca: set existingSecret or existingConfigMap, not both" -}}
{{- end -}}
{{- range $file := list .Values.postgres.caFile .Values.redis.caFile .Values.opensearch.caFile .Values.kafka.caFile -}}
{{- if and $file (not (or $.Values.ca.existingSecret $.Values.ca.existingConfigMap)) -}}
{{- fail (printf "%s is named as a CA file, but ca.existingSecret / ca.existingConfigMap is empty" $file) -}}
{{- end -}}
{{- end -}}
{{- range $name, $group := .Values.workers -}}
{{- if not (has $group.agents (list "all" "domain" "commands" "followers" "analytics")) -}}
{{- fail (printf "workers.%s.agents must be all, domain, commands, followers or analytics (what `refactortrack worker --agents` accepts)" $name) -}}
{{- end -}}
{{- if and $group.autoscaling.enabled $group.autoscaling.maxReplicas (gt (int $group.autoscaling.maxReplicas) (int $kafka.partitions)) -}}
{{- fail (printf "workers.%s.autoscaling.maxReplicas (%v) is more than kafka.partitions (%v): a consumer beyond the partition count gets no partition" $name $group.autoscaling.maxReplicas $kafka.partitions) -}}
{{- end -}}
{{- end -}}
{{- if .Values.bootstrapAdmin.enabled -}}
{{- if not (and .Values.bootstrapAdmin.tenant .Values.bootstrapAdmin.existingSecret) -}}
{{- fail "bootstrapAdmin: set tenant and existingSecret (a Secret with the admin's username and password)" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A variable read from the release's Secret. */}}
{{- define "refactortrack.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.secrets.existingSecret }}
      key: {{ index .root.Values.secrets.keys .name | default .name }}
      {{- if has .name .root.Values.secrets.optional }}
      optional: true
      {{- end }}
{{- end -}}

{{/*
The environment of a process: the settings every process shares, and the secrets of
its `role` (gateway, worker, migrate, bootstrap) alone.
*/}}
{{- define "refactortrack.env" -}}
{{- $v := .root.Values -}}
{{- $ca := "/etc/refactortrack/ca" -}}
- name: RT_ENV
  value: {{ $v.environment | quote }}
- name: LOG_LEVEL
  value: {{ $v.logLevel | quote }}
- name: POSTGRES_HOST
  value: {{ $v.postgres.host | quote }}
- name: POSTGRES_PORT
  value: {{ $v.postgres.port | quote }}
- name: POSTGRES_DB
  value: {{ $v.postgres.database | quote }}
- name: POSTGRES_USER
  value: {{ $v.postgres.user | quote }}
- name: POSTGRES_SSLMODE
  value: {{ $v.postgres.sslmode | quote }}
{{- with $v.postgres.caFile }}
- name: POSTGRES_SSLROOTCERT
  value: {{ printf "%s/%s" $ca . | quote }}
{{- end }}
- name: POSTGRES_POOL_SIZE
  value: {{ $v.postgres.poolSize | quote }}
{{- include "refactortrack.secretEnv" (dict "root" .root "name" "JWT_SECRET") | nindent 0 }}
{{- include "refactortrack.secretEnv" (dict "root" .root "name" "DATA_MASTER_KEY") | nindent 0 }}
{{- include "refactortrack.secretEnv" (dict "root" .root "name" "POSTGRES_PASSWORD") | nindent 0 }}
{{- if ne .role "bootstrap" }}
- name: REDIS_HOST
  value: {{ $v.redis.host | quote }}
- name: REDIS_PORT
  value: {{ $v.redis.port | quote }}
- name: REDIS_DB
  value: {{ $v.redis.db | quote }}
{{- with $v.redis.username }}
- name: REDIS_USERNAME
  value: {{ . | quote }}
{{- end }}
- name: REDIS_TLS
  value: {{ $v.redis.tls | quote }}
{{- with $v.redis.caFile }}
- name: REDIS_CA_FILE
  value: {{ printf "%s/%s" $ca . | quote }}
{{- end }}
{{- include "refactortrack.secretEnv" (dict "root" .root "name" "REDIS_PASSWORD") | nindent 0 }}
- name: MONGODB_DB
  value: {{ $v.mongodb.database | quote }}
{{- include "refactortrack.secretEnv" (dict "root" .root "name" "MONGODB_URL") | nindent 0 }}
- name: OPENSEARCH_URL
  value: {{ $v.opensearch.url | quote }}
{{- with $v.opensearch.username }}
- name: OPENSEARCH_USERNAME
  value: {{ . | quote }}
{{- end }}
- name: OPENSEARCH_VERIFY_CERTS
  value: {{ $v.opensearch.verifyCerts | quote }}
{{- with $v.opensearch.caFile }}
- name: OPENSEARCH_CA_FILE
  value: {{ printf "%s/%s" $ca . | quote }}
{{- end }}
{{- include "refactortrack.secretEnv" (dict "root" .root "name" "OPENSEARCH_PASSWORD") | nindent 0 }}
- name: INDEX_PREFIX
  value: {{ $v.opensearch.indexPrefix | quote }}
- name: SEARCH_SHARDS
  value: {{ $v.opensearch.shards | quote }}
- name: SEARCH_REPLICAS
  value: {{ $v.opensearch.replicas | quote }}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ $v.kafka.bootstrapServers | quote }}
- name: KAFKA_SECURITY_PROTOCOL
  value: {{ $v.kafka.securityProtocol | quote }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $v.kafka.saslMechanism | quote }}
{{- with $v.kafka.caFile }}
- name: KAFKA_SSL_CAFILE
  value: {{ printf "%s/%s" $ca . | quote }}
{{- end }}
- name: KAFKA_PARTITIONS
  value: {{ $v.kafka.partitions | quote }}
- name: KAFKA_REPLICATION_FACTOR
  value: {{ $v.kafka.replicationFactor | quote }}
- name: KAFKA_MIN_INSYNC_REPLICAS
  value: {{ $v.kafka.minInsyncReplicas | quote }}
- name: KAFKA_ADMIN_USERNAME
  value: {{ $v.kafka.usernames.admin | quote }}
- name: KAFKA_GATEWAY_USERNAME
  value: {{ $v.kafka.usernames.gateway | quote }}
- name: KAFKA_WORKER_USERNAME
  value: {{ $v.kafka.usernames.worker | quote }}
- name: KAFKA_JOBS_USERNAME
  value: {{ $v.kafka.usernames.jobs | quote }}
- name: WORKER_ID
  value: {{ $v.kafka.workerGroup | quote }}
{{- end }}
{{- if eq .role "gateway" }}
{{- include "refactortrack.secretEnv" (dict "root" .root "name" "KAFKA_GATEWAY_PASSWORD") | nindent 0 }}
{{- else if eq .role "worker" }}
{{- include "refactortrack.secretEnv" (dict "root" .root "name" "KAFKA_WORKER_PASSWORD") | nindent 0 }}
{{- else if eq .role "migrate" }}
{{- include "refactortrack.secretEnv" (dict "root" .root "name" "KAFKA_ADMIN_PASSWORD") | nindent 0 }}
{{- end }}
{{- range $name, $value := $v.extraEnv }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* Volumes every app pod mounts: /tmp, and the stores' CA certificates if given. */}}
{{- define "refactortrack.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- if .Values.ca.existingSecret }}
- name: ca
  secret:
    secretName: {{ .Values.ca.existingSecret }}
{{- else if .Values.ca.existingConfigMap }}
- name: ca
  configMap:
    name: {{ .Values.ca.existingConfigMap }}
{{- end }}
{{- end -}}

{{- define "refactortrack.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if or .Values.ca.existingSecret .Values.ca.existingConfigMap }}
- name: ca
  mountPath: /etc/refactortrack/ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* What every app pod's spec shares. */}}
{{- define "refactortrack.podCommon" -}}
automountServiceAccountToken: false
# Service links would add *_PORT variables (e.g. REDIS_PORT=tcp://...) for every
# Service in the namespace; the app reads settings of those names.
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The egress every app pod needs: DNS, and the stores' ports. */}}
{{- define "refactortrack.egress" -}}
{{- $v := .Values -}}
{{- if $v.networkPolicy.dns.enabled }}
- to:
    {{- toYaml $v.networkPolicy.dns.peers | nindent 4 }}
  ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- end }}
{{- $ports := list (int $v.postgres.port) (int $v.redis.port) (int $v.mongodb.port) -}}
{{- range $server := splitList "," $v.kafka.bootstrapServers -}}
{{- $ports = append $ports (int (regexFind "[0-9]+$" (trim $server))) -}}
{{- end -}}
{{- $search := urlParse $v.opensearch.url -}}
{{- $searchPort := regexFind ":[0-9]+$" $search.host | trimPrefix ":" -}}
{{- if not $searchPort -}}
{{- $searchPort = ternary "443" "80" (eq $search.scheme "https") -}}
{{- end -}}
{{- $ports = append $ports (int $searchPort) }}
- ports:
    {{- range $port := $ports | uniq }}
    - {protocol: TCP, port: {{ $port }}}
    {{- end }}
  {{- with $v.networkPolicy.storePeers }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- with $v.networkPolicy.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end -}}
