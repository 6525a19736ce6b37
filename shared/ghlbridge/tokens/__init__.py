"""The token lifecycle: installing the app (`install`), storing tokens encrypted (`crypto`),
handing out access tokens (`provider`), refreshing them without ever losing an installation
(`refresh`, `parking`), telling owners when one needs a reinstall (`reauth`), and GHL's app
webhooks (`webhooks`). Importing this package imports nothing."""
