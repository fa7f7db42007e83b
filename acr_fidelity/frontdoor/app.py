"""The front door's server: its Tornado application and the HTTP/HTTPS listener on the data-plane port. The server
imports this module only when there is a data plane to front, so a mocked emulator starts without it."""

from __future__ import annotations

import ssl

import tornado.web

from acr_fidelity.accesslog import log_request
from acr_fidelity.emulator import Emulator
from acr_fidelity.frontdoor.artifacts import Describer
from acr_fidelity.frontdoor.auth import Gate
from acr_fidelity.frontdoor.dispatcher import FrontDoor
from acr_fidelity.frontdoor.upstream import CHUNK
from acr_fidelity.identity.registry_tokens import RegistryTokens
from acr_fidelity.registry.access import AccessPolicy
from acr_fidelity.tls.server import DualProtocolServer

# The most one read from a data-plane client takes: Tornado zeroes a whole read's buffer for every read, and
# docker's pushes arrive a few KiB at a time (reads of 1 MiB cost a push 1.3 s of CPU, of 256 KiB 0.8 s).
READ_SIZE = 256 * 1024


def make_frontdoor_app(emulator: Emulator) -> tornado.web.Application:
    settings = emulator.settings
    gate = Gate(AccessPolicy(emulator.backend, settings.acr_auth), RegistryTokens(emulator.identity),
                settings.acr_login_host)
    describer = Describer(emulator.dataplane, emulator.backend.repositories)
    return tornado.web.Application([(r".*", FrontDoor, {"emulator": emulator, "gate": gate, "describer": describer})],
                                   log_function=log_request)


def frontdoor_server(emulator: Emulator, tls: ssl.SSLContext | None) -> DualProtocolServer:
    """docker falls back to plain HTTP on loopback, az always speaks HTTPS: the front door takes both."""
    return DualProtocolServer(make_frontdoor_app(emulator), tls=tls, plain=True, chunk_size=CHUNK,
                              read_size=READ_SIZE)
