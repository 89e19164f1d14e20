"""Run the operator against a real API server in this process: pytest tests/examples/operator"""

import os
import time

import kubernetes
from kopf.testing import KopfRunner

OPERATOR = os.path.join(os.path.dirname(__file__), "widget_operator.py")
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "greetings.example.com"},
    "spec": {
        "group": "example.com", "scope": "Namespaced",
        "names": {"plural": "greetings", "singular": "greeting", "kind": "Greeting"},
        "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                      "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                          "spec": {"type": "object", "properties": {"name": {"type": "string"}}},
                          "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}]},
}


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_greeting_gets_a_message(kubeconfig, kube_namespace):
    kubernetes.config.load_kube_config(config_file=kubeconfig)
    crds = kubernetes.client.ApiextensionsV1Api()
    try:
        crds.create_custom_resource_definition(CRD)
    except kubernetes.client.ApiException as err:
        assert err.status == 409   # made by an earlier test of the session

    def established():
        crd = crds.read_custom_resource_definition(CRD["metadata"]["name"])
        return any(c.type == "Established" and c.status == "True" for c in crd.status.conditions or ())
    wait_for(established)

    objects = kubernetes.client.CustomObjectsApi()
    with KopfRunner(["run", "--standalone", "--namespace", kube_namespace, OPERATOR]) as runner:
        objects.create_namespaced_custom_object("example.com", "v1", kube_namespace, "greetings", {
            "apiVersion": "example.com/v1", "kind": "Greeting", "metadata": {"name": "world"},
            "spec": {"name": "world"}})

        def greeted():
            obj = objects.get_namespaced_custom_object("example.com", "v1", kube_namespace, "greetings", "world")
            return obj.get("status", {}).get("greet", {}).get("message") == "Hello, world!"
        wait_for(greeted)
    assert runner.exit_code == 0, runner.output
    assert runner.exception is None
