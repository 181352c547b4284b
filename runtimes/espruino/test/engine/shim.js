// Host shim run inside an ES5 engine (Duktape) before the bundle: it offers the bundle only what
// Espruino documents — `require("tls" | "http" | "Storage")`, setTimeout/setInterval, atob/btoa,
// console.log, Promise, `process.on("uncaughtException")` and `E.stopEventPropagation` — and
// bridges them to the Node test process. The engine prints one line per request (`\u0001` +
// JSON); the test process answers by sending lines that call `__host.*`. The TLS handshake
// happens host-side, as the chip's mbedTLS would do it. After each host call the promise jobs
// run, as they do after each Espruino task.
var __out = function (msg) {
  print('\u0001' + JSON.stringify(msg))
}
var console = {
  log: function () {
    __out({ op: 'log', text: Array.prototype.slice.call(arguments).join(' ') })
  },
}

var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
function btoa(s) {
  var out = ''
  for (var i = 0; i < s.length; i += 3) {
    var a = s.charCodeAt(i)
    var b = s.charCodeAt(i + 1)
    var c = s.charCodeAt(i + 2)
    out += B64.charAt(a >> 2) + B64.charAt(((a & 3) << 4) | (b >> 4 || 0))
    out += i + 1 < s.length ? B64.charAt(((b & 15) << 2) | (c >> 6 || 0)) : '='
    out += i + 2 < s.length ? B64.charAt(c & 63) : '='
  }
  return out
}
function atob(s) {
  s = String(s).replace(/[^A-Za-z0-9+/]/g, '')
  var out = ''
  var bits = 0
  var n = 0
  for (var i = 0; i < s.length; i++) {
    bits = (bits << 6) | B64.indexOf(s.charAt(i))
    n += 6
    if (n >= 8) {
      n -= 8
      out += String.fromCharCode((bits >> n) & 0xff)
    }
  }
  return out
}

// Promise: Espruino has one; Duktape 2 does not. Jobs run when the current host call returns.
var __jobs = []
function __drain() {
  while (__jobs.length > 0) __jobs.shift()()
}
function Promise(executor) {
  var self = this
  self.s = 0 // 0 pending, 1 fulfilled, 2 rejected
  self.cbs = []
  var settle = function (state, value) {
    if (self.s !== 0) return
    if (state === 1 && value && typeof value.then === 'function') {
      var once = false
      var first = function (st) {
        return function (v) {
          if (once) return
          once = true
          settle(st, v)
        }
      }
      try {
        value.then(first(1), first(2))
      } catch (e) {
        first(2)(e)
      }
      return
    }
    self.s = state
    self.v = value
    for (var i = 0; i < self.cbs.length; i++) __jobs.push(self.cbs[i])
    self.cbs = []
  }
  try {
    executor(
      function (v) {
        settle(1, v)
      },
      function (e) {
        settle(2, e)
      }
    )
  } catch (e) {
    settle(2, e)
  }
}
Promise.prototype.then = function (onOk, onErr) {
  var self = this
  return new Promise(function (resolve, reject) {
    var run = function () {
      var f = self.s === 1 ? onOk : onErr
      if (typeof f !== 'function') return (self.s === 1 ? resolve : reject)(self.v)
      try {
        resolve(f(self.v))
      } catch (e) {
        reject(e)
      }
    }
    if (self.s === 0) self.cbs.push(run)
    else __jobs.push(run)
  })
}
Promise.prototype['catch'] = function (f) {
  return this.then(undefined, f)
}
Promise.resolve = function (v) {
  return new Promise(function (r) {
    r(v)
  })
}
Promise.reject = function (e) {
  return new Promise(function (_, r) {
    r(e)
  })
}
Promise.all = function (list) {
  return new Promise(function (resolve, reject) {
    var out = []
    var left = list.length
    if (left === 0) return resolve(out)
    list.forEach(function (p, i) {
      Promise.resolve(p).then(function (v) {
        out[i] = v
        if (--left === 0) resolve(out)
      }, reject)
    })
  })
}

var __timers = {}
var __intervals = {}
var __nextId = 1
function setTimeout(fn, ms) {
  var id = __nextId++
  __timers[id] = fn
  __out({ op: 'timer', id: id, ms: ms || 0 })
  return id
}
function setInterval(fn, ms) {
  var box = {}
  var tick = function () {
    box.id = setTimeout(tick, ms)
    fn()
  }
  box.id = setTimeout(tick, ms)
  var id = __nextId++
  __intervals[id] = box
  return id
}
function clearInterval(id) {
  var box = __intervals[id]
  if (box === undefined) return
  delete __intervals[id]
  clearTimeout(box.id)
}
function clearTimeout(id) {
  if (__timers[id] !== undefined) {
    delete __timers[id]
    __out({ op: 'untimer', id: id })
  }
}

function __emitter(o) {
  o.h = {}
  o.on = function (ev, fn) {
    ;(this.h[ev] = this.h[ev] || []).push(fn)
    return this
  }
  o.emit = function (ev, a) {
    var l = this.h[ev] || []
    for (var i = 0; i < l.length; i++) l[i](a)
  }
  return o
}

// Espruino's InternalError (Duktape has none), what its network code throws.
function InternalError(message) {
  this.message = message
}
InternalError.prototype = Object.create(Error.prototype)
InternalError.prototype.name = 'InternalError'

// Espruino's `process` and its `uncaughtException` event, as src/jsinteractive.c runs it: the
// listeners live in an array under '#on' + event (`removeListener` empties it, never deletes
// it); an exception that reaches the event loop is handed to every listener once the pass's
// callbacks have run (`jsiCheckErrors`), and printed only when there is no such array or when a
// listener throws (the last thrown is printed).
var process = {
  on: function (ev, fn) {
    var k = '#on' + ev
    this[k] = (this[k] || []).concat([fn])
    return this
  },
  prependListener: function (ev, fn) {
    var k = '#on' + ev
    this[k] = [fn].concat(this[k] || [])
    return this
  },
  removeListener: function (ev, fn) {
    var l = this['#on' + ev]
    if (l !== undefined && l.indexOf(fn) >= 0) l.splice(l.indexOf(fn), 1)
  },
  removeAllListeners: function (ev) {
    delete this['#on' + ev]
  },
}
// `E.stopEventPropagation()`: the listeners after the one calling it don't run for this event.
var __stopEvent = false
var E = {
  stopEventPropagation: function () {
    __stopEvent = true
  },
}
var __exception // the exception pending in this pass of the event loop
var __hasException = false
function __checkErrors() {
  if (!__hasException) return
  var e = __exception
  __hasException = false
  __exception = undefined
  var listeners = process['#onuncaughtException']
  if (listeners !== undefined) {
    var thrown = false
    __stopEvent = false
    for (var i = 0; i < listeners.length && !__stopEvent; i++) {
      try {
        listeners[i](e)
      } catch (x) {
        thrown = true
        e = x
      }
    }
    if (!thrown) return
  }
  __out({ op: 'uncaught', error: String(e && e.stack ? e.stack : e) })
}

var __sockets = {}
var __requests = {}
var __files = {}
var __modules = {
  tls: {
    connect: function (options, onConnect) {
      var id = __nextId++
      var socket = __emitter({
        write: function (data) {
          socket.wrote = true
          __out({ op: 'tls.write', id: id, data: btoa(data) })
        },
        end: function () {
          __out({ op: 'tls.end', id: id })
        },
      })
      socket.onConnect = onConnect
      __sockets[id] = socket
      __out({
        op: 'tls.connect',
        id: id,
        host: options.host,
        port: options.port,
        key: btoa(options.key),
        cert: btoa(options.cert),
        ca: options.ca === undefined ? undefined : btoa(options.ca),
      })
      return socket
    },
  },
  http: {
    request: function (options, onResponse) {
      var id = __nextId++
      var req = __emitter({
        end: function (body) {
          __out({
            op: 'http',
            id: id,
            protocol: options.protocol,
            host: options.host,
            port: options.port,
            path: options.path,
            method: options.method,
            headers: options.headers,
            ca: options.ca === undefined ? undefined : btoa(options.ca),
            body: body,
          })
        },
      })
      __requests[id] = { req: req, onResponse: onResponse }
      return req
    },
  },
  Storage: {
    read: function (name) {
      return __files[name]
    },
    readJSON: function (name, noExceptions) {
      var text = __files[name]
      if (text === undefined) return undefined
      try {
        return JSON.parse(text)
      } catch (e) {
        if (noExceptions) return undefined
        throw e
      }
    },
    write: function (name, data) {
      __files[name] = String(data)
      __out({ op: 'storage', name: name, size: __files[name].length })
      return true
    },
    writeJSON: function (name, data) {
      return __modules.Storage.write(name, JSON.stringify(data))
    },
    erase: function (name) {
      delete __files[name]
    },
    list: function () {
      return Object.keys(__files)
    },
  },
}
function require(name) {
  var m = __modules[name]
  if (m === undefined) throw new Error('Module ' + name + ' not found')
  return m
}

// What the test process calls, one line each.
var __host = {
  // One pass of Espruino's event loop: the callback, the promise jobs it queued, then the
  // exception that reached the loop, if any.
  run: function (fn) {
    try {
      fn()
    } catch (e) {
      __exception = e
      __hasException = true
    }
    __drain()
    __checkErrors()
  },
  fire: function (id) {
    var fn = __timers[id]
    if (fn === undefined) return
    delete __timers[id]
    __host.run(fn)
  },
  tls: function (id, what, arg) {
    var s = __sockets[id]
    if (s === undefined) return
    __host.run(function () {
      if (what === 'connect') s.onConnect()
      else if (what === 'data') s.emit('data', atob(arg))
      else if (what === 'error') s.emit('error', { message: arg })
      else if (what === 'fail') {
        // a failed handshake (network.c): an exception thrown from the event loop, after the
        // socket's callbacks: `error` "unsent data" (socketserver.c: data written, never sent),
        // when something was written, then `close`
        delete __sockets[id]
        __exception = new InternalError(arg)
        __hasException = true
        if (s.wrote) s.emit('error', { code: -8, message: 'unsent data' })
        s.emit('close')
      } else if (what === 'close') {
        delete __sockets[id]
        s.emit('close')
      }
    })
  },
  http: function (id, status, bodyOrError) {
    var r = __requests[id]
    if (r === undefined) return
    delete __requests[id]
    __host.run(function () {
      if (status === -2) {
        // a failed handshake, as for tls: `error` "unsent data" (the request written, never
        // sent), `close`, then the exception from the event loop
        __exception = new InternalError(bodyOrError)
        __hasException = true
        r.req.emit('error', { code: -8, message: 'unsent data' })
        return r.req.emit('close')
      }
      if (status < 0) return r.req.emit('error', { message: bodyOrError })
      var res = __emitter({ statusCode: status })
      r.onResponse(res)
      res.emit('data', atob(bodyOrError))
      res.emit('close')
    })
  },
  // Evaluates `code` (a test step); a promise result is reported when it settles.
  call: function (callId, code) {
    __host.run(function () {
      var report = function (ok, v) {
        __out({
          op: 'result',
          id: callId,
          ok: ok,
          value: ok ? v : String(v && v.code ? v.code + ': ' + v.message : v),
        })
      }
      var v = (0, eval)(code)
      if (v && typeof v.then === 'function') {
        v.then(
          function (x) {
            report(true, x)
          },
          function (e) {
            report(false, e)
          }
        )
      } else report(true, v)
    })
  },
}
