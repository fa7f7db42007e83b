"""The data plane's front door: ACR's registry endpoint on the data-plane port, in front of the shared registry
container. It authenticates (ACR's token protocol), keeps registries apart, serves `/acr/v1/`, and relays the
Docker Registry HTTP API V2 to the container, streaming."""
