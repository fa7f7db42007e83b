# The emulator in a container: ARM (and Entra ID) on 4577, the data plane's front door on 5000. It drives the host's
# Docker engine through its socket, where it starts the shared registry:2 container:
#   docker build -t acr-fidelity .
#   docker run -p 4577:4577 -p 5000:5000 -v /var/run/docker.sock:/var/run/docker.sock acr-fidelity
# BASE is the official Python image; where nothing can be pulled, scripts/build-base-image makes a stand-in from
# Debian's packages (--build-arg BASE=acr-fidelity/python-base:3.11-bookworm).
ARG BASE=python:3.11-slim
FROM ${BASE}
COPY pyproject.toml README.md /src/
COPY acr_fidelity /src/acr_fidelity
RUN python3 -m venv /opt/acr-fidelity \
    && /opt/acr-fidelity/bin/pip install --no-cache-dir /src \
    && rm -rf /src
# Listening on every interface is what a container needs (the published ports are the boundary); state and the
# certificate live in the volume. The data plane's login servers are localhost:5000/{name} as seen from the host:
# publish the front door's port under the same number (ACR_FIDELITY_* and FLOCI_AZ_* variables change either).
ENV ACR_FIDELITY_HOST=0.0.0.0 \
    ACR_FIDELITY_STATE_DIR=/var/lib/acr-fidelity \
    FLOCI_AZ_SERVICES_ACR_BASE_PORT=5000 \
    FLOCI_AZ_SERVICES_ACR_MAX_PORT=5000
VOLUME /var/lib/acr-fidelity
EXPOSE 4577 5000
ENTRYPOINT ["/opt/acr-fidelity/bin/acr-fidelity", "serve"]
