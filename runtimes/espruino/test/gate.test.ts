/**
 * The ES5 gate refuses what Espruino can't parse or run, each reason named, and lets plain ES5
 * through (the bundle itself is checked by `npm run size` and the engine test).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'

const gate = (await import(new URL('../scripts/gate.mjs', import.meta.url).href)) as {
  checkEs5(code: string): string[]
}

test('plain ES5, with functions declared before the statements that call them, passes', () => {
  const code =
    'function f(a) { return a + 1 }\nfunction __h(a) { return a }\nvar x = f(__h(1));\n' +
    'if (typeof Symbol == "undefined") x++;'
  assert.deepEqual(gate.checkEs5(code), [])
})

test('each construct Espruino lacks is named', () => {
  const cases: [string, RegExp][] = [
    ['var f = () => 1', /arrow/],
    ['class A {}', /class/],
    ['var s = `a`', /template/],
    ['f(...a)', /spread/],
    ['var o = { ...a }', /spread/],
    ['var { a } = o', /destructuring/],
    ['for (var x of a) {}', /for…of/],
    ['function f(a = 1) {}', /default or rest/],
    ['let a = 1', /let\/const/],
    ['async function f() {}', /async/],
    ['function* g() {}', /generator/],
    ['var a = 1n', /bigint literal|duk refuses/],
    ['var a = o?.b', /optional chaining|refuses/],
    ['var a = b ?? c', /\?\?|refuses/],
    ['var m = BigInt(1)', /the global BigInt/],
    ['var s = Symbol("x")', /the global Symbol/],
    ['var p = new Proxy({}, {})', /the global Proxy/],
    ['Object.freeze(o)', /Object\.freeze/],
    ['var r = /a/u', /regex flag/],
    ['var r = /^a?$/', /beyond Espruino's RegExp/],
    ['var r = /^a{2}$/', /beyond Espruino's RegExp/],
    ['var r = /(?:ab)/', /beyond Espruino's RegExp/],
    ['var r = /(ab)+/', /beyond Espruino's RegExp/],
    ['var r = /(a|b)/', /beyond Espruino's RegExp/],
    ['var r = /[\\u0000]/', /beyond Espruino's RegExp/],
    ['var r = /(?<=a)b/', /regex syntax|refuses/],
    ['f(); function f() {}', /the function f declared after other statements/],
    ['var o = { [k]: 1 }', /computed property key/],
    ['a.length = 0', /assignment to \.length/],
    ['function f() { return __awaiter(this) }', /__awaiter, a helper the script doesn't define/],
  ]
  for (const [code, expected] of cases) {
    const problems = gate.checkEs5(code)
    assert.ok(
      problems.some((p) => expected.test(p)),
      `${code}: ${JSON.stringify(problems)}`,
    )
  }
})

test('a syntax error is reported by the engines that parse it', () => {
  const problems = gate.checkEs5('var = ;')
  assert.ok(
    problems.some((p) => /duk refuses/.test(p)),
    JSON.stringify(problems),
  )
  assert.ok(
    problems.some((p) => /mujs refuses/.test(p)),
    JSON.stringify(problems),
  )
})

test("regexes within Espruino's RegExp pass: classes, * and +, anchors, plain groups, top-level |", () => {
  const code =
    'var a = /^[0-9]+$|^[+-][0-9]+$/;\nvar b = /^[a-zA-Z][a-zA-Z0-9-]*$/;\nvar c = /^(ab)c.*$/i;\n' +
    'var d = /-0x2700|x509_crt_verify|verif/i;\nvar e = /^[\\/?#]/;'
  assert.deepEqual(gate.checkEs5(code), [])
})

test("the words Espruino's lexer reserves are never names in the bundle", async () => {
  const build = (await import(new URL('../scripts/build.mjs', import.meta.url).href)) as {
    avoidEspruinoWords(code: string): string
  }
  const source =
    'function of(e){return e()}var let=1,static=3,o={of:2};' +
    'result=[let,static,o.of,of(function(){return 7}),Uint8Array.of(5)[0]]'
  assert.ok(gate.checkEs5(source).some((p) => p.includes('a word Espruino reserves')))
  const fixed = build.avoidEspruinoWords(source)
  assert.deepEqual(gate.checkEs5(fixed), [])
  // the same program (sloppy-mode ES5 takes the words as names)
  const run = (code: string): unknown => new Function(`var result;${code};return result`)()
  assert.deepEqual(run(fixed), [1, 3, 2, 7, 5])
  assert.deepEqual(run(fixed), run(source))
})
