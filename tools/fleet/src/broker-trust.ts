/**
 * @module fleet broker trust: checks the broker's certificate chain against a CA parsed ONCE for
 * the whole fleet. Putting the CA in every device's TLS context costs ~12 KB per device (one
 * X509_STORE each); instead the contexts carry only the device's key and certificate, and each
 * connection is verified here right after the handshake: chain signatures up to the CA,
 * validity periods, and the broker's host name or IP.
 */
import { X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls'

/** Chains longer than this (leaf + intermediates) are refused. */
const MAX_CHAIN = 5

export class BrokerTrust {
  private readonly anchors: readonly X509Certificate[]

  /** `caPem` may hold several certificates (a bundle). */
  constructor(caPem: string) {
    const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)
    this.anchors = (blocks ?? []).map((b) => new X509Certificate(b))
  }

  /** Whether the peer of `socket` is `host`, certified by one of the anchors, now. */
  verify(socket: TLSSocket, host: string, nowMs: number): boolean {
    const leafInfo = socket.getPeerCertificate(true)
    if (leafInfo.raw === undefined) return false
    const leaf = new X509Certificate(leafInfo.raw)
    const named = isIP(host) === 0 ? leaf.checkHost(host) : leaf.checkIP(host)
    return named !== undefined && this.chainsToAnchor(leaf, leafInfo, nowMs)
  }

  private chainsToAnchor(
    leaf: X509Certificate,
    info: DetailedPeerCertificate,
    nowMs: number,
  ): boolean {
    let cert = leaf
    let next: DetailedPeerCertificate | undefined = info.issuerCertificate
    for (let depth = 0; depth < MAX_CHAIN; depth++) {
      if (!within(cert, nowMs)) return false
      const anchor = this.anchors.find((a) => cert.checkIssued(a) && cert.verify(a.publicKey))
      if (anchor !== undefined) return within(anchor, nowMs)
      // The server's own chain: its next certificate must have issued this one.
      if (next === undefined || next.raw === undefined || next.raw.equals(cert.raw)) return false
      const issuer = new X509Certificate(next.raw)
      if (!issuer.ca || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return false
      cert = issuer
      next = next.issuerCertificate
    }
    return false
  }
}

function within(cert: X509Certificate, nowMs: number): boolean {
  return Date.parse(cert.validFrom) <= nowMs && nowMs <= Date.parse(cert.validTo)
}
