"""Datasette plugin loaded by ``kb serve``: the site is for reading, so every request that could
write (POST, PUT, PATCH, DELETE) is answered 405 before Datasette sees it.

Without it, Datasette 0.65 answers some POSTs (to a table, to its debug pages) with HTTP 500.
"""

from datasette import hookimpl

ALLOWED = {"GET", "HEAD", "OPTIONS"}
BODY = b"405 Method Not Allowed: this knowledge base is served read-only (GET only)\n"


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def read_only(scope, receive, send):
            if scope["type"] == "http" and scope.get("method", "GET") not in ALLOWED:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 405,
                        "headers": [[b"content-type", b"text/plain; charset=utf-8"], [b"allow", b"GET, HEAD"]],
                    }
                )
                await send({"type": "http.response.body", "body": BODY})
                return
            await app(scope, receive, send)

        return read_only

    return wrap
