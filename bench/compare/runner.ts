/**
 * `npm run bench:compare [-- flags]`: Ferry and its peers on this machine, the same workloads,
 * in one run. Starts each system in a temp folder on loopback ports, runs every workload it
 * supports (each figure the median of --runs runs), stops it by pid, then prints the table,
 * writes bench/results/compare-<date>.json and (full runs) docs/benchmarks.md with a chart.
 *
 *   npm run bench:compare                                  # everything, 3 runs per figure
 *   npm run bench:compare -- --quick                       # 1 short run per figure, 100 topics
 *   npm run bench:compare -- --systems ferry,redis --workloads publish,latency
 */
import { cpus, loadavg, release, totalmem } from 'node:os';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderChart } from './chart.ts';
import { ensurePackages } from './debian.ts';
import { generatedSection, writeDocs } from './docs-writer.ts';
import { type CompareResults, medianMeasurement, type ResultRow, sortRows } from './results.ts';
import { allSystems } from './systems/index.ts';
import { durabilityTable, resultsTable, verdictTable } from './table.ts';
import type { Measurement, RunningSystem, SystemAdapter, Workload, WorkloadSettings } from './types.ts';
import { ALL_WORKLOADS } from './workloads/index.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const USAGE = `usage: npm run bench:compare -- [--quick] [--systems a,b] [--workloads a,b] [--runs N]
  [--warmup-runs N] [--duration-ms N] [--latency-duration-ms N] [--topics N] [--drain-timeout-ms N] [--batch-records N] [--batches-in-flight N]
  [--no-install] [--docs | --no-docs] [--profile-dir DIR] [--resume FILE] [--render FILE] [--list]
systems: ${allSystems()
  .map((system) => system.info.id)
  .join(', ')} (a prefix such as "ferry" or "redis" picks all of its rows)
workloads: ${ALL_WORKLOADS.map((workload) => workload.name).join(', ')}`;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function intOption(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got '${text}'`);
  return value;
}

function pick<T>(all: readonly T[], idOf: (item: T) => string, list: string | undefined, what: string): T[] {
  if (!list) return [...all];
  const wanted = list
    .split(',')
    .map((word) => word.trim())
    .filter(Boolean);
  for (const word of wanted) {
    if (!all.some((item) => idOf(item) === word || idOf(item).startsWith(`${word}-`)))
      throw new Error(`unknown ${what} '${word}'\n${USAGE}`);
  }
  return all.filter((item) => wanted.some((word) => idOf(item) === word || idOf(item).startsWith(`${word}-`)));
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      systems: { type: 'string' },
      workloads: { type: 'string' },
      runs: { type: 'string' },
      'warmup-runs': { type: 'string' },
      'duration-ms': { type: 'string' },
      'latency-duration-ms': { type: 'string' },
      topics: { type: 'string' },
      'drain-timeout-ms': { type: 'string' },
      'batch-records': { type: 'string' },
      'batches-in-flight': { type: 'string' },
      'no-install': { type: 'boolean', default: false },
      docs: { type: 'boolean' },
      'no-docs': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      'profile-dir': { type: 'string' },
      resume: { type: 'string' },
      render: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const isQuick = values.quick === true;
  const settings: WorkloadSettings = {
    durationMs: intOption('duration-ms', values['duration-ms'], isQuick ? 700 : 2_000),
    latencyDurationMs: intOption('latency-duration-ms', values['latency-duration-ms'], isQuick ? 700 : 10_000),
    recordBytes: 1024,
    ratePerSecond: 2_000,
    topicCount: intOption('topics', values.topics, isQuick ? 100 : 1_000),
    batchRecords: intOption('batch-records', values['batch-records'], 500),
    batchesInFlight: intOption('batches-in-flight', values['batches-in-flight'], 4),
    drainTimeoutMs: intOption('drain-timeout-ms', values['drain-timeout-ms'], isQuick ? 5_000 : 20_000),
  };
  const systems = pick(allSystems(), (system) => system.info.id, values.systems, 'system');
  const workloads = pick(ALL_WORKLOADS, (workload) => workload.name, values.workloads, 'workload');
  const isEverything = !values.systems && !values.workloads;
  // Read by the Ferry adapter: the broker runs with --cpu-prof into this folder.
  if (values['profile-dir']) process.env.BENCH_COMPARE_PROFILE_DIR = values['profile-dir'];
  return {
    isQuick,
    isHelp: values.help === true || values.list === true,
    runs: intOption('runs', values.runs, isQuick ? 1 : 3),
    warmupRuns: intOption('warmup-runs', values['warmup-runs'], isQuick ? 0 : 1, 0),
    settings,
    systems,
    workloads,
    shouldInstall: values['no-install'] !== true,
    resumeFile: values.resume,
    renderFile: values.render,
    shouldWriteDocs: values['no-docs'] === true ? false : (values.docs ?? (isEverything && !isQuick)),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function summary(measurement: Measurement): string {
  const latency = measurement.latencyMs
    ? ` p50 ${measurement.latencyMs.p50.toFixed(2)} p99 ${measurement.latencyMs.p99.toFixed(2)} ms`
    : '';
  return `${Math.round(measurement.recordsPerSecond).toLocaleString('en-US')} rec/s${latency} cpu ${measurement.brokerCpuPercent.toFixed(0)}% rss ${measurement.brokerRssMiB.toFixed(0)} MiB${measurement.note ? ` (${measurement.note})` : ''}`;
}

/** The system currently running, so Ctrl-C still stops it by pid. */
let current: RunningSystem | undefined;

async function runSystem(
  adapter: SystemAdapter,
  workloads: readonly Workload[],
  settings: WorkloadSettings,
  runs: number,
  warmupRuns: number,
  unavailable: string | undefined,
) {
  const rows: ResultRow[] = [];
  const info = adapter.info;
  const rowsFor = (workload: Workload) => workload.variants(settings).map((variant) => ({ workload, ...variant }));
  const missingAll = (reason: string) => {
    for (const workload of workloads)
      for (const variant of rowsFor(workload))
        rows.push({ system: info.id, workload: workload.name, variant: variant.label, runs: [], missing: reason });
  };
  if (unavailable) {
    missingAll(unavailable);
    return { rows, version: 'not installed' };
  }
  const start = async (): Promise<RunningSystem> => {
    const dataDir = await mkdtemp(join(tmpdir(), `ferry-compare-${info.id}-`));
    log(`${info.id}: starting (data in ${dataDir})`);
    try {
      const started = await adapter.start(dataDir);
      current = started;
      return started;
    } catch (error) {
      // The log of a server that did not come up is worth keeping: say where it is.
      throw new Error(`${(error as Error).message} (server log kept in ${dataDir})`);
    }
  };
  const stop = async (running: RunningSystem) => {
    log(`${info.id}: stopping pid ${running.pid}`);
    await running.stop().catch((error: unknown) => log(`${info.id}: stop failed: ${(error as Error).message}`));
    current = undefined;
  };
  let system: RunningSystem;
  try {
    system = await start();
  } catch (error) {
    log(`${info.id}: failed to start: ${(error as Error).message}`);
    missingAll(`failed to start: ${(error as Error).message.split('\n')[0]}`);
    return { rows, version: 'failed to start' };
  }
  const version = system.version;
  let hasRunSomething = false;
  try {
    for (const workload of workloads) {
      if (workload.needsFreshSystem && hasRunSomething && info.workloads.has(workload.name)) {
        // Memory is this workload's figure: nothing may be left over from the others.
        await stop(system);
        system = await start();
      }
      hasRunSomething = true;
      for (const [variantIndex, variant] of rowsFor(workload).entries()) {
        const row: ResultRow = { system: info.id, workload: workload.name, variant: variant.label, runs: [] };
        rows.push(row);
        if (!info.workloads.has(workload.name)) {
          row.missing = info.missing?.[workload.name] ?? 'not supported';
          continue;
        }
        // Warm-up runs, not recorded, for every system alike: a process that just started (a JIT
        // still compiling, pools and caches still empty) is not what a broker in service looks
        // like, and it is a rate's own shapes (2 records a batch, not 500) that get compiled.
        // Memory workloads skip them: what they measure is what the system holds, warm or not.
        const warmups = workload.needsFreshSystem ? 0 : warmupRuns;
        // A run that hangs (a system that stopped answering) is cut off well after its drain timeout.
        const runOnce = (settings: WorkloadSettings, runId: string) =>
          withTimeout(workload.run(system, settings, runId), settings.durationMs + settings.drainTimeoutMs + 180_000, `${info.id} ${runId}`);
        const warmupSettings = { ...variant.settings, durationMs: Math.max(500, Math.round(variant.settings.durationMs / 2)) };
        for (let warmup = 0; warmup < warmups; warmup++) {
          try {
            const measurement = await runOnce(warmupSettings, `${workload.name}-${variantIndex}-warmup${warmup}`);
            log(`${info.id} ${workload.name} ${variant.label} warm-up ${warmup + 1}/${warmups} (not recorded): ${summary(measurement)}`);
          } catch (error) {
            log(`${info.id} ${workload.name} ${variant.label} warm-up ${warmup + 1}: failed: ${(error as Error).message.split('\n')[0]!}`);
          }
        }
        for (let run = 0; run < runs; run++) {
          try {
            const measurement = await runOnce(variant.settings, `${workload.name}-${variantIndex}-${run}`);
            row.runs.push(measurement);
            log(`${info.id} ${workload.name} ${variant.label} run ${run + 1}/${runs}: ${summary(measurement)}`);
          } catch (error) {
            const message = (error as Error).message.split('\n')[0]!;
            log(`${info.id} ${workload.name} ${variant.label} run ${run + 1}: failed: ${message}`);
            row.missing = `failed: ${message}`;
            break;
          }
        }
        row.median = row.missing ? undefined : medianMeasurement(row.runs);
      }
    }
  } catch (error) {
    // A restart failed: the rows not measured yet say why.
    const message = (error as Error).message.split('\n')[0]!;
    log(`${info.id}: ${message}`);
    for (const workload of workloads) {
      for (const variant of rowsFor(workload)) {
        if (!rows.some((row) => row.workload === workload.name && row.variant === variant.label)) {
          rows.push({
            system: info.id,
            workload: workload.name,
            variant: variant.label,
            runs: [],
            missing: `failed to restart: ${message}`,
          });
        }
      }
    }
  } finally {
    if (current) await stop(current);
  }
  return { rows, version };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.isHelp) {
    console.log(USAGE);
    return;
  }
  if (options.renderFile) {
    await renderOnly(options.renderFile);
    return;
  }
  const startedAt = new Date();
  const loadAverageAtStart = loadavg();
  log(
    `bench:compare: ${options.systems.length} systems, ${options.workloads.length} workloads, ${options.runs} run(s) of ${options.settings.durationMs} ms (latency ${options.settings.latencyDurationMs} ms) per figure; load average ${loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}`,
  );

  const packages = [...new Set(options.systems.flatMap((system) => (system.debianPackage ? [system.debianPackage] : [])))];
  const stillMissing = options.shouldInstall
    ? await ensurePackages(packages, log)
    : packages.length > 0
      ? await (await import('./debian.ts')).missingPackages(packages)
      : [];

  const onSignal = () => {
    log('interrupted: stopping the running system');
    const stopping = current?.stop() ?? Promise.resolve();
    stopping.finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A client library's stray rejection must not end the run with a peer still running: the run
  // it belongs to fails by its own error or timeout, and the log says what happened.
  process.on('unhandledRejection', (reason: unknown) => log(`unhandled rejection: ${(reason as Error)?.message ?? String(reason)}`));

  const rows: ResultRow[] = [];
  const systems: CompareResults['systems'] = [];
  const cpuList = cpus();
  const snapshot = (): CompareResults => {
    const sorted = sortRows(rows);
    return {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command: `npm run bench:compare${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      machine: {
        cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
        cpuCount: cpuList.length,
        memoryGiB: totalmem() / 2 ** 30,
        kernel: release(),
        loadAverageAtStart,
        loadAverageAtEnd: loadavg(),
      },
      node: process.version,
      runsPerFigure: options.runs,
      warmupRunsPerFigure: options.warmupRuns,
      durationMs: options.settings.durationMs,
      latencyDurationMs: options.settings.latencyDurationMs,
      systems,
      rows: sorted,
    };
  };
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  const resultFile = join(resultsDir, `compare-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  // --resume: systems measured by an earlier (interrupted) run are taken from its file as they are.
  const resumed = options.resumeFile ? (JSON.parse(await readFile(options.resumeFile, 'utf8')) as CompareResults) : undefined;
  for (const adapter of options.systems) {
    const earlier = resumed?.systems.find((system) => system.id === adapter.info.id);
    if (resumed && earlier) {
      log(`${adapter.info.id}: taken from ${options.resumeFile}`);
      rows.push(...resumed.rows.filter((row) => row.system === adapter.info.id));
      systems.push(earlier);
      continue;
    }
    const unavailable =
      adapter.debianPackage && stillMissing.includes(adapter.debianPackage)
        ? `Debian package ${adapter.debianPackage} not installed`
        : undefined;
    const result = await runSystem(adapter, options.workloads, options.settings, options.runs, options.warmupRuns, unavailable);
    rows.push(...result.rows);
    systems.push({ id: adapter.info.id, product: adapter.info.product, version: result.version, durability: adapter.info.durability });
    // Written after every system, so an interrupted run keeps what it measured (see --resume).
    await writeFile(resultFile, `${JSON.stringify(snapshot(), null, 2)}\n`);
  }
  const results = snapshot();

  console.log(`\n${durabilityTable(results)}\n\n${resultsTable(results.rows)}\n\n${verdictTable(results.rows)}\n`);
  await writeFile(resultFile, `${JSON.stringify(results, null, 2)}\n`);
  log(`results: ${relative(REPO_ROOT, resultFile)}`);
  if (options.shouldWriteDocs) await publishDocs(results, resultFile);
  process.exit(0);
}

async function publishDocs(results: CompareResults, resultFile: string): Promise<void> {
  await mkdir(join(REPO_ROOT, 'docs', 'benchmarks'), { recursive: true });
  const title = `Ferry and peers, ${results.startedAt.slice(0, 10)} (median of ${results.runsPerFigure})`;
  await writeFile(join(REPO_ROOT, 'docs', 'benchmarks', 'compare.svg'), renderChart(results.rows, title));
  await writeDocs(
    join(REPO_ROOT, 'docs', 'benchmarks.md'),
    generatedSection(results, 'benchmarks/compare.svg', relative(REPO_ROOT, resultFile)),
  );
  log('docs: docs/benchmarks.md and docs/benchmarks/compare.svg');
}

/** --render FILE: publish an earlier run's figures again (medians recomputed from its runs). */
async function renderOnly(file: string): Promise<void> {
  const results = JSON.parse(await readFile(file, 'utf8')) as CompareResults;
  for (const row of results.rows) if (!row.missing) row.median = medianMeasurement(row.runs);
  results.rows = sortRows(results.rows);
  console.log(`\n${durabilityTable(results)}\n\n${resultsTable(results.rows)}\n\n${verdictTable(results.rows)}\n`);
  await publishDocs(results, join(process.cwd(), file));
}

main().catch((error: unknown) => {
  log(`bench:compare: ${(error as Error).message}`);
  const stopping = current?.stop() ?? Promise.resolve();
  stopping.finally(() => process.exit(1));
});
