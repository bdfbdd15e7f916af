"""This project's program: envctl runs it (`python main.py`, in /work) and restarts it when it stops.

Replace it with your own. As it is, it answers HTTP on port 8000, which envctl publishes: `envctl ps` shows
the URL. Ctrl+C, `envctl down` and a recreate stop it at once (SIGTERM).
"""
import http.server
import os
import platform


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"Hello from {os.environ.get('ENVCTL_PROJECT', 'this project')} on Python {platform.python_version()}\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(body.encode())


if __name__ == "__main__":
    print("main.py: serving on port 8000", flush=True)
    http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Hello).serve_forever()
