"""The testing kit's fixtures with each Python client: kubernetes, lightkube, kr8s (kopf: test_readme_example.py)."""

import warnings

import pytest


def test_kubernetes_client(kubeconfig, kube_namespace):
    kubernetes = pytest.importorskip("kubernetes")
    # the path, not $KUBECONFIG: the client reads that variable once, when it is first imported
    kubernetes.config.load_kube_config(config_file=kubeconfig)
    core = kubernetes.client.CoreV1Api()
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "settings"}, "data": {"a": "1"}})
    assert core.read_namespaced_config_map("settings", kube_namespace).data == {"a": "1"}
    with pytest.raises(kubernetes.client.ApiException) as err:
        core.read_namespaced_config_map("missing", kube_namespace)
    assert err.value.status == 404


def test_lightkube(kubeconfig, kube_namespace):
    pytest.importorskip("lightkube")
    from lightkube import ApiError, Client, KubeConfig
    from lightkube.models.meta_v1 import ObjectMeta
    from lightkube.resources.core_v1 import ConfigMap

    client = Client(KubeConfig.from_env(), namespace=kube_namespace)
    client.create(ConfigMap(metadata=ObjectMeta(name="settings"), data={"a": "1"}))
    assert client.get(ConfigMap, "settings").data == {"a": "1"}
    assert [cm.metadata.name for cm in client.list(ConfigMap) if cm.metadata.name == "settings"] == ["settings"]
    with pytest.raises(ApiError) as err:
        client.get(ConfigMap, "missing")
    assert err.value.status.code == 404


def test_kr8s(kubeconfig, kube_namespace):
    kr8s = pytest.importorskip("kr8s")
    from kr8s.objects import ConfigMap

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        api = kr8s.api(kubeconfig=kubeconfig)
        kinds = kr8s.get("configmaps", namespace=kube_namespace, api=api)   # discovery: /api/ and /apis/
    assert [str(w.message) for w in caught if issubclass(w.category, UserWarning)] == []
    assert [cm.name for cm in kinds] == ["kube-root-ca.crt"] or kinds == []
    ConfigMap({"metadata": {"name": "settings", "namespace": kube_namespace}, "data": {"a": "1"}}, api=api).create()
    found = ConfigMap.get("settings", namespace=kube_namespace, api=api)
    assert found.raw["data"] == {"a": "1"}
    names = [cm.name for cm in kr8s.get("configmaps", namespace=kube_namespace, api=api)]
    assert "settings" in names


def test_user_with_binding(kube_apiserver, kube_namespace):
    """A user made by the kit, bound to a role, through the official client."""
    kubernetes = pytest.importorskip("kubernetes")
    bob = kube_apiserver.make_user("bob")
    admin = kubernetes.config.new_client_from_config(config_file=kube_apiserver.kubeconfig)
    as_bob = kubernetes.client.CoreV1Api(kubernetes.config.new_client_from_config(config_file=bob.kubeconfig))
    with pytest.raises(kubernetes.client.ApiException) as err:
        as_bob.list_namespaced_pod(kube_namespace)
    assert err.value.status == 403
    kubernetes.client.RbacAuthorizationV1Api(admin).create_namespaced_role_binding(kube_namespace, {
        "metadata": {"name": "bob-view"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob"}]})
    assert as_bob.list_namespaced_pod(kube_namespace).items == []
