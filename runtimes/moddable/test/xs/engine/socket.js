// Moddable's `socket` module: the callback message numbers a socket reports.
export const Socket = Object.freeze({
  connected: 1,
  readable: 2,
  writable: 3,
  disconnected: -1,
  error: -2,
})
