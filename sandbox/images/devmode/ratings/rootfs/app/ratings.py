"""A small ratings service modelled on the Istio bookinfo `ratings` service."""
import json
import os
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RATINGS = re.compile(r"^/ratings/(\d+)$")


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "Ratings is healthy"})
            return
        match = RATINGS.match(self.path)
        if match:
            self.reply(200, {"id": int(match.group(1)), "ratings": {"Reviewer1": 5, "Reviewer2": 4}})
            return
        self.reply(404, {"error": "not found"})

    def log_message(self, format, *args):
        print("%s %s" % (self.address_string(), format % args), flush=True)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "9080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    print("ratings listening on port %d" % port, flush=True)
    server.serve_forever()
