"""OpenAPI definitions (apiserver.apis.schemas) and the JSON codec (apiserver.codec.json)."""

import copy
import gzip
import json
import os
import subprocess
import sys
import time
import timeit

import pytest

from apiserver.apis import schemas
from apiserver.codec import json as kjson
from apiserver.codec.json import JSONError

DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"
POD = "io.k8s.api.core.v1.Pod"
SERVICE = "io.k8s.api.core.v1.Service"
CONFIGMAP = "io.k8s.api.core.v1.ConfigMap"
CRD = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- manifests ------------------------------------------------------------------------------------------------

def container(name="app", image="nginx:1.27"):
    return {
        "name": name, "image": image, "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/app"], "args": ["--port=8080"], "workingDir": "/srv",
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "MODE", "value": "prod"},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "token", "optional": True}}}],
        "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "CFG_"}],
        "resources": {"limits": {"cpu": "500m", "memory": "512Mi"}, "requests": {"cpu": 0.1, "memory": "128Mi"}},
        "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True, "subPath": "x"}],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP",
                                      "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
                          "initialDelaySeconds": 5, "periodSeconds": 10, "failureThreshold": 3},
        "readinessProbe": {"tcpSocket": {"port": "http"}, "timeoutSeconds": 1},
        "startupProbe": {"exec": {"command": ["true"]}},
        "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "stdin": False, "tty": False,
    }


def pod_spec():
    return {
        "containers": [container(), container("sidecar", "busybox:1.36")],
        "initContainers": [{"name": "init", "image": "busybox", "command": ["sh", "-c", "true"],
                            "restartPolicy": "Always"}],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "pvc"}},
                    {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420,
                                                  "items": [{"key": "a", "path": "a.txt"}]}},
                    {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
                    {"name": "proj", "projected": {"sources": [
                        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
                        {"downwardAPI": {"items": [{"path": "labels",
                                                    "fieldRef": {"fieldPath": "metadata.labels"}}]}}]}}],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "app", "automountServiceAccountToken": False, "nodeSelector": {"disk": "ssd"},
        "securityContext": {"fsGroup": 2000, "sysctls": [{"name": "net.core.somaxconn", "value": "1024"}]},
        "affinity": {
            "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}]}},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}},
                                                    "topologyKey": "kubernetes.io/hostname"}}]}},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule",
                         "tolerationSeconds": 60}],
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                                       "labelSelector": {"matchLabels": {"app": "web"}}}],
        "imagePullSecrets": [{"name": "regcred"}], "hostAliases": [{"ip": "10.0.0.1", "hostnames": ["db"]}],
        "priorityClassName": "high", "schedulingGates": [{"name": "gate"}],
    }


def metadata(name="web", **extra):
    meta = {"name": name, "namespace": "default", "labels": {"app": "web", "app.kubernetes.io/name": "web"},
            "annotations": {"example.com/note": "x"}, "uid": "6f1e2c8a-1b2c-4d5e-8f90-123456789abc",
            "resourceVersion": "42", "generation": 2, "creationTimestamp": "2024-01-01T00:00:00Z",
            "finalizers": ["example.com/cleanup"],
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1",
                                 "uid": "0a1b2c3d-0000-0000-0000-000000000000", "controller": True,
                                 "blockOwnerDeletion": True}],
            "managedFields": [{"manager": "kubectl", "operation": "Apply", "apiVersion": "v1",
                               "time": "2024-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                               "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}}}}]}
    meta.update(extra)
    return meta


def deployment():
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata(),
        "spec": {"replicas": 3, "minReadySeconds": 5, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                 "selector": {"matchLabels": {"app": "web"},
                              "matchExpressions": [{"key": "tier", "operator": "Exists"}]},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec()}},
        "status": {"observedGeneration": 2, "replicas": 3, "readyReplicas": 3,
                   "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                                   "lastUpdateTime": "2024-01-01T00:00:00Z",
                                   "lastTransitionTime": "2024-01-01T00:00:00Z"}]},
    }


def pod():
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata("web-1"), "spec": pod_spec(),
            "status": {"phase": "Running", "podIP": "10.1.2.3", "podIPs": [{"ip": "10.1.2.3"}],
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0, "image": "nginx",
                                              "imageID": "sha256:x", "started": True,
                                              "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}}]}}


def service():
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(),
            "spec": {"type": "LoadBalancer", "selector": {"app": "web"}, "clusterIP": "10.96.0.10",
                     "clusterIPs": ["10.96.0.10"], "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP",
                                "nodePort": 30080, "appProtocol": "http"}],
                     "sessionAffinity": "ClientIP",
                     "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
                     "externalTrafficPolicy": "Local", "loadBalancerSourceRanges": ["0.0.0.0/0"]},
            "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4",
                                                     "ports": [{"port": 80, "protocol": "TCP"}]}]}}}


def configmap():
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata("cfg"),
            "data": {"anything": "goes", "spec.replicass": "keys are free", "nested": '{"a": 1}'},
            "binaryData": {"blob": "AAEC"}, "immutable": False}


def crd():
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"],
                      "categories": ["all"]},
            "versions": [{
                "name": "v1", "served": True, "storage": True,
                "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                         "statusReplicasPath": ".status.replicas"}},
                "additionalPrinterColumns": [{"name": "Age", "type": "date",
                                              "jsonPath": ".metadata.creationTimestamp"}],
                "selectableFields": [{"jsonPath": ".spec.color"}],
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "spec": {"type": "object", "required": ["color"],
                                 "x-kubernetes-validations": [{"rule": "self.size > 0", "message": "m"}],
                                 "properties": {
                                     "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
                                     "size": {"type": "integer", "minimum": 1, "maximum": 10},
                                     "tags": {"type": "array", "items": {"type": "string"},
                                              "x-kubernetes-list-type": "set"},
                                     "any": {"x-kubernetes-preserve-unknown-fields": True,
                                             "x-kubernetes-int-or-string": True},
                                     "tuple": {"type": "array", "items": [{"type": "string"}]},
                                     "map": {"type": "object", "additionalProperties": {"type": "string"}},
                                     "open": {"type": "object", "additionalProperties": True},
                                 }},
                        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    },
                }},
            }],
            "conversion": {"strategy": "None"},
        },
    }


def more_valid_objects():
    """A realistic valid object of more kinds: (definition, object)."""
    pod_template = {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec()}
    return [
        ("io.k8s.api.apps.v1.StatefulSet", {
            "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": metadata(),
            "spec": {"serviceName": "web", "replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": pod_template, "podManagementPolicy": "Parallel",
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                     "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Delete"},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                               "spec": {"accessModes": ["ReadWriteOnce"],
                                                        "resources": {"requests": {"storage": "1Gi"}}}}]}}),
        ("io.k8s.api.apps.v1.DaemonSet", {
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": metadata(),
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": pod_template,
                     "updateStrategy": {"type": "RollingUpdate",
                                        "rollingUpdate": {"maxUnavailable": "10%", "maxSurge": 0}}}}),
        ("io.k8s.api.batch.v1.CronJob", {
            "apiVersion": "batch/v1", "kind": "CronJob", "metadata": metadata(),
            "spec": {"schedule": "*/5 * * * *", "timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid",
                     "jobTemplate": {"spec": {"backoffLimit": 2, "completions": 1, "parallelism": 1,
                                              "ttlSecondsAfterFinished": 100,
                                              "podFailurePolicy": {"rules": [{"action": "FailJob",
                                                                              "onExitCodes": {"operator": "In",
                                                                                              "values": [42]}}]},
                                              "template": pod_template}}}}),
        ("io.k8s.api.networking.v1.Ingress", {
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata(),
            "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["a.example.com"], "secretName": "tls"}],
                     "rules": [{"host": "a.example.com", "http": {"paths": [
                         {"path": "/", "pathType": "Prefix",
                          "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}),
        ("io.k8s.api.networking.v1.NetworkPolicy", {
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata(),
            "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                                           {"namespaceSelector": {}}],
                                  "ports": [{"protocol": "TCP", "port": 80, "endPort": 90}]}]}}),
        ("io.k8s.api.rbac.v1.ClusterRole", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
                      {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}],
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "true"}}]}}),
        ("io.k8s.api.rbac.v1.RoleBinding", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": metadata(),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": "default"}]}),
        ("io.k8s.api.core.v1.Secret", {
            "apiVersion": "v1", "kind": "Secret", "metadata": metadata(), "type": "Opaque",
            "data": {"password": "cGFzcw=="}, "stringData": {"user": "admin"}}),
        ("io.k8s.api.core.v1.PersistentVolumeClaim", {
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata(),
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast", "volumeMode": "Filesystem",
                     "resources": {"requests": {"storage": "10Gi"}, "limits": {"storage": "20Gi"}},
                     "selector": {"matchLabels": {"tier": "db"}},
                     "dataSourceRef": {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot",
                                       "name": "snap"}},
            "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}}}),
        ("io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler", {
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": metadata(),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 1, "maxReplicas": 10,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                         "type": "Utilization", "averageUtilization": 70}}}],
                     "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
                                                "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}}}),
        ("io.k8s.api.core.v1.Event", {
            "apiVersion": "v1", "kind": "Event", "metadata": metadata("web.123"),
            "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "default", "fieldPath": "spec"},
            "reason": "Started", "message": "Started container", "type": "Normal", "count": 1,
            "firstTimestamp": "2024-01-01T00:00:00Z", "eventTime": "2024-01-01T00:00:00.000000Z",
            "source": {"component": "kubelet", "host": "node-1"}}),
        ("io.k8s.api.core.v1.Namespace", {
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
        ("io.k8s.api.apps.v1.ControllerRevision", {
            "apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": metadata(), "revision": 3,
            "data": {"spec": {"template": {"anything": {"at": ["all"]}}}}}),
        ("io.k8s.api.core.v1.PodList", {
            "apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "7", "continue": ""},
            "items": [pod(), pod()]}),
        ("io.k8s.apimachinery.pkg.apis.meta.v1.Status", {
            "apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure", "message": "m",
            "reason": "NotFound", "code": 404,
            "details": {"name": "x", "kind": "pods", "causes": [{"reason": "FieldValueInvalid", "field": "f"}]}}),
    ]


# -- definitions ----------------------------------------------------------------------------------------------

def test_data_describes_upstream():
    info = schemas.info()
    assert info["kubernetesVersion"] == "1.32.0"
    assert info["license"] == "Apache-2.0"
    assert "Kubernetes Authors" in info["copyright"]
    defs = schemas.definitions()
    assert len(defs) == 638
    dep = defs[DEPLOYMENT]
    assert dep["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    assert dep["properties"]["spec"]["$ref"] == "#/definitions/io.k8s.api.apps.v1.DeploymentSpec"
    assert dep["properties"]["kind"]["type"] == "string"  # the converter's ["string", "null"] is undone
    assert "enum" not in dep["properties"]["kind"]
    assert "description" in dep["properties"]["spec"]
    ios = defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert (ios["type"], ios["format"]) == ("string", "int-or-string")
    assert defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]["type"] == "string"
    assert defs["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["format"] == "date-time"


def test_data_file_is_gzip_json_and_deterministic_header():
    with open(schemas.DATA_FILE, "rb") as f:
        blob = f.read()
    assert blob[4:8] == b"\0\0\0\0"  # gzip mtime 0: regenerating gives identical bytes
    doc = json.loads(gzip.decompress(blob))
    assert set(doc) == {"info", "definitions"}


def test_definition_for():
    assert schemas.definition_for("apps", "v1", "Deployment") == DEPLOYMENT
    assert schemas.definition_for("", "v1", "Pod") == POD
    assert schemas.definition_for("", "v1", "ConfigMap") == CONFIGMAP
    assert schemas.definition_for("apiextensions.k8s.io", "v1", "CustomResourceDefinition") == CRD
    assert schemas.definition_for("apps", "v1", "DeleteOptions") == "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"
    assert schemas.definition_for("apps", "v1", "Nope") is None
    assert schemas.definition_for("", "v2", "Pod") is None


def test_resolve():
    spec = schemas.definitions()[DEPLOYMENT]["properties"]["spec"]
    resolved = schemas.resolve(spec)
    assert "replicas" in resolved["properties"]
    assert resolved["description"] == spec["description"]  # the property's own description wins
    assert schemas.resolve("io.k8s.api.apps.v1.DeploymentSpec")["properties"] is resolved["properties"]
    strategy = schemas.definitions()["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"]
    assert schemas.resolve(strategy)["x-kubernetes-patch-strategy"] == "retainKeys"
    plain = {"type": "string"}
    assert schemas.resolve(plain) is plain
    with pytest.raises(KeyError):
        schemas.resolve({"$ref": "#/definitions/no.such.Thing"})


# -- unknown fields -------------------------------------------------------------------------------------------

def test_valid_objects_have_no_unknown_fields():
    cases = [(DEPLOYMENT, deployment()), (POD, pod()), (SERVICE, service()), (CONFIGMAP, configmap()),
             (CRD, crd())] + more_valid_objects()
    assert len(cases) >= 10
    for definition, obj in cases:
        assert schemas.unknown_fields(obj, definition) == [], definition
        assert schemas.strict_errors(obj, definition) == [], definition
        gvk = schemas.definitions()[definition]["x-kubernetes-group-version-kind"]
        group, _, version = obj["apiVersion"].rpartition("/")
        assert {"group": group, "version": version, "kind": obj["kind"]} in gvk


def test_unknown_fields_deployment_every_depth():
    obj = deployment()
    obj["spec"]["replicass"] = 3
    obj["metadata"]["labelss"] = {"a": "b"}
    obj["spec"]["template"]["spec"]["containers"][1]["imagee"] = "x"
    obj["spec"]["template"]["spec"]["containers"][0]["ports"][0]["hostPortt"] = 1
    obj["spec"]["template"]["spec"]["containers"][0]["env"][1]["valueFrom"]["fieldRef"]["x"] = 1
    obj["spec"]["strategy"]["rollingUpdate"]["maxSurgee"] = 1
    obj["spec"]["selector"]["matchExpressions"][0]["valuess"] = []
    obj["status"]["conditions"][0]["extra"] = True
    obj["metadata"]["ownerReferences"][0]["controllerr"] = True
    obj["metadata"]["managedFields"][0]["fieldsV1"]["f:anything"] = {"goes": 1}  # FieldsV1 is free-form
    obj["Spec"] = {}  # case matters (sigs.k8s.io/json is case-sensitive)
    assert schemas.unknown_fields(obj, DEPLOYMENT) == [  # document (insertion) order, depth-first
        "metadata.ownerReferences[0].controllerr",
        "metadata.labelss",
        "spec.selector.matchExpressions[0].valuess",
        "spec.strategy.rollingUpdate.maxSurgee",
        "spec.template.spec.containers[0].ports[0].hostPortt",
        "spec.template.spec.containers[0].env[1].valueFrom.fieldRef.x",
        "spec.template.spec.containers[1].imagee",
        "spec.replicass",
        "status.conditions[0].extra",
        "Spec",
    ]


def test_unknown_fields_pod_and_service():
    p = pod()
    p["spec"]["volumes"][3]["projected"]["sources"][1]["downwardAPI"]["items"][0]["fieldRef"]["bogus"] = 1
    p["spec"]["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["wieght"] = 1
    p["status"]["containerStatuses"][0]["state"]["running"]["since"] = "x"
    p["spec"]["nodeSelector"]["any.key/is-fine"] = "yes"  # a map
    p["apiVersion"] = "v1"
    assert schemas.unknown_fields(p, POD) == [
        "spec.volumes[3].projected.sources[1].downwardAPI.items[0].fieldRef.bogus",
        "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].wieght",
        "status.containerStatuses[0].state.running.since",
    ]
    s = service()
    s["spec"]["ports"][0]["targetPortt"] = 80
    s["spec"]["sessionAffinityConfig"]["clientIP"]["timeout"] = 1
    s["status"]["loadBalancer"]["ingress"][0]["ports"][0]["errorr"] = "x"
    s["spec"]["ports"][0]["targetPort"] = 8080  # IntOrString either way
    assert schemas.unknown_fields(s, SERVICE) == [
        "spec.ports[0].targetPortt",
        "spec.sessionAffinityConfig.clientIP.timeout",
        "status.loadBalancer.ingress[0].ports[0].errorr",
    ]


def test_unknown_fields_configmap_map_keys_are_free():
    cm = configmap()
    cm["data"]["whatever.you/like"] = "v"
    assert schemas.unknown_fields(cm, CONFIGMAP) == []
    cm["dataa"] = {}
    cm["metadata"]["annotationss"] = {}
    assert schemas.unknown_fields(cm, CONFIGMAP) == ["metadata.annotationss", "dataa"]


def test_unknown_fields_map_values_are_checked():
    # PodSpec.overhead and resources are maps of Quantity (scalar); the CRD's properties map holds schemas.
    c = crd()
    props = c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
    props["spec"]["properties"]["color"]["bogus"] = True
    props["status"]["x-kubernetes-preserve-unknown-fieldz"] = True
    assert schemas.unknown_fields(c, CRD) == [
        "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.color.bogus",
        "spec.versions[0].schema.openAPIV3Schema.properties.status.x-kubernetes-preserve-unknown-fieldz",
    ]


def test_unknown_fields_free_form_values():
    c = crd()
    props = c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    props["color"]["default"] = {"any": {"json": [1, 2]}}  # JSON
    props["color"]["example"] = [{"x": 1}]
    props["tags"]["items"] = {"type": "string", "notAField": 1}  # JSONSchemaPropsOrArray: custom unmarshaller
    props["map"]["additionalProperties"] = {"whatever": True}  # JSONSchemaPropsOrBool
    assert schemas.unknown_fields(c, CRD) == []
    rev = dict(more_valid_objects())["io.k8s.api.apps.v1.ControllerRevision"]  # RawExtension
    assert schemas.unknown_fields(rev, "io.k8s.api.apps.v1.ControllerRevision") == []
    event = {"type": "ADDED", "object": {"kind": "Pod", "anything": 1}}  # WatchEvent.object is RawExtension
    assert schemas.unknown_fields(event, "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent") == []


def test_unknown_fields_empty_structs_reject_everything():
    c = crd()
    c["spec"]["versions"][0]["subresources"]["status"] = {"x": 1}
    assert schemas.unknown_fields(c, CRD) == ["spec.versions[0].subresources.status.x"]


def test_unknown_fields_wrong_types_are_left_to_the_decoder():
    obj = deployment()
    obj["spec"]["template"] = "not an object"
    obj["spec"]["selector"]["matchLabels"] = ["a"]
    obj["metadata"]["labels"] = None
    obj["spec"]["replicas"] = {"a": 1}  # scalar field, object value: not an unknown field
    assert schemas.unknown_fields(obj, DEPLOYMENT) == []


def test_unknown_fields_crd_schema_with_preserve_unknown_fields():
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "replicas": {"type": "integer"},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    "partly": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                               "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}}},
                    "items": {"type": "array", "items": {"type": "object",
                                                         "properties": {"name": {"type": "string"}}}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                                 "properties": {"spec": {"type": "object",
                                                         "x-kubernetes-preserve-unknown-fields": True}}},
                    "closed": {"type": "object"},
                },
            },
        },
    }
    obj = {
        "apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w", "labels": {"a": "b"}, "unknownMeta": 1},
        "spec": {
            "replicas": 1, "replicass": 2,
            "free": {"anything": {"deep": [1, {"x": 2}]}},
            "partly": {"other": 1, "known": {"a": "x", "b": "unknown"}},
            "items": [{"name": "a"}, {"name": "b", "extra": 1}],
            "labels": {"any": "key"},
            "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "bogus": 1},
                         "spec": {"whatever": True}, "nope": 1},
            "closed": {"pruned": 1},
        },
        "status": {"x": 1},
    }
    assert schemas.unknown_fields(obj, schema) == [
        "metadata.unknownMeta",
        "spec.replicass",
        "spec.partly.known.b",
        "spec.items[1].extra",
        "spec.template.metadata.bogus",
        "spec.template.nope",
        "spec.closed.pruned",
        "status",
    ]
    root_preserve = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    assert schemas.unknown_fields({"apiVersion": "a/v1", "kind": "K", "metadata": {"x": 1}, "y": {}},
                                  root_preserve) == ["metadata.x"]


def test_strict_errors_match_upstream_conformance_message():
    # test/e2e/apimachinery/field_validation.go: "should detect unknown and duplicate fields of a typed object"
    body = b"""{
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "my-dep", "labels": {"app": "nginx"}},
        "spec": {
            "unknownField": "foo", "replicas": 2, "replicas": 3,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {"metadata": {"labels": {"app": "nginx"}},
                         "spec": {"containers": [{"name": "nginx", "image": "nginx:latest"}]}}}}"""
    obj, duplicates = kjson.loads(body)
    assert duplicates == ["spec.replicas"]
    assert obj["spec"]["replicas"] == 3
    errors = schemas.strict_errors(kjson.loads_pairs(body), DEPLOYMENT)
    message = "strict decoding error: " + ", ".join(errors)
    assert message == 'strict decoding error: unknown field "spec.unknownField", duplicate field "spec.replicas"'
    body = b'{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"my-dep","unknownMeta":"foo"}}'
    obj, duplicates = kjson.loads(body)
    assert duplicates == []
    assert schemas.strict_errors(obj, DEPLOYMENT) == ['unknown field "metadata.unknownMeta"']


def test_strict_errors_order_dedupe_and_limit():
    body = json.dumps({"x": 1}).encode()[:-1] + b""", "x": 2,
        "metadata": {"name": "a", "name": "b", "labels": {"k": "1", "k": "2", "k": "3"}},
        "spec": {"containers": [{"name": "c", "bogus": 1, "bogus": 2, "name": "d"}],
                 "containers": [{"name": "e", "late": {"a": 1, "a": 2}}]},
        "status": {"phase": "x", "phase": "y"}}"""
    errors = schemas.strict_errors(kjson.loads_pairs(body), POD)
    assert errors == [
        'unknown field "x"',
        'duplicate field "metadata.name"',
        'duplicate field "metadata.labels.k"',
        'unknown field "spec.containers[0].bogus"',
        'duplicate field "spec.containers[0].name"',
        'duplicate field "spec.containers"',
        'unknown field "spec.containers[0].late"',  # the unknown value itself is skipped (no "late.a")
        'duplicate field "status.phase"',
    ]
    many = {"metadata": {f"f{i}": 1 for i in range(150)}}
    assert len(schemas.strict_errors(many, POD)) == schemas.MAX_STRICT_ERRORS == 100
    assert len(schemas.unknown_fields(many, POD)) == 150
    assert schemas.strict_errors({"metadata": {'we"ird\n': 1}}, POD) == ['unknown field "metadata.we\\"ird\\n"']


def test_strict_errors_preserved_fields_report_nested_duplicates():
    schema = {"type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                                                        "properties": {"foo": {"type": "string"}}}}}
    body = b'{"spec": {"unknown": {"a": [{"b": 1, "b": 2}]}, "foo": "1", "foo": "2", "u": {"x": 1, "x": 2}, "u": 3}}'
    assert schemas.strict_errors(kjson.loads_pairs(body), schema) == [
        'duplicate field "spec.unknown.a[0].b"', 'duplicate field "spec.foo"', 'duplicate field "spec.u.x"',
        'duplicate field "spec.u"']
    assert kjson.loads(body)[1] == ["spec.unknown.a[0].b", "spec.foo", "spec.u.x", "spec.u"]


# -- field metadata -------------------------------------------------------------------------------------------

def test_field_meta_pod_lists():
    containers = schemas.field_meta(POD, ["spec", "containers"])
    assert (containers.patch_strategy, containers.patch_merge_key) == ("merge", "name")
    assert (containers.list_type, containers.list_map_keys) == ("map", ("name",))
    assert containers.type == "array"
    assert containers.items["properties"]["image"]["type"] == "string"
    ports = schemas.field_meta(POD, ["spec", "containers", "ports"])
    assert (ports.patch_strategy, ports.patch_merge_key) == ("merge", "containerPort")
    assert (ports.list_type, ports.list_map_keys) == ("map", ("containerPort", "protocol"))
    assert schemas.field_meta(POD, ["spec", "containers", 0, "ports"]) == ports
    assert schemas.field_meta(POD, ["spec", "containers", "[]", "ports"]) == ports
    env = schemas.field_meta(POD, ["spec", "containers", "env"])
    assert (env.patch_strategy, env.patch_merge_key, env.list_type, env.list_map_keys) == (
        "merge", "name", "map", ("name",))
    volumes = schemas.field_meta(POD, ["spec", "volumes"])
    assert volumes.patch_strategies == ("merge", "retainKeys")
    assert (volumes.patch_merge_key, volumes.list_type, volumes.list_map_keys) == ("name", "map", ("name",))
    tolerations = schemas.field_meta(POD, ["spec", "tolerations"])
    assert (tolerations.patch_strategy, tolerations.patch_merge_key, tolerations.list_type) == (None, None, "atomic")
    finalizers = schemas.field_meta(POD, ["metadata", "finalizers"])
    assert (finalizers.patch_strategy, finalizers.patch_merge_key, finalizers.list_type) == ("merge", None, "set")
    owners = schemas.field_meta(POD, ["metadata", "ownerReferences"])
    assert (owners.patch_strategy, owners.patch_merge_key, owners.list_type, owners.list_map_keys) == (
        "merge", "uid", "map", ("uid",))
    args = schemas.field_meta(POD, ["spec", "containers", "args"])
    assert (args.patch_strategy, args.list_type) == (None, "atomic")


def test_field_meta_objects_maps_and_free_form():
    dep = schemas.field_meta(DEPLOYMENT, [])
    assert dep.definition == DEPLOYMENT and dep.type == "object"
    strategy = schemas.field_meta(DEPLOYMENT, ["spec", "strategy"])
    assert strategy.definition == "io.k8s.api.apps.v1.DeploymentStrategy"
    assert strategy.patch_strategy == "retainKeys"
    assert "rollingUpdate" in strategy.schema["properties"]
    assert schemas.field_meta(DEPLOYMENT, ["spec", "selector"]).map_type == "atomic"
    labels = schemas.field_meta(DEPLOYMENT, ["metadata", "labels"])
    assert labels.type == "object" and labels.schema["additionalProperties"] == {"type": "string"}
    assert schemas.field_meta(DEPLOYMENT, ["metadata", "labels", "any"]).type == "string"
    cpu = schemas.field_meta(POD, ["spec", "containers", "resources", "limits", "cpu"])
    assert cpu.definition == "io.k8s.apimachinery.pkg.api.resource.Quantity" and not cpu.free_form
    fields = schemas.field_meta(POD, ["metadata", "managedFields", "fieldsV1"])
    assert fields.free_form
    assert schemas.field_meta(POD, ["metadata", "managedFields", "fieldsV1", "f:spec"]).free_form
    assert schemas.field_meta(POD, ["spec", "nope"]) is None
    assert schemas.field_meta(POD, ["spec", "containers", "nope"]) is None
    assert schemas.field_meta(POD, ["spec", "hostname", "x"]) is None


def test_field_meta_on_a_crd_schema():
    schema = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert schemas.field_meta(schema, ["spec", "tags"]).list_type == "set"
    assert schemas.field_meta(schema, ["status", "anything"]).free_form
    assert schemas.field_meta(schema, ["metadata", "finalizers"]).list_type == "set"  # ObjectMeta
    assert schemas.field_meta(schema, ["spec", "missing"]) is None


# -- JSON -----------------------------------------------------------------------------------------------------

def test_loads_plain():
    assert kjson.loads(b'{"a":[1,2.5,"x",true,false,null],"b":{}}') == (
        {"a": [1, 2.5, "x", True, False, None], "b": {}}, [])
    assert kjson.loads('{"a":1}') == ({"a": 1}, [])
    assert kjson.loads(bytearray(b"[]")) == ([], [])
    assert kjson.loads(memoryview(b" 7 ")) == (7, [])


def test_loads_duplicates_at_several_depths():
    obj, dups = kjson.loads(b'{"metadata":{"name":"a","name":"b"}}')
    assert obj == {"metadata": {"name": "b"}} and dups == ["metadata.name"]
    body = b"""{"kind": "A", "kind": "B",
                "spec": {"containers": [{"name": "x", "ports": [{"p": 1, "p": 2}], "name": "y"},
                                        {"name": "z", "name": "z"}]},
                "metadata": {"labels": {"a": "1", "b": "2", "a": "3", "a": "4"}},
                "list": [[{"deep": {"k": 1, "k": 2}}]]}"""
    obj, dups = kjson.loads(body)
    assert dups == ["kind", "spec.containers[0].ports[0].p", "spec.containers[0].name", "spec.containers[1].name",
                    "metadata.labels.a", "list[0][0].deep.k"]
    assert obj["kind"] == "B"
    assert list(obj["metadata"]["labels"].items()) == [("a", "4"), ("b", "2")]  # first position, last value
    assert obj["spec"]["containers"][0] == {"name": "y", "ports": [{"p": 2}]}
    obj, dups = kjson.loads(b'[{"a":1,"a":2}]')
    assert (obj, dups) == ([{"a": 2}], ["[0].a"])
    # nested duplicates inside the earlier value come first, as the decoder meets them
    obj, dups = kjson.loads(b'{"a":{"x":1,"x":2},"a":{"y":1,"y":2}}')
    assert (obj, dups) == ({"a": {"y": 2}}, ["a.x", "a", "a.y"])
    pairs = kjson.loads_pairs(b'{"a":1,"b":[{"c":2}],"a":3}')
    assert pairs == (("a", 1), ("b", [(("c", 2),)]), ("a", 3))


def test_loads_numbers_like_go():
    obj, _ = kjson.loads(b'[1, -2, 1.5, 1.0, 1e3, 2E-2, 0.0, -0.0, 12345678901234567890, 1e20, 1e21]')
    assert obj[:7] == [1, -2, 1.5, 1, 1000, 0.02, 0]
    assert [type(v) for v in obj[:7]] == [int, int, float, int, int, float, int]
    assert str(obj[7]) == "-0.0"
    assert obj[8] == 12345678901234567890
    assert obj[9] == 10 ** 20 and isinstance(obj[9], int)
    assert obj[10] == 1e21 and isinstance(obj[10], float)
    assert kjson.loads(b"123456789012345678.0")[0] == 123456789012345680  # Go's digits, not the binary value
    assert kjson.dumps(kjson.loads(b"[1.0, 1e2, 0.5]")[0]) == b"[1,100,0.5]"


def test_loads_utf8_and_surrogates_like_go():
    assert kjson.loads(b'{"a":"caf\xc3\xa9 \xff"}')[0] == {"a": "caf\u00e9 \ufffd"}
    assert kjson.loads(b'"\\ud83d\\ude00"')[0] == "\U0001f600"
    assert kjson.loads(b'{"\\ud800":"x\\udc00y"}')[0] == {"\ufffd": "x\ufffdy"}
    assert kjson.loads(b'"\\u0000"')[0] == "\x00"


MALFORMED = [
    (b"", "unexpected end of JSON input"),
    (b"   ", "unexpected end of JSON input"),
    (b'{"a":1', "unexpected end of JSON input"),
    (b'{"a":', "unexpected end of JSON input"),
    (b'{"metadata":{"name":"x"', "unexpected end of JSON input"),
    (b'"abc', "unexpected end of JSON input"),
    (b"tru", "unexpected end of JSON input"),
    (b"x", "invalid character 'x' looking for beginning of value"),
    (b'{"a":1}x', "invalid character 'x' after top-level value"),
    (b'{"a":1} {"b":2}', "invalid character '{' after top-level value"),
    (b"[1 2]", "invalid character '2' after array element"),
    (b'{"a":1 "b":2}', "invalid character '\"' after object key:value pair"),
    (b'{"a" 1}', "invalid character '1' after object key"),
    (b"{1:2}", "invalid character '1' looking for beginning of object key string"),
    (b'{"a":1,}', "invalid character '}' looking for beginning of object key string"),
    (b"[1,]", "invalid character ']' looking for beginning of value"),
    (b"{'a':1}", "invalid character '\\'' looking for beginning of object key string"),
    (b'"a\nb"', "invalid character '\\n' in string literal"),
    (b'"\\x"', "invalid character 'x' in string escape code"),
    (b'"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"),
    (b"trUe", "invalid character 'U' in literal true (expecting 'u')"),
    (b"[1.x]", "invalid character 'x' after decimal point in numeric literal"),
    (b"1ex", "invalid character 'x' in exponent of numeric literal"),
    (b"-x", "invalid character 'x' in numeric literal"),
    (b"01", "invalid character '1' after top-level value"),
    (b"[NaN]", "invalid character 'N' looking for beginning of value"),
    (b'{"a":Infinity}', "invalid character 'I' looking for beginning of value"),
    (b'{"a":-Infinity}', "invalid character 'I' in numeric literal"),
    (b"\xef\xbb\xbf{}", "invalid character '\u00ef' looking for beginning of value"),
    (b"\xc3\xa9", "invalid character '\u00c3' looking for beginning of value"),
    (b"[1e400]", "json: cannot unmarshal number 1e400 into Go value of type float64"),
]


@pytest.mark.parametrize("body,message", MALFORMED)
def test_malformed_json_gives_gos_message(body, message):
    with pytest.raises(JSONError) as info:
        kjson.loads(body)
    assert str(info.value) == message
    with pytest.raises(JSONError):
        kjson.loads_pairs(body)


def test_malformed_json_says_where():
    with pytest.raises(JSONError) as info:
        kjson.loads(b'{\n  "a": 1,\n  "b": x\n}')
    err = info.value
    assert (err.line, err.column, err.offset) == (3, 8, 19)
    assert err.describe() == "invalid character 'x' looking for beginning of value (line 3, column 8, byte offset 19)"
    assert isinstance(err, ValueError)


def test_depth_limit():
    ok = b"[" * kjson.MAX_DEPTH + b"]" * kjson.MAX_DEPTH
    assert kjson.loads(ok)[1] == []
    for body in (b"[" * (kjson.MAX_DEPTH + 1) + b"]" * (kjson.MAX_DEPTH + 1),
                 b'{"a":' * 1000 + b"1" + b"}" * 1000,
                 b"[" * 100000,
                 b'{"a":[' * 50000 + b"]}" * 50000):
        with pytest.raises(JSONError) as info:
            kjson.loads(body)
        assert "exceeded max depth" in str(info.value)
    # brackets inside strings do not count
    assert kjson.loads(b'["' + b"[" * 1000 + b'","' + b"]" * 1000 + b'"]')[0] == ["[" * 1000, "]" * 1000]
    deep_strings = b"[" * 200 + b'"]]]]\\"]]"' + b"]" * 200
    assert kjson.loads(deep_strings)[1] == []


def same_numbers(a, b):
    """Equal, comparing numbers as floats (1e17 parses to the int Go would print)."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and type(a) is not bool and type(b) is not bool:
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same_numbers(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_numbers(x, y) for x, y in zip(a, b))
    return a == b and type(a) is type(b)


def test_fuzz_loads_never_raises_anything_else():
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")

    seeds = [b'{"a":[1,{"b":"c"}],"d":null}', b'[true,false,-1.5e3,"\\u00e9"]', json.dumps(deployment()).encode()]

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(st.sampled_from(seeds), st.integers(0, 10 ** 6), st.binary(max_size=4), st.integers(0, 3))
    def mutate(seed, where, junk, how):
        i = where % (len(seed) + 1)
        body = [seed[:i], seed[:i] + junk + seed[i:], seed[:i] + junk + seed[i + 1:], junk + seed][how]
        try:
            obj, dups = kjson.loads(body)
        except JSONError as e:
            assert str(e)
        else:
            assert isinstance(dups, list)
            kjson.dumps(obj)

    mutate()

    values = st.recursive(
        st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.text(max_size=8)
        | st.floats(allow_nan=False, allow_infinity=False),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
        max_leaves=20)

    @hypothesis.settings(max_examples=300, deadline=None)
    @hypothesis.given(values)
    def round_trip(value):
        body = kjson.dumps(value)
        assert b"<" not in body and b">" not in body and b"&" not in body
        parsed, duplicates = kjson.loads(body)
        assert duplicates == [] and same_numbers(parsed, value)  # integral floats come back as Go prints them
        assert json.loads(body) == value

    round_trip()


def test_dumps_like_go():
    assert kjson.dumps({"a": [1, "x", None, True], "b": {}}) == b'{"a":[1,"x",null,true],"b":{}}'
    assert kjson.dumps({"html": "<a href='x'>&</a>"}) == b'{"html":"\\u003ca href=\'x\'\\u003e\\u0026\\u003c/a\\u003e"}'
    assert kjson.dumps({"<k>": 1}) == b'{"\\u003ck\\u003e":1}'
    assert kjson.dumps("caf\u00e9 \u2028\u2029 \U0001f600") == '"caf\u00e9 \\u2028\\u2029 \U0001f600"'.encode()
    assert kjson.dumps("\x00\x1f\b\f\n\r\t\"\\\x7f") == b'"\\u0000\\u001f\\b\\f\\n\\r\\t\\"\\\\\x7f"'
    assert kjson.dumps("lone \ud800") == '"lone \ufffd"'.encode()
    assert kjson.dumps([0.5, 1e21, -3]) == b"[0.5,1e+21,-3]"
    with pytest.raises(ValueError):
        kjson.dumps(float("nan"))


def test_go_quote():
    assert kjson.go_quote("spec.replicas") == '"spec.replicas"'
    assert kjson.go_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert kjson.go_quote("\n\t\x00\x7f\u00e9\u2028\U0001f600") == '"\\n\\t\\x00\\x7f\u00e9\\u2028\U0001f600"'


# -- timing (printed, not asserted) ---------------------------------------------------------------------------

def test_timings(capsys):
    start = time.perf_counter()
    schemas._document.__wrapped__()
    load_ms = (time.perf_counter() - start) * 1e3
    cold = subprocess.run(
        [sys.executable, "-c", "import time; t = time.perf_counter(); from apiserver.apis import schemas; "
         "schemas.definitions(); print((time.perf_counter() - t) * 1e3)"],
        cwd=ROOT, capture_output=True, text=True, check=True)

    dep = deployment()
    dep["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(
        {k: v for k, v in dep.items() if k != "status"})[:3000]
    big = {"apiVersion": "v1", "kind": "List", "items": []}
    while len(json.dumps(big)) < 1_000_000:
        item = copy.deepcopy(dep)
        item["metadata"]["name"] = f"web-{len(big['items'])}"
        big["items"].append(item)

    def best(fn, number):
        return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e3

    lines = [f"\n[schemas] load definitions: {load_ms:.1f} ms in process, {float(cold.stdout):.1f} ms cold "
             f"with imports ({os.path.getsize(schemas.DATA_FILE)} bytes gzip)"]
    for name, obj, number in (("Deployment", dep, 300), ("1 MB List", big, 3)):
        body = json.dumps(obj).encode()
        plain = best(lambda body=body: json.loads(body), number)
        ours = best(lambda body=body: kjson.loads(body), number)
        out_plain = best(lambda obj=obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode(), number)
        out_ours = best(lambda obj=obj: kjson.dumps(obj), number)
        lines.append(f"[json] {name} ({len(body)} bytes): loads {ours:.3f} ms vs json.loads {plain:.3f} ms "
                     f"(x{ours / plain:.2f}); dumps {out_ours:.3f} ms vs json.dumps {out_plain:.3f} ms "
                     f"(x{out_ours / out_plain:.2f})")
    definition = "io.k8s.api.apps.v1.Deployment"
    uf = best(lambda: schemas.unknown_fields(dep, definition), 300)
    lines.append(f"[schemas] unknown_fields(Deployment): {uf * 1e3:.0f} us")
    with capsys.disabled():
        print("\n".join(lines))
