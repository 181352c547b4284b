SUMMARY = "astarte-bridge: microcontrollers on serial lines as Astarte devices"
DESCRIPTION = "The host side of the astarte-ts firmware bridge (framed CBOR over a UART), from \
the self-contained astarte-ts bundle with serialport's N-API addon for the target."
HOMEPAGE = "https://docs.astarte-platform.org/"

ASTARTE_TS_BIN = "astarte-bridge"
ASTARTE_TS_APP = "bridge"
ASTARTE_TS_CONFIG_DIR = "astarte-bridge"
ASTARTE_TS_CONFIG_FILE = "bridge.toml"

inherit astarte-ts-bundle useradd

# The bridge needs no root: a system user in the dialout group (the serial ports' group)
USERADD_PACKAGES = "${PN}"
USERADD_PARAM:${PN} = "--system --no-create-home --home-dir /var/lib/astarte-bridge \
    --shell /sbin/nologin --groups dialout --user-group astarte-bridge"

do_install() {
    astarte_ts_install_bundle
    # the unit's StateDirectory= makes /var/lib/astarte-bridge 0700, owned by this user
    install -d -m 0755 ${D}${systemd_system_unitdir}/astarte-bridge.service.d
    printf '[Service]\nUser=astarte-bridge\nGroup=astarte-bridge\n' \
        > ${D}${systemd_system_unitdir}/astarte-bridge.service.d/user.conf
    chmod 0644 ${D}${systemd_system_unitdir}/astarte-bridge.service.d/user.conf
    # the user reads its config; others don't
    chgrp astarte-bridge ${D}${sysconfdir}/astarte-bridge ${D}${sysconfdir}/astarte-bridge/bridge.toml
}

FILES:${PN} += "${systemd_system_unitdir}/astarte-bridge.service.d"
