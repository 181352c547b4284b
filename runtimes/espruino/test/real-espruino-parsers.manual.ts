/**
 * Manual check, outside CI (CI can't build Espruino): the matchers that replaced regexes
 * Espruino's RegExp can't run, and every regex literal left in `dist/astarte-espruino.js`, run in
 * a real Espruino built for Linux (`make BOARD=LINUX`) and in Node on the same inputs, valid and
 * invalid (hand-picked, and drawn by fast-check with a fixed seed). The matchers come from a probe
 * bundle the Espruino build makes of `test/engine/parsers-probe.ts` (the same swaps and lowering
 * as the device's bundle); the regexes are the bundle's own literals, as its text spells them.
 * One ES5 program is run by both engines; their answers are compared case by case.
 *
 *   ESPRUINO=/path/to/espruino node --conditions=@astarte-ts/source --import tsx \
 *     runtimes/espruino/test/real-espruino-parsers.manual.ts [--show=N]
 *
 * Prints each differing case (at most N per matcher, default 5) and a count per matcher; exits 0
 * when Espruino answered every case as Node did. `BOARD=LINUX` has Unicode strings, which
 * Espruino's ESP32 boards don't: for 8-bit strings as there, build it with the define removed
 * (`sed -i /ESPR_UNICODE_SUPPORT/d boards/LINUX.py && make BOARD=LINUX`); on such a build the
 * inputs with chars above U+00FF (other strings there) are left out.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import fc from 'fast-check'
import ts from 'typescript'
import { nearDateTimes } from './engine/date-times.js'

const ESPRUINO = process.env['ESPRUINO'] ?? 'espruino'
const SHOW = Number(process.argv.find((a) => a.startsWith('--show='))?.slice(7) ?? 5)
const SEED = 20261207
const PROBE = new URL('./engine/parsers-probe.ts', import.meta.url).pathname

const build = (await import(new URL('../scripts/build.mjs', import.meta.url).href)) as {
  buildEspruino(options?: { entry?: string }): Promise<{ code: string }>
}

/** `n` values of `arb`, the same on every run. */
const sample = <T>(arb: fc.Arbitrary<T>, n: number): T[] =>
  fc.sample(arb, { numRuns: n, seed: SEED })

/** Strings of `alphabet`'s pieces after one of `prefixes` (or none). */
const near = (prefixes: readonly string[], alphabet: readonly string[]): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.constantFrom('', ...prefixes),
      fc.array(fc.constantFrom(...alphabet), { maxLength: 16 }),
    )
    .map(([p, cs]) => p + cs.join(''))

/** Characters whose handling differs most between engines: white space, line ends, 8-bit and up. */
const ODD = ['', ' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u0085', '\u00e9', '\u00ff']
const WIDE = ['\u1680', '\u2003', '\u2028', '\u2029', '\u202f', '\u3000', '\ufeff', '\u0663']
const ANY = sample(fc.string({ unit: 'binary', maxLength: 12 }), 40)

const DATE_TIMES = [
  '2024-05-01T12:00:00Z',
  '2024-05-01 12:00:00.123+02:00',
  '2025-03-25 19:25:00.000Z',
  '2024-05-01t12:00',
  ' 2024-05-01T12:00:00Z ',
  '2024-05-01T12:00:00 Z',
  '2024-05-01T12:00:00\u2003Z',
  '2024-05-01T12:00:00\u00a0Z',
  '2024-05-01T12:00:00\nZ',
  '2024-02-29T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '2024-04-31T00:00:00Z',
  '+002024-05-01T12:00:00Z',
  '-000001-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '0099-12-31T23:59:59.999999999-0530',
  '2024-05-01T24:00:00Z',
  '2024-05-01T12:60:00Z',
  '2024-05-01T12:00:60Z',
  '2024-13-01T12:00:00Z',
  '2024-00-01T12:00:00Z',
  '2024-05-01T12:00:00.1234567890Z',
  '2024-05-01T12:00:00.Z',
  '2024-05-01T12:00:00+2:00',
  '2024-05-01T12:00:00Zx',
  '2024-5-1T12:00:00Z',
  '\u0663\u0660\u0662\u0664-05-01T12:00:00Z',
  // leading zeros: Espruino reads `Number("050")` as octal
  '2024-05-01T12:00:00.050Z',
  '2024-05-01T12:00:00.012Z',
  '2024-05-01T12:00:00.07Z',
  '2024-05-01T12:00:00.001Z',
  '0010-01-01T00:00:00Z',
  '0777-01-01T00:00:00Z',
]
const dateTimes = [
  ...DATE_TIMES,
  ...sample(nearDateTimes, 300),
  ...sample(
    near(
      ['2024-', '2024-05-01', '2024-05-01T12:00'],
      ['-', ':', '.', 'T', ' ', 'Z', '+', '0', '12', '\u00a0'],
    ),
    100,
  ),
  ...ANY,
]

const BROKER_URLS = [
  'mqtts://broker.example.com:8883/',
  'mqtts://broker.example.com:8883',
  'ssl://10.0.0.1:8883/x?y#z',
  'MQTTS://u:p@[::1]:8883/x',
  'mqtts://a@b@c:1',
  'mqtts://[fE80::1%25eth0]:8883',
  'mqtts://[::1]',
  'mqtts://host:',
  'mqtts://host:0',
  'mqtts://host:65536',
  'mqtts://host:88a83',
  'mqtts://:8883',
  'mqtts:/host:8883',
  '1x://host:1',
  'a+b.c-d://host:1',
  ' mqtts://host:8883 ',
  'mqtts://host:8883/\n',
  'mqtts://host:8883\n',
  'mqtts://h\u00e9st:8883',
  'mqtts://host:8883/\u2028',
  'mqtts://[::1]x:1',
  'mqtts://host:0443',
  'mqtts://host:08883',
]
const brokerUrls = [
  ...BROKER_URLS,
  ...sample(
    near(
      ['mqtts://', 'ssl://', 'MQTTS://', 'a+b.c-d://', '1x://', 'mqtts:/', '://'],
      ['@', ':', '/', '?', '#', '[', ']', '::1', 'fE', '.', 'a', '8883', '\n', '\u00e9', '+', ' '],
    ),
    400,
  ),
  ...ANY,
]

const httpUrls = [
  'https://127.0.0.1:4000/pairing/v1',
  'https://127.0.0.1:0443/pairing/v1',
  'http://api.example.com',
  'HTTPS://api.example.com/',
  'https://:4000/',
  'https://host:/x',
  'https://host:4000x',
  'https://host/x\ny',
  'https://host/x\u2028y',
  'https:// host',
  'https://\u00a0host',
  'https://\u3000host',
  'https://\ufeffhost',
  'https:/host',
  'ftp://host',
  ...sample(
    near(
      ['http://', 'https://', 'HTTPS://', 'hTtP://', 'http:/', 'https:', 'httpss://'],
      ['/', ':', '1', '0', '9', 'a', '.', '?', '#', '\n', '\r', ' ', '\t', '\u00a0', ...WIDE],
    ),
    300,
  ),
  ...ANY,
]

const realms = [
  'a',
  'test',
  'a0',
  'a'.repeat(47),
  'a'.repeat(48),
  'a'.repeat(49),
  '0a',
  'A',
  'ab-c',
  'ab\n',
  'ab\u00e9',
  '',
  ...sample(near(['a', '0'], ['a', 'z', '0', '9', 'A', '-', '\n', '\u00e9', ' ']), 200),
]

const NAMES = [
  'org.astarte-platform.genericsensors.Values',
  'a.b',
  'a',
  'com.example.0x-y.Z9',
  'com.-x.Y',
  'com..Y',
  '.Y',
  'Y.',
  'com.example.Y-z',
  '0com.example.Y',
  'com.ex\u00e9mple.Y',
]
const names = [
  ...NAMES,
  ...sample(
    near(['com.', 'org.example.'], ['a', 'Z', '0', '9', '-', '.', '_', '\u00e9', ' ']),
    300,
  ),
]
const introspections = [
  'com.example.A:1:0;com.example.B:0:2',
  'com.example.A:+1:-0',
  'com.example.A:1:-1',
  'com.example.A:01:0',
  'com.example.A:1',
  'com.example.A:1:0;',
  'com.example.A: 1:0',
  'com.example.A:1:0\n',
  'com.example.A:9007199254740993:0',
  'com.example.A:010:0',
  ...sample(
    fc
      .tuple(
        fc.constantFrom(...NAMES),
        near(['+', '-'], ['0', '1', '9', '+', '-', ' ', '.', 'e', '\u0663']),
        near([], ['0', '1', '+', '-']),
      )
      .map(([n, a, b]) => `${n}:${a}:${b}`),
    300,
  ),
]

const levels = [
  'value',
  '_x9',
  '%{sensor_id}',
  '%{_}',
  '%{0x}',
  '%{a-b}',
  '%{}',
  '%{a}b',
  'a%{b}',
  '%{a}}',
  '%%{a}',
  '{a}',
  '9a',
  '',
  ...sample(near(['%{', '%', '_'], ['a', 'Z', '0', '_', '-', '{', '}', '%', '\u00e9']), 300),
]

const topics = [
  'realm/device/com.example.A/path',
  '',
  'a/+/b',
  'a/#',
  'a\u0000b',
  'a\u00e9\u2003',
  ...sample(near(['r/d/'], ['a', '+', '#', '/', '\u0000', ' ', '\u00e9']), 150),
]

const int64s = [
  '0',
  '-0',
  '00',
  '-',
  '',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '1234567890123456789',
  '12345678901234567890',
  '+1',
  ' 1',
  '1\n',
  '\u0663',
  ...sample(
    fc
      .tuple(fc.constantFrom('', '-', '--', '+'), fc.stringMatching(/^[0-9]{0,21}$/))
      .map(([s, d]) => s + d),
    300,
  ),
]

const tlsMessages = [
  'mbedtls_ssl_handshake returned -0x7780',
  'mbedtls_ssl_handshake returned -0x2700',
  'mbedtls_x509_crt_verify failed',
  'HTTPS init failed',
  'HTTPS init failed: own_cert',
  'Unable to locate host',
  'Connection refused',
  'DNS lookup failed',
  ' mbedtls_',
  'MBEDTLS_x',
  'Verification failed',
  ...sample(
    near(
      ['mbedtls_', 'HTTPS init failed', ' mbedtls_'],
      [
        'mbedtls_',
        'mbedtls',
        'HTTPS init',
        ' ',
        'x',
        '\n',
        '_',
        '-0x',
        '7780',
        'VERIF',
        'Refused',
        'DNS',
      ],
    ),
    300,
  ),
]

/** Every char code up to 0x3100, and the rest of the 16-bit range sparsely. */
const codes = Array.from({ length: 0x3100 }, (_, i) => i).concat([0xa0a0, 0xd800, 0xfeff, 0xffff])

/** [matcher, arguments] cases; `topic` publishes at QoS 0 on a topic (the probe's wrapper). */
/** Each input (a string) to each of `names`. */
const each = (inputs: readonly string[], ...names: string[]): [string, unknown[]][] =>
  inputs.flatMap((s) => names.map((name): [string, unknown[]] => [name, [s]]))

/** [matcher, arguments] cases; `topic` and `parseDateTimeLenient` are the program's wrappers. */
const cases: [string, unknown[]][] = [
  ...each(dateTimes, 'dateTimeParts', 'parseDateTime', 'parseDateTimeLenient'),
  ...each(brokerUrls, 'brokerUrlParts', 'parseBrokerUrl'),
  ...each(httpUrls, 'urlParts', 'isAbsoluteHttpUrl'),
  ...each(realms, 'isRealmSyntax'),
  ...each(names, 'isIntrospectionName'),
  ...each(introspections, 'parseIntrospection'),
  ...each(levels, 'parseLevel'),
  ...each(topics, 'topic'),
  ...each(int64s, 'isInt64Syntax', 'isInt64'),
  ...each(tlsMessages, 'isTlsFailure', 'tlsFailure'),
  ...codes.map((c): [string, unknown[]] => ['isSpaceCode', [c]]),
  ...[...ODD, ...WIDE, 'a', 'ab\n', 'ab\u2028'].map((s): [string, unknown[]] => [
    'hasLineEnd',
    ['x' + s, 1],
  ]),
]

const { code: bundle } = await build.buildEspruino()
const { code: probe } = await build.buildEspruino({ entry: PROBE })

/** The bundle's regex literals, as its text spells them. */
const regexes: string[] = []
const visit = (n: ts.Node): void => {
  if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) regexes.push(n.getText())
  ts.forEachChild(n, visit)
}
visit(ts.createSourceFile('bundle.js', bundle, ts.ScriptTarget.ES5, true))
const unique = [...new Set(regexes)]

/** Inputs for one regex: strings it matches (fast-check), each mutated once, and odd ones. */
const regexInputs = (literal: string): string[] => {
  const re = runInNewContext(literal) as RegExp
  const plain = new RegExp(re.source)
  const matching = sample(fc.stringMatching(plain, { size: 'small' }), 40)
  const mutated = matching.flatMap((s, i) => {
    const at = s.length === 0 ? 0 : i % s.length
    const odd = [...ODD, ...WIDE][i % (ODD.length + WIDE.length)] as string
    return [s.slice(0, at) + odd + s.slice(at + 1), s + odd, odd + s, s.toUpperCase()]
  })
  return [
    ...new Set([...matching, ...mutated, ...ODD, ...WIDE, ...ANY, ...tlsMessages.slice(0, 11)]),
  ]
}
// `g` from here: Espruino's RegExp has no `global` property
const regexCases = unique.flatMap((literal, index) =>
  regexInputs(literal).map((s): [string, unknown[]] => [
    '#re',
    [index, s, /\/[a-z]*g[a-z]*$/.test(literal)],
  ]),
)
const all = [...cases, ...regexCases]

/** JSON with every char outside printable ASCII escaped: the program text stays 7-bit. */
const ascii = (v: unknown): string =>
  JSON.stringify(v).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )

// One ES5 program for both engines: results as JSON lines, `undefined`, NaN, dates and errors
// spelled out so that JSON keeps them apart.
const runner = `
var P = Astarte, R = [${unique.join(',')}], C = ${ascii(all)};
P.topic = function (t) {
  return P.encodePublish({ type: 'publish', topic: t, qos: 0, dup: false, retain: false, packetId: 0,
    payload: new Uint8Array(0) }).length;
};
P.parseDateTimeLenient = function (s) { return P.parseDateTime(s, true); };
P['#re'] = function (i, s, global) {
  var re = R[i];
  if (global) return s.replace(re, '#');
  var m = re.exec(s);
  return [re.test(s), m, m ? m.index : -1];
};
function N(v) {
  if (v === undefined) return '#undefined';
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return v !== v ? '#NaN' : v;
  if (v instanceof Date) return '#date ' + v.getTime();
  if (typeof v.length === 'number' && typeof v !== 'function') {
    var a = [];
    for (var i = 0; i < v.length; i++) a.push(N(v[i]));
    return a;
  }
  if (typeof v.code === 'string') return { '#error': v.code, issues: N(v.issues) };
  var o = {}, k = Object.keys(v).sort();
  for (var j = 0; j < k.length; j++) o[k[j]] = N(v[k[j]]);
  return o;
}
for (var i = 0; i < C.length; i++) {
  var r;
  try { r = N(P[C[i][0]].apply(null, C[i][1])); } catch (e) { r = { '#thrown': (e && e.code) || String(e) }; }
  console.log('R' + JSON.stringify([i, r]));
}
console.log('WIDE ' + '\u2003'.charCodeAt(0));
console.log('DONE ' + C.length);
`
const program = `${probe}\n${runner}`

const results = (text: string): Map<number, string> => {
  const got = new Map<number, string>()
  for (const line of text.split('\n')) {
    const at = line.indexOf('R[')
    if (at < 0) continue
    const [i, r] = JSON.parse(line.slice(at + 1)) as [number, unknown]
    got.set(i, JSON.stringify(r))
  }
  return got
}

let nodeOut = ''
// without its Map, Set and WeakMap, as on Espruino: the prelude's (iterated as arrays) stand in
runInNewContext(`delete this.Map; delete this.Set; delete this.WeakMap;\n${program}`, {
  console: { log: (s: string) => (nodeOut += `${s}\n`) },
  Uint8Array,
})
const inNode = results(nodeOut)

const tmp = await mkdtemp(join(tmpdir(), 'astarte-real-espruino-parsers-'))
let espruinoOut = ''
const started = Date.now()
try {
  await writeFile(join(tmp, 'program.js'), `${program}\nquit();\n`)
  const child = spawn(ESPRUINO, [join(tmp, 'program.js')], { stdio: ['ignore', 'pipe', 'inherit'] })
  child.stdout.on('data', (c: Buffer) => (espruinoOut += c.toString('utf8')))
  const timer = setTimeout(() => child.kill('SIGTERM'), 300_000)
  await new Promise((r) => child.on('close', r))
  clearTimeout(timer)
} finally {
  await rm(tmp, { recursive: true, force: true })
}
const inEspruino = results(espruinoOut)
console.log(
  `[host] ${all.length} cases, Espruino answered ${inEspruino.size} in ${Date.now() - started} ms`,
)
if (!espruinoOut.includes(`DONE ${all.length}`)) {
  console.log(
    espruinoOut
      .split('\n')
      .filter((l) => !l.includes('R['))
      .slice(-20)
      .join('\n'),
  )
}

// An Espruino without Unicode support (ESP32 boards) keeps 8 bits of each char of a string
// literal: inputs with wider chars are other inputs there, left out
const eightBit = !espruinoOut.includes(`WIDE ${0x2003}`)
const wide = (c: [string, unknown[]]): boolean =>
  c[1].some((a) => typeof a === 'string' && /[^\x00-\xff]/.test(a))
if (eightBit) {
  const n = all.filter(wide).length
  console.log(`[host] 8-bit strings: ${n} cases with chars above U+00FF left out`)
}
const label = (c: [string, unknown[]]): string =>
  c[0] === '#re' ? `regex ${unique[c[1][0] as number]}` : c[0]
const per = new Map<string, { cases: number; differ: number }>()
all.forEach((c, i) => {
  if (eightBit && wide(c)) return
  const name = label(c)
  const count = per.get(name) ?? { cases: 0, differ: 0 }
  per.set(name, count)
  count.cases++
  const node = inNode.get(i)
  const esp = inEspruino.get(i)
  if (node === esp) return
  count.differ++
  if (count.differ <= SHOW) {
    console.log(
      `DIFF ${name} ${ascii(c[1])}\n  node     ${node}\n  espruino ${esp ?? '(no answer)'}`,
    )
  }
})
let differ = 0
for (const [name, { cases: n, differ: d }] of per) {
  differ += d
  console.log(`${d === 0 ? 'same' : 'DIFF'} ${name}: ${n - d}/${n}`)
}
process.exit(differ === 0 && espruinoOut.includes(`DONE ${all.length}`) ? 0 : 1)
