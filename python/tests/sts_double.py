"""A scriptable STS double on 127.0.0.1: AssumeRole answers in STS's XML, slow or failing.

moto cannot be slowed down, made to fail on demand, or asked for chosen secret values; this
double can. It counts AssumeRole calls and records each request's form fields.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

SENTINEL_SECRET = "SENTINEL-SECRET-wJalrXUtnFEMIxK7MDENGbPxRfiCY"
SENTINEL_TOKEN = "SENTINEL-TOKEN-FwoGZXIvYXdzEJr9OwqDgTokenValue"
ROLE_ARN = "arn:aws:iam::123456789012:role/DemoRole"
NS = "https://sts.amazonaws.com/doc/2011-06-15/"


class StsDouble:
    """A threaded HTTP server answering AssumeRole and GetCallerIdentity.

    Attributes set by tests: ``delay`` (seconds before answering AssumeRole), ``lifetime``
    (seconds the credentials live, default: the requested DurationSeconds), ``mode``
    (``"ok"``, ``"access_denied"``, ``"throttle"``, ``"hang"``).
    """

    def __init__(self, *, delay: float = 0.0, lifetime: int | None = None) -> None:
        self.delay = delay
        self.lifetime = lifetime
        self.mode = "ok"
        self.calls = 0
        self.requests: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
                auth = self.headers.get("Authorization", "")
                if "Credential=" in auth:
                    form["_signed_by"] = auth.split("Credential=")[1].split("/")[0]
                status, xml = double._answer(form)
                data = xml.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                if "<RequestId>" in xml:
                    request_id = xml.split("<RequestId>")[1].split("<")[0]
                    self.send_header("x-amzn-RequestId", request_id)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A client that went away (a killed subprocess) is not the double's problem.
        self._server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def release(self) -> None:
        """Let requests held by ``mode = "hang"`` finish."""
        self._release.set()

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, form: dict[str, str]) -> tuple[int, str]:
        action = form.get("Action", "")
        if action == "GetCallerIdentity":
            return 200, (
                f'<GetCallerIdentityResponse xmlns="{NS}"><GetCallerIdentityResult>'
                "<Arn>arn:aws:iam::111111111111:user/partner</Arn><UserId>AIDAPARTNER</UserId>"
                "<Account>111111111111</Account></GetCallerIdentityResult>"
                "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
                "</GetCallerIdentityResponse>"
            )
        with self._lock:
            self.calls += 1
            n = self.calls
            self.requests.append(form)
        if self.mode == "hang":
            self._release.wait()
        if self.delay:
            time.sleep(self.delay)
        if self.mode == "access_denied":
            return 403, error_xml(
                "AccessDenied", "User is not authorized to perform: sts:AssumeRole", n
            )
        if self.mode == "throttle":
            return 400, error_xml("Throttling", "Rate exceeded", n)
        lifetime = self.lifetime or int(form.get("DurationSeconds", "3600"))
        expiry = datetime.now(timezone.utc) + timedelta(seconds=lifetime)
        when = expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
        return 200, (
            f'<AssumeRoleResponse xmlns="{NS}"><AssumeRoleResult><Credentials>'
            f"<AccessKeyId>ASIADOUBLE{n:08d}</AccessKeyId>"
            f"<SecretAccessKey>{SENTINEL_SECRET}-{n}</SecretAccessKey>"
            f"<SessionToken>{SENTINEL_TOKEN}-{n}</SessionToken>"
            f"<Expiration>{when}</Expiration></Credentials>"
            "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/DemoRole/test</Arn>"
            "<AssumedRoleId>AROADOUBLE:test</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>"
            f"<ResponseMetadata><RequestId>req-{n}</RequestId></ResponseMetadata>"
            "</AssumeRoleResponse>"
        )


def error_xml(code: str, message: str, n: int) -> str:
    return (
        f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>req-{n}</RequestId></ErrorResponse>"
    )


if __name__ == "__main__":  # a standalone double for subprocess tests: prints its URL
    import sys

    d = StsDouble(delay=float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)
    print(d.url, flush=True)
    sys.stdin.read()


def interrupted_child(double: StsDouble, script: str) -> subprocess.Popen[str]:
    """A child Python running ``script`` with ``s``, a session on ``double`` (which should
    hang), sent SIGINT once it printed ``waiting``; its stdin, stdout and stderr are pipes."""
    code = textwrap.dedent(
        f"""
        import sys, threading, time
        import cross_account
        # A shell that started the tests in the background may have left SIGINT ignored.
        import signal
        signal.signal(signal.SIGINT, signal.default_int_handler)
        s = cross_account.CrossAccountSession(
            {ROLE_ARN!r}, endpoint_url={double.url!r}, region="us-east-1",
        )
        """
    ) + textwrap.dedent(script)
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "waiting"
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGINT)
    except BaseException:
        proc.kill()
        raise
    return proc
