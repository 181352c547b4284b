# Installs an astarte-ts application bundle: one ES module and the files it reads under
# ${libdir}/<bin>, a /usr/bin wrapper that runs it with the image's node, its systemd unit and its
# default config. No npm at build time: the bundle was made by `npm run bundle -- --for-node 22.13`.
#
# A recipe sets ASTARTE_TS_BIN (the command), ASTARTE_TS_APP (the bundle's folder: agent, bridge)
# and ASTARTE_TS_CONFIG_DIR (where its config goes under ${sysconfdir}).

inherit systemd

LICENSE = "Apache-2.0 & MIT & ISC & BSD-2-Clause & BSD-3-Clause"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/Apache-2.0;md5=89aea4e17d99a7cacdbeed46a0096b10"

SRC_URI = "${ASTARTE_TS_BUNDLES}/${ASTARTE_TS_BIN}-${PV}.tar.gz"
# scarthgap unpacks into WORKDIR; later releases into UNPACKDIR
UNPACKDIR ??= "${WORKDIR}"
S = "${UNPACKDIR}/${ASTARTE_TS_APP}"

# node:sqlite is in Node 22.13 and later: the bundle carries no SQLite addon
RDEPENDS:${PN} += "nodejs (>= 22.13)"

# The node flags of the /usr/bin wrapper: V8's settings for boards that Node refuses in
# NODE_OPTIONS (the unit sets the others; the node runtime's README, "Memory on small boards").
# Measured by the bench's memory.rss.stored-stream.shipped row on Node 22, after two streams of
# 20 000 `stored` sends, with the unit's environment (bench/README.md, "Memory"):
# - --optimize-for-size: V8 keeps less heap (~4.5 MiB);
# - --max-opt=1: no optimising compiler, Sparkplug's baseline code at most. TurboFan's own code
#   (~5 MiB of node's pages), its compile jobs' memory and its optimised code stay out: ~20.5 MiB
#   above Node's own instead of ~29, for 1.4 times the CPU per `stored` send (89 µs instead of 63
#   on the bench's machine) and about 3 times per online send. A device that sends fast rather
#   than one short of memory sets this to "--optimize-for-size" (e.g.
#   ASTARTE_TS_NODE_FLAGS:pn-astarte-bridge in local.conf).
ASTARTE_TS_NODE_FLAGS ??= "--optimize-for-size --max-opt=1"

SYSTEMD_SERVICE:${PN} = "${ASTARTE_TS_BIN}.service"
SYSTEMD_AUTO_ENABLE:${PN} = "enable"

# Node target architecture names, for the N-API prebuilds a bundle may carry
def astarte_ts_node_arch(d):
    arch = d.getVar('TARGET_ARCH')
    return {'aarch64': 'arm64', 'arm': 'arm', 'x86_64': 'x64', 'i586': 'ia32', 'i686': 'ia32'}.get(arch, arch)
ASTARTE_TS_NODE_ARCH = "${@astarte_ts_node_arch(d)}"

astarte_ts_install_bundle() {
    if grep -q '"better-sqlite3"' ${S}/BUNDLE.json; then
        bbfatal "${ASTARTE_TS_BIN}: the bundle carries better-sqlite3 built for its build host; make it with npm run bundle -- --for-node 22.13"
    fi
    install -d -m 0755 ${D}${libdir}/${ASTARTE_TS_BIN}
    install -m 0644 ${S}/${ASTARTE_TS_BIN}.mjs ${S}/BUNDLE.json ${D}${libdir}/${ASTARTE_TS_BIN}/
    if [ -d ${S}/node_modules ]; then
        cp -R --no-dereference --preserve=links ${S}/node_modules ${D}${libdir}/${ASTARTE_TS_BIN}/
        # the N-API prebuilds of other platforms: QA would reject their foreign binaries
        for prebuilds in $(find ${D}${libdir}/${ASTARTE_TS_BIN}/node_modules -type d -name prebuilds); do
            find $prebuilds -mindepth 1 -maxdepth 1 -type d ! -name "linux-${ASTARTE_TS_NODE_ARCH}" -exec rm -rf {} +
        done
        find ${D}${libdir}/${ASTARTE_TS_BIN}/node_modules -type d -exec chmod 0755 {} +
        find ${D}${libdir}/${ASTARTE_TS_BIN}/node_modules -type f -exec chmod 0644 {} +
    fi

    install -d -m 0755 ${D}${bindir}
    printf '#!/bin/sh\nexec node ${ASTARTE_TS_NODE_FLAGS} ${libdir}/${ASTARTE_TS_BIN}/${ASTARTE_TS_BIN}.mjs "$@"\n' > ${D}${bindir}/${ASTARTE_TS_BIN}
    chmod 0755 ${D}${bindir}/${ASTARTE_TS_BIN}

    install -d -m 0755 ${D}${systemd_system_unitdir}
    install -m 0644 ${S}/${ASTARTE_TS_BIN}.service ${D}${systemd_system_unitdir}/

    # the config holds the pairing token or the credentials secret once filled in: root only
    install -d -m 0750 ${D}${sysconfdir}/${ASTARTE_TS_CONFIG_DIR}
    install -m 0640 ${S}/${ASTARTE_TS_CONFIG_FILE} ${D}${sysconfdir}/${ASTARTE_TS_CONFIG_DIR}/${ASTARTE_TS_CONFIG_FILE}
}

FILES:${PN} = " \
    ${libdir}/${ASTARTE_TS_BIN} \
    ${bindir}/${ASTARTE_TS_BIN} \
    ${systemd_system_unitdir}/${ASTARTE_TS_BIN}.service \
    ${sysconfdir}/${ASTARTE_TS_CONFIG_DIR} \
"
CONFFILES:${PN} = "${sysconfdir}/${ASTARTE_TS_CONFIG_DIR}/${ASTARTE_TS_CONFIG_FILE}"
# a prebuilt N-API addon (the bridge's serial port) comes stripped and linked as its project built it
INSANE_SKIP:${PN} += "already-stripped ldflags"
