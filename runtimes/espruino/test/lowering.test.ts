/**
 * The build's ES5 lowering keeps what a program computes: each snippet runs as written and, lowered
 * with the part of the prelude it reaches, in a context without Map and Set (Espruino's case); both
 * results must be equal.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createContext, runInContext } from 'node:vm'

const { lowerToEs5, preludeFor } = (await import(
  new URL('../scripts/build.mjs', import.meta.url).href
)) as {
  lowerToEs5: (code: string) => string
  preludeFor: (lowered: string, text?: string) => string
}

/**
 * `body` (statements ending in `return <result>`) run as written and lowered, with the prelude
 * the build gives it: both results.
 */
function runBoth(body: string): { lowered: string; asWritten: unknown; asLowered: unknown } {
  const program = `var out = (function () {\n${body}\n})()`
  const lowered = lowerToEs5(program)
  const asWritten = runInContext(`${program}; JSON.stringify(out)`, createContext({}))
  const es5 = createContext({})
  runInContext('delete this.Map; delete this.Set', es5)
  const asLowered = runInContext(`${preludeFor(lowered)}\n${lowered}; JSON.stringify(out)`, es5)
  return { lowered, asWritten, asLowered }
}

const calls = (lowered: string) => lowered.match(/__each\(/g)?.length ?? 0

test('a for…of becomes a call where its body can be a function, with the same result', () => {
  const cases = [
    // continue (also from within a switch), break of an inner loop and of a switch
    `const r = []
    for (const x of [1, 2, 3, 4, 5, 6]) {
      if (x === 2) continue
      switch (x) { case 3: r.push('three'); break; case 4: continue; default: r.push(x) }
      for (let i = 0; i < 9; i++) { if (i === 2) break; r.push(x * 10 + i) }
    }
    return r`,
    // one binding per iteration, as closures see it
    `const fs = []
    for (const x of ['a', 'b', 'c']) fs.push(() => x)
    return fs.map((f) => f())`,
    // this of the enclosing method
    `class C { constructor() { this.n = 0 } add(xs) { for (const x of xs) this.n += x; return this.n } }
    return new C().add([1, 2, 3])`,
    // elements pushed while iterating are visited
    `const a = [1, 2]
    for (const x of a) if (x < 6) a.push(x + 2)
    return a`,
    // a Map's entries, destructured; a Set's values
    `const m = new Map([['k', 1], ['l', 2]])
    const s = new Set([3, 4, 3])
    const r = []
    for (const [k, v] of m) r.push(k + v)
    for (const v of s) r.push(v)
    return r`,
  ]
  for (const body of cases) {
    const { lowered, asWritten, asLowered } = runBoth(body)
    assert.equal(asLowered, asWritten, body)
    assert.ok(calls(lowered) > 0, `not a call: ${body}`)
  }
})

test('a for…of that returns, breaks, declares a var or a function, or reads arguments stays a loop', () => {
  const cases = [
    `for (const x of [1, 2, 3]) if (x === 2) return x`,
    `let r = 0
    for (const x of [1, 2, 3]) { if (x === 3) break; r += x }
    return r`,
    `for (const x of [1, 2]) { var last = x }
    return last`,
    `const r = []
    for (const x of [1, 2]) { function f() { return x } r.push(f()) }
    return r`,
    `return (function () { let r = 0; for (const x of [1, 2]) r += arguments[0] * x; return r })(5)`,
  ]
  for (const body of cases) {
    const { lowered, asWritten, asLowered } = runBoth(body)
    assert.equal(asLowered, asWritten, body)
    assert.equal(calls(lowered), 0, `a call: ${body}`)
  }
})

test('private names become properties no other name of the script has', () => {
  const { lowered, asWritten, asLowered } = runBoth(`
    class C {
      #a = 1
      #b = 2
      y = 3
      get a() { return this.#a }
      #sum() { return this.#a + this.#b + this.y + this['z'] }
      static has(o) { return #b in o }
      z = 4
      run() { this.#a = 10; return [this.a, this.#sum(), C.has(this), C.has({})] }
    }
    return new C().run()`)
  assert.equal(asLowered, asWritten)
  const a = /this\.(\w+) = 1;/.exec(lowered)?.[1]
  const b = /this\.(\w+) = 2;/.exec(lowered)?.[1]
  assert.ok(a !== undefined && b !== undefined && a !== b, lowered)
  for (const name of [a, b]) assert.ok(!['a', 'y', 'z'].includes(name), name)
})

test('array literals with spreads: the same elements in the same order', () => {
  const { lowered, asWritten, asLowered } = runBoth(`
    const a = [1, 2]
    const m = new Map([['k', 1]])
    return [[...a], [0, ...a, 3, ...new Set([4, 4, 5]), ...m, ...'xy', 6], [...[]], Math.max(...a)]`)
  assert.equal(asLowered, asWritten)
  assert.equal(lowered.match(/__cat\(/g)?.length, 3)
})

test('a lowered class without its wrapper: statics, accessors, its own name inside, var lists', () => {
  const { lowered, asWritten, asLowered } = runBoth(`
    var a = 1, C = class { static s() { return 2 } m() { return C.s() + a + new C().n } get n() { return 4 } }, b = new C().m()
    var D = class { constructor(x) { this.x = x } get twice() { return this.x * 2 } static of(x) { return new D(x) } }
    var E = class extends D { constructor() { super(5); this.code = 'x' } }
    return [b, D.of(3).twice, new D(1) instanceof D, new E().code, new E().twice, new E() instanceof D]`)
  assert.equal(asLowered, asWritten)
  // the subclass keeps its wrapper (its base is the wrapper's argument)
  assert.doesNotMatch(lowered, /[CD] = \(function/)
  assert.equal(lowered.match(/\(function \(_super\)/g)?.length, 1)
})

test('the prelude keeps what the script reaches: shims of names it reads, helpers they call', () => {
  const kept = (script: string) => preludeFor(lowerToEs5(script))
  const none = kept('var out = 1')
  assert.doesNotMatch(none, /'padStart'|'flat'|'UTC'|function __days|function __rest/)
  assert.match(none, /typeof Map == 'undefined'/)
  // a shim a helper alone serves takes the helper with it
  const dates = kept('var out = Date.UTC(2000, 1, 2) + "x".padStart(3, " ")')
  assert.match(dates, /'UTC'/)
  assert.match(dates, /'padStart'/)
  assert.match(dates, /function __days/)
  assert.doesNotMatch(dates, /'flat'/)
  // a name written as a string may be a property read (`o[k]`, `k in o`)
  assert.match(kept('var k = "flat"; var out = [[1]][k]()'), /'flat'/)
})
