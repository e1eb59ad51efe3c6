// Times SDEverywhere's JavaScript target inside Node, for benches/peers.sh.
//
// The Vensim model is compiled to JavaScript once by @sdeverywhere/compile, with the one constant
// as the input and the outcome as the output (so the compiler may fold the other constants and
// drop what the outcome does not need, as it does for its users), and run by
// @sdeverywhere/runtime's loop for JavaScript models (the runnable model that its synchronous
// runner drives, given a preallocated Float64Array for the outputs, which spares it the runner's
// copy of every saved value into point objects): single runs at the defaults (median), then
// Monte Carlo loops of N runs, each setting the input to a uniform draw and reading the outcome's
// final value. A second compilation with every variable as an output gives the final values of
// the default run for the agreement check. Prints one JSON object; a model the compiler cannot
// handle gives {"error": reason}.
//
//   node sde.mjs --model M.mdl --constant NAME --low L --high H --outcome NAME --build DIR
//                --defaults FILE [--runs 1000,10000] [--reps 3] [--budget S] [--seed 1]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseAndGenerate, resetState } from '@sdeverywhere/compile'
import { createRunnableModel, createSynchronousModelRunner } from '@sdeverywhere/runtime'

const args = { runs: '1000,10000', reps: '3', budget: '1200', seed: '1' }
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1]

const CONTROL = new Set(['time', 'initial time', 'final time', 'time step', 'saveper'])
const canonical = name =>
  name.trim().replace(/^"|"$/g, '').toLowerCase().replaceAll('_', ' ').split(/\s+/).join(' ')
    .replaceAll(', ', ',').replaceAll(' [', '[').replaceAll('[ ', '[').replaceAll(' ]', ']')
const oneLine = error => String(error?.message ?? error).split(/\s+/).join(' ').slice(0, 300)
const median = xs => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
// mulberry32: a small seeded generator, so every run of the benchmark draws the same values.
const generator = seed => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

async function compile(name, spec) {
  resetState()
  const text = readFileSync(args.model, 'utf8')
  await parseAndGenerate(text, 'vensim', spec, ['generateJS'], path.dirname(path.resolve(args.model)), name, args.build)
  const module = await import(pathToFileURL(path.resolve(args.build, `${name}.js`)).href)
  return module.default()
}

async function main() {
  mkdirSync(args.build, { recursive: true })
  const base = path.basename(args.model, '.mdl')
  const result = { engine: 'sdeverywhere' }
  let model, all
  try {
    const start = performance.now()
    model = await compile(`${base}_bench`, { inputVarNames: [args.constant], outputVarNames: [args.outcome] })
    result.load_s = (performance.now() - start) / 1e3
    all = await compile(`${base}_all`, {})
  } catch (error) {
    console.log(JSON.stringify({ engine: 'sdeverywhere', error: oneLine(error) }))
    return
  }

  // The default run, every variable.
  const allRunner = createSynchronousModelRunner(all)
  const allOutputs = allRunner.createOutputs()
  allRunner.runModelSync([], allOutputs)
  const lines = []
  allOutputs.varSeries.forEach((series, i) => {
    const name = canonical(all.outputVarNames[i])
    const y = series.points[series.points.length - 1].y
    if (!CONTROL.has(name) && Number.isFinite(y)) lines.push(`${name}\t${y}`)
  })
  writeFileSync(args.defaults, lines.join('\n') + '\n')

  const runnable = createRunnableModel(model)
  const points = Math.round((model.getFinalTime() - model.getInitialTime()) / model.getSaveFreq()) + 1
  const outputs = new Float64Array(points * model.outputVarIds.length)
  const options = {}
  const run = inputs => {
    runnable.onRunModel(inputs, outputs, options)
    return outputs[points - 1]
  }

  // Single runs at the defaults: enough of them for about two seconds, at least three.
  let start = performance.now()
  result.outcome = run([])
  const first = (performance.now() - start) / 1e3
  const times = []
  for (let i = 0; i < Math.max(3, Math.min(101, Math.floor(2 / Math.max(first, 1e-9)))); i++) {
    start = performance.now()
    run([])
    times.push((performance.now() - start) / 1e3)
  }
  const single = median(times)
  result.single_ms = single * 1e3

  result.runs_per_s = {}
  result.skipped_s = {}
  const low = Number(args.low)
  const high = Number(args.high)
  const inputs = new Float64Array(1)
  let sink = 0
  for (const n of args.runs.split(',').map(Number)) {
    const projected = n * single
    if (projected > Number(args.budget)) {
      result.skipped_s[n] = projected
      continue
    }
    const reps = projected * Number(args.reps) <= 60 ? Number(args.reps) : 1
    const rates = []
    for (let rep = 0; rep < reps; rep++) {
      const draw = generator(Number(args.seed) * 1000 + rep)
      start = performance.now()
      for (let i = 0; i < n; i++) {
        inputs[0] = low + (high - low) * draw()
        sink += run(inputs)
      }
      rates.push(n / ((performance.now() - start) / 1e3))
    }
    result.runs_per_s[n] = median(rates)
  }
  if (!Number.isFinite(sink)) result.warning = 'a run gave a value that is not finite'
  console.log(JSON.stringify(result))
}

await main()
