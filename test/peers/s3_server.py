#!/usr/bin/env python3
"""An S3-compatible server for Freshet's tests: moto's server, with requests applied one at a time.

moto honours `If-None-Match: *` on PutObject (412 when the key exists), but it checks for the key
and then stores the object in two steps, on a threaded HTTP server, so two racing writers could in
principle both pass the check. Real S3 makes the conditional PUT atomic, and Delta's commit relies
on it; this wrapper holds one lock around each request's handling to give the same guarantee.
Everything lives in memory and is gone when the server stops.

Usage: s3_server.py [--host 127.0.0.1] [--port 9000]
"""

import argparse
import threading

from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    moto_app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        # moto builds the whole response inside the call, so the lock covers check and store.
        with lock:
            return list(moto_app(environ, start_response))

    run_simple(args.host, args.port, serialized, threaded=True)


if __name__ == "__main__":
    main()
