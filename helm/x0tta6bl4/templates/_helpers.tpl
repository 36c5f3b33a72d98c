{{/* Names and labels shared by the templates. */}}
{{- define "x0tta6bl4.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's name when it already holds the chart's (x0tta6bl4-staging), else both. */}}
{{- define "x0tta6bl4.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "x0tta6bl4.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "x0tta6bl4.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "x0tta6bl4.selectorLabels" -}}
app.kubernetes.io/name: {{ include "x0tta6bl4.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* app=<fullname> as well: the runbooks select pods with -l app=x0tta6bl4-staging. */}}
{{- define "x0tta6bl4.labels" -}}
{{ include "x0tta6bl4.selectorLabels" . }}
app: {{ include "x0tta6bl4.fullname" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "x0tta6bl4.adminTokenSecret" -}}
{{- default (printf "%s-admin-token" (include "x0tta6bl4.fullname" .)) .Values.adminToken.secretName -}}
{{- end -}}


{{/* The Deployments: one named after the release, or the blue/green pair. Each item:
     name, slot ("" without blue/green), replicas, image tag. */}}
{{- define "x0tta6bl4.deployments" -}}
{{- $fullname := include "x0tta6bl4.fullname" . -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.mesh.enabled -}}
{{- $replicas := list (int .Values.replicaCount) -}}
{{- if .Values.blueGreen.enabled -}}
{{- $replicas = list (int .Values.blueGreen.blue.replicas) (int .Values.blueGreen.green.replicas) -}}
{{- end -}}
{{- range $replicas -}}
{{- if gt . 1 -}}
{{- fail "mesh.enabled: one replica per Deployment (a mesh identity belongs to one node)" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if .Values.blueGreen.enabled -}}
{{- if not (has .Values.blueGreen.activeSlot (list "blue" "green")) -}}
{{- fail "blueGreen.activeSlot must be blue or green" -}}
{{- end -}}
- {name: {{ printf "%s-blue" $fullname }}, slot: blue, replicas: {{ int .Values.blueGreen.blue.replicas }}, tag: {{ default $tag .Values.blueGreen.blue.imageTag | quote }}}
- {name: {{ printf "%s-green" $fullname }}, slot: green, replicas: {{ int .Values.blueGreen.green.replicas }}, tag: {{ default $tag .Values.blueGreen.green.imageTag | quote }}}
{{- else -}}
- {name: {{ $fullname }}, slot: "", replicas: {{ int .Values.replicaCount }}, tag: {{ $tag | quote }}}
{{- end -}}
{{- end -}}
