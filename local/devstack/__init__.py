"""`make dev`: the whole API on one machine, nothing external needed.

Starts the GHL sandbox (unless real GHL app credentials are configured) and the local API gateway
over template.yaml, with the embedded SQLite token store (unless `SUPABASE_URL` is set); in
sandbox mode it installs the demo location by itself and prints a dev JWT and curl examples.
"""
