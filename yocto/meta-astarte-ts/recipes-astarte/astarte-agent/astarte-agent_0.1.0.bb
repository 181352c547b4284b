SUMMARY = "astarte-agent: an Edgehog-compatible device agent on astarte-ts"
DESCRIPTION = "Device info, telemetry, commands, LEDs, OTA through RAUC, file transfer and \
dataflows for Astarte and Edgehog, from the self-contained astarte-ts bundle."
HOMEPAGE = "https://docs.astarte-platform.org/"

ASTARTE_TS_BIN = "astarte-agent"
ASTARTE_TS_APP = "agent"
# where edgehog-device-runtime keeps its config, so Edgehog documentation applies as is
ASTARTE_TS_CONFIG_DIR = "edgehog"
ASTARTE_TS_CONFIG_FILE = "config.toml"

inherit astarte-ts-bundle

# The agent runs as root, like edgehog-device-runtime: it reboots the board, drives RAUC over the
# system bus and writes LEDs and GPIO under /sys. Its state (store_directory) is
# /var/lib/astarte-agent, created 0700 by the unit's StateDirectory=.
# OTA on RAUC images: add rauc to the image; the agent talks to its D-Bus service.
RRECOMMENDS:${PN} += "rauc"

do_install() {
    astarte_ts_install_bundle
}
