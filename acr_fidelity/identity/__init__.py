"""An emulated Entra ID: signed tokens for service principals, and the checks Entra and ARM make. No HTTP here."""
