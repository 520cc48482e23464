'use strict'
// index.d.ts: a TypeScript usage file compiles with `tsc --noEmit --strict`, and its
// @ts-expect-error lines (misuse) fail to compile, so the declarations are not `any`.
const test = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const path = require('node:path')

test('tsc --noEmit --strict compiles test/types/usage.ts against index.d.ts', () => {
  const root = path.join(__dirname, '..')
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '-p', path.join(__dirname, 'types', 'tsconfig.json')], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    })
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`)
  }
})

test('index.d.ts declares what index.js exports', () => {
  const fs = require('node:fs')
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const lib = require('..')
  for (const name of ['analyze', 'normalize', 'hls']) {
    assert.equal(typeof lib[name], 'function', `${name} is exported`)
    assert.match(dts, new RegExp(`export declare function ${name}\\(`), `${name} is declared`)
  }
})
