"""A bare pygls server answering ``bench/echo``: the round-trip baseline for the LSP benchmark."""

from pygls.lsp.server import LanguageServer

server = LanguageServer("bare", "0")


@server.feature("bench/echo")
def echo(params):
    return {"ok": True}


if __name__ == "__main__":
    server.start_io()
