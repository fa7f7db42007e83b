"""TLS for port 4577: the emulator's certificate and a server that speaks HTTP and HTTPS on one port."""
