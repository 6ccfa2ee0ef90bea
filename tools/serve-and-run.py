#!/usr/bin/env python3
"""serve-and-run.py DIR -- COMMAND...: serve DIR over http on a free loopback
port, run COMMAND with BASE_URL=http://127.0.0.1:PORT in its environment,
stop the server, and exit with COMMAND's status.  (Browsers fetch the
emulator's WebAssembly, which file:// pages cannot do.)"""
import functools
import http.server
import os
import subprocess
import sys
import threading


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    sep = sys.argv.index("--")
    directory, command = sys.argv[1], sys.argv[sep + 1:]
    handler = functools.partial(QuietHandler, directory=directory)
    handler.extensions_map = {**QuietHandler.extensions_map, ".mjs": "text/javascript",
                              ".wasm": "application/wasm"}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ, BASE_URL=f"http://127.0.0.1:{server.server_address[1]}")
    try:
        rc = subprocess.run(command, env=env).returncode
    finally:
        server.shutdown()
    sys.exit(rc)


if __name__ == "__main__":
    main()
