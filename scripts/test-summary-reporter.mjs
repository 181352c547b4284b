// node:test reporter used by run-tests.mjs beside the TAP one: one JSON line per finished test
// (files, counts and the full names of failures come from them), written to a file the runner
// reads once node is done, so the summary comes after the whole TAP stream.
export default async function* summaryReporter(source) {
  // per file, the names of the tests open at each nesting level (files run concurrently)
  const open = new Map()
  for await (const event of source) {
    const { type, data } = event
    if (type !== 'test:start' && type !== 'test:pass' && type !== 'test:fail') continue
    const file = data.file ?? ''
    const names = open.get(file) ?? []
    open.set(file, names)
    names.length = data.nesting
    if (type === 'test:start') {
      names.push(data.name)
      continue
    }
    const error = data.details?.error
    const cause = error?.cause ?? error
    yield `${JSON.stringify({
      file,
      name: [...names, data.name].join(' > '),
      suite: data.details?.type === 'suite',
      ok: type === 'test:pass',
      skip: data.skip !== undefined && data.skip !== false,
      todo: data.todo !== undefined && data.todo !== false,
      ...(type === 'test:fail' ? { error: String(cause?.message ?? cause ?? 'failed') } : {}),
    })}\n`
  }
}
