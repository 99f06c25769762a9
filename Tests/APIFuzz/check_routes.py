#!/usr/bin/env python3
"""Compares the client API routes the server registers with the operations in Protocol/openapi.yaml.

Every `router.get/post/put/patch/delete("…")` in Sources/PraxisServer/API/APIRoutes*.swift must be an
operation of the specification and every operation of the specification a registered route, so the
specification cannot silently fall behind the code (or describe endpoints that do not exist).
Exits non-zero listing the differences.
"""
import glob
import os
import re
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PREFIX = "/api/v1"
METHODS = ("get", "post", "put", "patch", "delete")
REGISTRATION = re.compile(r'router\.(get|post|put|patch|delete)\(\s*"([^"]+)"')


def normalise(path):
    """`/communities/:name` and `/communities/{name}` both become `/communities/{}`; a segment that is
    a parameter followed by a suffix (`{token}.atom`) matches the router's whole-segment parameter."""
    segments = []
    for segment in path.strip("/").split("/"):
        if segment.startswith(":") or segment.startswith("{"):
            segments.append("{}")
        else:
            segments.append(segment)
    return "/" + "/".join(segments)


def registered_routes():
    routes = set()
    for source in sorted(glob.glob(os.path.join(ROOT, "Sources/PraxisServer/API/APIRoutes*.swift"))):
        with open(source, encoding="utf-8") as handle:
            text = handle.read()
        for method, pattern in REGISTRATION.findall(text):
            path = pattern.replace("\\(p)", PREFIX).replace("\\(Self.prefix)", PREFIX)
            if "*" in path:  # the catch-all that answers 404 for unknown endpoints
                continue
            routes.add((method.upper(), normalise(path)))
    return routes


def specified_operations():
    with open(os.path.join(ROOT, "Protocol/openapi.yaml"), encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    operations = set()
    for path, item in spec["paths"].items():
        # A path item with its own server (the Atom feed) lives outside /api/v1.
        servers = item.get("servers")
        base = PREFIX
        if servers and not all(server["url"].endswith(PREFIX) for server in servers):
            base = ""
        for method in METHODS:
            if method in item:
                operations.add((method.upper(), normalise(base + path)))
    return operations


def main():
    routes = registered_routes()
    operations = specified_operations()
    missing_in_spec = sorted(routes - operations)
    missing_in_code = sorted(operations - routes)
    for method, path in missing_in_spec:
        print(f"route {method} {path} is registered but not in Protocol/openapi.yaml", file=sys.stderr)
    for method, path in missing_in_code:
        print(f"operation {method} {path} is in Protocol/openapi.yaml but no route serves it", file=sys.stderr)
    if missing_in_spec or missing_in_code:
        return 1
    print(f"routes and specification agree: {len(routes)} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
