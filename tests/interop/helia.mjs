// A Helia (js-libp2p) peer driven by tests/test_interop_helia.py with JSON lines:
// one request per line on stdin, one reply per line on stdout (logs go to stderr).
// Run with: node --import ./polyfill.mjs helia.mjs
//
// replies: {"event":"ready", peerId, addrs} first, then {id, ok, ms, ...} per request.
// requests: dial {addr} | identify {peer} | ping {peer, n} | cat {cid, timeoutMs}
//           | add {path, kubo?} | provide {cid} | quit
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT } from '@libp2p/kad-dht'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { createHeliaLight } from 'helia'
import { withLibp2pLight } from '@helia/libp2p'
import { withBitswap } from '@helia/bitswap'
import { unixfs } from '@helia/unixfs'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import readline from 'node:readline'

const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const now = () => performance.now()

const helia = withBitswap(withLibp2pLight(createHeliaLight({}), {
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionGater: { denyDialMultiaddr: () => false }, // loopback dials are the point here
  services: {
    identify: identify(),
    ping: ping(),
    dht: kadDHT({ protocol: '/ipfs/kad/1.0.0', clientMode: false, peerInfoMapper: (p) => p })
  }
}), {})
await helia.start()
const node = helia.libp2p
const ufs = unixfs(helia)
emit({ event: 'ready', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })

const handlers = {
  async dial ({ addr }) {
    const c = await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(10000) })
    return { encryption: c.encryption, multiplexer: c.multiplexer, remotePeer: c.remotePeer.toString() }
  },
  async identify ({ peer }) {
    const conn = node.getConnections(peerIdFromString(peer))[0]
    if (!conn) throw new Error('not connected')
    const r = await node.services.identify.identify(conn, { signal: AbortSignal.timeout(10000) })
    return { agentVersion: r.agentVersion, protocolVersion: r.protocolVersion, protocols: r.protocols,
      listenAddrs: r.listenAddrs.map(String) }
  },
  async ping ({ peer, n = 5 }) {
    const rtts = []
    for (let i = 0; i < n; i++) rtts.push(await node.services.ping.ping(peerIdFromString(peer), { signal: AbortSignal.timeout(5000) }))
    return { rtts }
  },
  async cat ({ cid, timeoutMs = 60000 }) {
    const h = createHash('sha256')
    let bytes = 0
    const t0 = now()
    for await (const buf of ufs.cat(CID.parse(cid), { signal: AbortSignal.timeout(timeoutMs) })) {
      h.update(buf)
      bytes += buf.length
    }
    return { bytes, sha256: h.digest('hex'), fetchMs: +(now() - t0).toFixed(1) }
  },
  async add ({ path, kubo = false }) {
    // kubo: kubo's default layout (CIDv0, 256 KiB dag-pb leaves, 174 links a node), spelled out
    // because @helia/unixfs's own defaults override the importer's `profile` option;
    // otherwise Helia's default (CIDv1, 1 MiB raw leaves, 1024 links a node)
    const opts = kubo
      ? { cidVersion: 0, rawLeaves: false, chunker: fixedSize({ chunkSize: 262144 }), layout: balanced({ maxChildrenPerNode: 174 }) }
      : {}
    const cid = await ufs.addBytes(fs.readFileSync(path), opts)
    return { cid: cid.toString() }
  },
  async provide ({ cid }) {
    await node.contentRouting.provide(CID.parse(cid), { signal: AbortSignal.timeout(15000) })
    return {}
  }
}

const rl = readline.createInterface({ input: process.stdin })
for await (const line of rl) {
  if (!line.trim()) continue
  const req = JSON.parse(line)
  if (req.cmd === 'quit') break
  const t0 = now()
  try {
    const fn = handlers[req.cmd]
    if (!fn) throw new Error(`unknown command ${req.cmd}`)
    const r = await fn(req)
    emit({ id: req.id, ok: true, ms: +(now() - t0).toFixed(1), ...r })
  } catch (e) {
    emit({ id: req.id, ok: false, ms: +(now() - t0).toFixed(1), error: `${e.name}: ${e.message}`.slice(0, 500) })
  }
}
// stdin closed (the test ended or died): never linger
await Promise.race([helia.stop(), new Promise((resolve) => setTimeout(resolve, 3000))])
process.exit(0)
