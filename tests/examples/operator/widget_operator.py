"""A kopf operator: every Greeting gets a message in its status."""

import kopf


@kopf.on.login()
def login(**kwargs):
    return kopf.login_with_kubeconfig(**kwargs)   # $KUBECONFIG, which the kubeconfig fixture sets


@kopf.on.create("example.com", "v1", "greetings")
def greet(spec, **_):
    return {"message": f"Hello, {spec['name']}!"}   # kopf stores it as status.greet
