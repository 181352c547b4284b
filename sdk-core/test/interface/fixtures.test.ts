import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { interfaceIssueCodes, parseInterfaceText } from '../../src/interface/index.js'

const fixtures = fileURLToPath(new URL('../fixtures/interfaces/', import.meta.url))
const edgehog = fileURLToPath(new URL('../../../interfaces/edgehog/', import.meta.url))
const jsonFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
const parseFile = (file: string) => parseInterfaceText(readFileSync(file, 'utf8'))

describe('interface fixtures', () => {
  it('accepts all 52 Edgehog interfaces', () => {
    const files = jsonFiles(edgehog)
    assert.equal(files.length, 52)
    for (const file of files) {
      const r = parseFile(join(edgehog, file))
      assert.ok(r.ok, `${file}: ${JSON.stringify(r.ok ? [] : r.error)}`)
    }
  })

  it('accepts every valid/ fixture (quirks and limits)', () => {
    for (const file of jsonFiles(join(fixtures, 'valid'))) {
      const r = parseFile(join(fixtures, 'valid', file))
      assert.ok(r.ok, `${file}: ${JSON.stringify(r.ok ? [] : r.error)}`)
    }
  })

  // File names are `<code>--<what>.json`: the code is the rule the fixture breaks.
  const invalid = jsonFiles(join(fixtures, 'invalid'))
  it('has at least 70 invalid fixtures covering every document-level code', () => {
    assert.ok(invalid.length >= 70, `${invalid.length} fixtures`)
    const covered = new Set(invalid.map((f) => f.split('--')[0]))
    const runtimeOnly = ['invalid_path', 'mapping_not_found', 'ambiguous_path']
    // a device's refusal of a valid interface (checkSupportedInterface), never a parse issue
    runtimeOnly.push('aggregation_mismatch', 'encrypted_unsupported')
    for (const code of Object.keys(interfaceIssueCodes)) {
      if (!runtimeOnly.includes(code)) assert.ok(covered.has(code), `no fixture for ${code}`)
    }
  })

  for (const file of invalid) {
    const expected = file.split('--')[0] ?? ''
    it(`rejects ${file} with ${expected}`, () => {
      assert.ok(expected in interfaceIssueCodes, `unknown code in file name ${file}`)
      const r = parseFile(join(fixtures, 'invalid', file))
      assert.equal(r.ok, false)
      if (r.ok) return
      const codes = r.error.map((i) => i.code)
      assert.ok(codes.includes(expected), `${file}: got ${JSON.stringify(r.error)}`)
      for (const { path, message } of r.error) {
        assert.match(path, /^(\/[^/]*)*$/)
        assert.ok(message.length > 0 && message.length < 400, message)
      }
    })
  }
})
