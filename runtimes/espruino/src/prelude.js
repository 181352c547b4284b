// ES5 prelude of the Espruino bundle: the helpers TypeScript's ES5 output calls (emitted once
// here rather than per use) and the few built-ins the core uses that Espruino lacks. Each shim is
// installed only where the engine has no such global. Map and Set iterate as arrays: the build
// wraps every `for…of` and spread in `__A`, so no iterator protocol (and no Symbol) is needed.
function __A(x) {
  return x && x.__a ? x.__a() : x
}
// a lowered `for…of` (the build's `loopsAsCalls`)
function __each(a, f) {
  a = __A(a)
  for (var i = 0; i < a.length; i++) f(a[i])
}
function __mkColl(isMap) {
  function C(init) {
    this.k = []
    this.v = []
    this.size = 0
    var a = __A(init) || []
    for (var i = 0; i < a.length; i++) isMap ? this.set(a[i][0], a[i][1]) : this.add(a[i])
  }
  var p = C.prototype
  p.has = function (k) {
    return this.k.indexOf(k) >= 0
  }
  p.get = function (k) {
    return this.v[this.k.indexOf(k)]
  }
  p.set = p.add = function (k, v) {
    var i = this.k.indexOf(k)
    if (i < 0) {
      i = this.k.length
      this.k.push(k)
      this.size++
    }
    this.v[i] = isMap ? v : k
    return this
  }
  p['delete'] = function (k) {
    var i = this.k.indexOf(k)
    if (i < 0) return false
    this.k.splice(i, 1)
    this.v.splice(i, 1)
    this.size--
    return true
  }
  p.clear = function () {
    this.k = []
    this.v = []
    this.size = 0
  }
  p.keys = function () {
    return this.k.slice()
  }
  p.values = function () {
    return this.v.slice()
  }
  p.entries = function () {
    var self = this
    return this.k.map(function (k, i) {
      return [k, self.v[i]]
    })
  }
  p.__a = isMap ? p.entries : p.values
  p.forEach = function (f, t) {
    var e = this.entries()
    for (var i = 0; i < e.length; i++) f.call(t, e[i][1], e[i][0], this)
  }
  return C
}
function __fill(o, name, f) {
  if (!o[name]) o[name] = f
}
// `class X extends Error`: ES5 `Error.call(this)` returns a new object, so the subclass extends
// this stand-in that keeps `this` and inherits from Error.prototype.
function __E(m) {
  this.message = m
}
function __extends(d, b) {
  for (var p in b) if (Object.prototype.hasOwnProperty.call(b, p)) d[p] = b[p]
  d.prototype = Object.create(b === null ? null : b.prototype)
  d.prototype.constructor = d
}
// a lowered accessor (the build's `compactClasses`): the descriptor TypeScript writes
function __def(o, n, g, s) {
  Object.defineProperty(o, n, { get: g, set: s, enumerable: false, configurable: true })
}
function __rest(s, e) {
  var t = {}
  for (var p in s) if (Object.prototype.hasOwnProperty.call(s, p) && e.indexOf(p) < 0) t[p] = s[p]
  return t
}
function __spreadArray(to, from) {
  for (var i = 0; i < from.length; i++) to.push(from[i])
  return to
}
// a lowered array literal with spreads (the build's `spreadsAsCat`)
function __cat() {
  var r = []
  for (var i = 0; i < arguments.length; i++) __spreadArray(r, __A(arguments[i]))
  return r
}
// Days since the epoch of a proleptic Gregorian date, month 0-based (as Date.UTC takes it).
function __days(y, mo, d) {
  y += Math.floor(mo / 12)
  var m = (((mo % 12) + 12) % 12) + 1
  if (m <= 2) y--
  var era = Math.floor(y / 400)
  var yoe = y - era * 400
  var doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468
}
function __Sym(d) {
  return '@@' + d + '@' + __Sym.n++
}
// Espruino's `require`, out of esbuild's sight (it rewrites any `require` it bundles)
function __require(name) {
  return require(name)
}
function __freeze(o) {
  return o
}
__Sym.n = 0
var __G =
  typeof globalThis != 'undefined' ? globalThis : typeof global != 'undefined' ? global : this
if (typeof Map == 'undefined') __G.Map = __mkColl(1)
if (typeof Set == 'undefined') __G.Set = __mkColl(0)
if (typeof WeakMap == 'undefined') __G.WeakMap = __G.Map
__fill(Array.prototype, 'at', function (i) {
  return this[i < 0 ? this.length + i : i]
})
__fill(Array.prototype, 'includes', function (x) {
  return this.indexOf(x) >= 0
})
__fill(Array.prototype, 'find', function (f) {
  for (var i = 0; i < this.length; i++) if (f(this[i], i)) return this[i]
})
__fill(Array.prototype, 'findIndex', function (f) {
  for (var i = 0; i < this.length; i++) if (f(this[i], i)) return i
  return -1
})
__fill(Array.prototype, 'fill', function (x) {
  for (var i = 0; i < this.length; i++) this[i] = x
  return this
})
__fill(Array.prototype, 'flatMap', function (f) {
  var r = []
  for (var i = 0; i < this.length; i++) r = r.concat(f(this[i], i))
  return r
})
__fill(Array.prototype, 'flat', function () {
  return [].concat.apply([], this)
})
__fill(Array, 'from', function (a, f) {
  a = __A(a)
  var r = []
  for (var i = 0; i < a.length; i++) r.push(f ? f(a[i], i) : a[i])
  return r
})
__fill(String.prototype, 'startsWith', function (s, at) {
  return this.substr(at || 0, s.length) === s
})
__fill(String.prototype, 'endsWith', function (s) {
  return this.length >= s.length && this.slice(this.length - s.length) === s
})
__fill(String.prototype, 'includes', function (s) {
  return this.indexOf(s) >= 0
})
__fill(String.prototype, 'padStart', function (n, c) {
  var s = String(this)
  while (s.length < n) s = c + s
  return s
})
__fill(Number, 'isInteger', function (n) {
  return typeof n == 'number' && isFinite(n) && Math.floor(n) === n
})
__fill(Number, 'isSafeInteger', function (n) {
  return Number.isInteger(n) && Math.abs(n) <= 9007199254740991
})
__fill(Number, 'isFinite', function (n) {
  return typeof n == 'number' && isFinite(n)
})
__fill(Date, 'UTC', function (y, mo, d, h, mi, s, ms) {
  return (
    (((__days(y, mo || 0, d === undefined ? 1 : d) * 24 + (h || 0)) * 60 + (mi || 0)) * 60 +
      (s || 0)) *
      1000 +
    (ms || 0)
  )
})
__fill(Date.prototype, 'setUTCFullYear', function (y, mo, d) {
  var t = this.getTime()
  var at = new Date(t)
  var m = mo === undefined ? at.getUTCMonth() : mo
  return this.setTime(
    __days(y, m, d === undefined ? at.getUTCDate() : d) * 864e5 + (((t % 864e5) + 864e5) % 864e5),
  )
})
__fill(Number, 'isNaN', function (n) {
  return n !== n
})
__fill(Object, 'is', function (a, b) {
  return a === b ? a !== 0 || 1 / a === 1 / b : a !== a && b !== b
})
__fill(Uint8Array, 'of', function () {
  return new Uint8Array(arguments)
})
// typed arrays share one prototype (ES2015); Array's generic methods work on them as they are.
// They are taken from `[]`: Espruino 2v29 resolves its built-in methods on instances, not as
// properties of `Array.prototype` (`typeof Array.prototype.slice` is "undefined" there).
var __TA = Object.getPrototypeOf(Uint8Array.prototype)
if (__TA === Object.prototype) __TA = Uint8Array.prototype
__fill(__TA, 'slice', function (a, b) {
  return new this.constructor([].slice.call(this, a, b))
})
;['fill', 'indexOf', 'every', 'some', 'forEach', 'join', 'reduce'].forEach(function (m) {
  __fill(__TA, m, [][m])
})
__fill(Object, 'assign', function (t) {
  for (var i = 1; i < arguments.length; i++) {
    var s = arguments[i]
    if (s != null) for (var k in s) if (Object.prototype.hasOwnProperty.call(s, k)) t[k] = s[k]
  }
  return t
})
__fill(Object, 'entries', function (o) {
  return Object.keys(o).map(function (k) {
    return [k, o[k]]
  })
})
__fill(Object, 'fromEntries', function (e) {
  var o = {}
  e = __A(e)
  for (var i = 0; i < e.length; i++) o[e[i][0]] = e[i][1]
  return o
})
__E.prototype = Object.create(Error.prototype)
var __assign = Object.assign
