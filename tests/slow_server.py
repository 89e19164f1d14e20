"""The server's main line as ``cli.main`` runs it, plus a ``/slow`` route, for signal tests in a subprocess."""

import sys
import time

from apiserver import app, cli, logs
from apiserver.server.request import Response
from apiserver.server.signals import SignalHandler


def slow(req):
    time.sleep(float(req.param("s", "2")))
    return Response.text("done")


def main(argv):
    options = cli.parse_options(argv)
    logs.configure(options.logging.log_format)
    stop = SignalHandler().install()
    server = app.create_server_chain(options.config().complete())
    server.handle("/slow", slow)
    server.prepare_run().run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
