#!/usr/bin/env node
// ort_bench.js - time one ONNX model in ONNX Runtime (onnxruntime-node), the way
// `facecluster nn --bench` does; the speed peer of bench/nn.py. Never part of facecluster.
//
//   node bench/ort_bench.js MODEL.onnx --runs N --threads T [--batch B]
//        [--shape NAME=DIMS ...] [--input NAME=FILE.npy ...]
//
// Session: intraOpNumThreads T, interOpNumThreads 1, graphOptimizationLevel 'all',
// executionMode 'sequential'. 5 warm-up runs, then N timed runs (process.hrtime,
// monotonic). Prints min/median/p90/max ms, `load_ms=<x>` (InferenceSession.create)
// and, as the last line, `median_ms=<x>`; when ONNX Runtime cannot run the model, the
// reason and `median_ms=nan` (exit status 0: a result, not a failure of this script).
//
// Inputs: --input files as they are (tests/parity/ort_run.js reads them), else seeded
// uniform [-1, 1) float32 (zeros for integer inputs) of the declared shape, --shape
// giving a whole shape (dynamic dims), --batch B replacing dim 0. A model whose input
// dim 0 is fixed to 1 cannot take batch B in ONNX Runtime: it then runs a temporary copy
// with dim 0 symbolic, and if its outputs still do not have dim 0 = B, a copy whose
// Reshape targets [1, ...] also become [0, ...] (keep dim 0); the copies are written by
// `bench/cv_bench.py --rewrite` with /usr/bin/python3 and python3-onnx.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const { readNpy } = require(path.join(ROOT, 'tests', 'parity', 'ort_run.js'));
const WARMUP_RUNS = 5;
const USAGE = 'usage: node bench/ort_bench.js MODEL.onnx --runs N --threads T [--batch B] ' +
    '[--shape NAME=DIMS] [--input NAME=FILE.npy]';

class Unusable extends Error {}

function die(msg, code = 1) {
    process.stderr.write(`ort_bench: ${msg}\n`);
    process.exit(code);
}

function parseArgs(argv) {
    const a = { model: null, runs: 0, threads: 0, batch: 0, shapes: new Map(), files: new Map() };
    const count = (flag, text) => {
        const v = Number(text);
        if (!/^\d+$/.test(text || '') || v < 1) die(`${flag} takes a whole number >= 1, not '${text}'`, 2);
        return v;
    };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (['--runs', '--threads', '--batch'].includes(arg)) {
            a[arg.slice(2)] = count(arg, argv[++i]);
        } else if ((arg === '--shape' || arg === '--input') && i + 1 < argv.length) {
            const spec = argv[++i], eq = spec.lastIndexOf('=');
            (arg === '--shape' ? a.shapes : a.files).set(eq > 0 ? spec.slice(0, eq) : null, spec.slice(eq + 1));
        } else if (!arg.startsWith('-') && !a.model) {
            a.model = arg;
        } else {
            die(USAGE, 2);
        }
    }
    if (!a.model || !a.runs || !a.threads) die(USAGE, 2);
    return a;
}

function loadOrt() {
    const dir = path.join(ROOT, 'node_modules', 'onnxruntime-node');
    try {
        return require(dir);
    } catch (e) {
        throw new Unusable(`cannot load onnxruntime-node from ${dir} (run scripts/setup): ${e.message}`);
    }
}

// {input name: value} from a Map keyed by name or null (the only input).
function byInput(given, names, flag) {
    const out = {};
    for (const [name, value] of given) {
        const n = name === null && names.length === 1 ? names[0] : name;
        if (!names.includes(n)) die(`${flag} ${name || value}: the model's inputs are ${names.join(', ')}`, 2);
        out[n] = value;
    }
    return out;
}

// Seeded uniform [-1, 1) floats (xorshift32).
function randomFloats(n, seed) {
    const x = new Float32Array(n);
    let s = (0x9e3779b9 ^ seed) >>> 0 || 1;
    for (let i = 0; i < n; i++) {
        s ^= s << 13; s >>>= 0;
        s ^= s >>> 17;
        s ^= s << 5; s >>>= 0;
        x[i] = (s / 4294967296) * 2 - 1;
    }
    return x;
}

// Feeds for the session from --input files or generated from the declared shapes.
function makeFeeds(ort, session, a) {
    const names = session.inputNames;
    const files = byInput(a.files, names, '--input');
    const shapes = byInput(a.shapes, names, '--shape');
    const feeds = {}, lines = [];
    session.inputMetadata.forEach((meta, i) => {
        const name = meta.name;
        let t, source;
        if (name in files) {
            t = readNpy(files[name]);
            if (t.type === 'float64' && meta.type === 'float32') t = { type: 'float32', data: Float32Array.from(t.data), dims: t.dims };
            if (a.batch && t.dims.length && t.dims[0] !== a.batch)
                die(`--batch ${a.batch}, but ${files[name]} has ${t.dims[0]} in dim 0`, 2);
            source = 'file';
        } else {
            const dims = name in shapes ? shapes[name].split(/[x,]/).map(Number) : [...meta.shape];
            if (a.batch && dims.length) dims[0] = a.batch;
            if (dims.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0))
                die(`input '${name}' has dynamic dims [${dims}]: give --shape ${name}=DIMS`, 2);
            const n = dims.reduce((p, d) => p * d, 1);
            if (meta.type === 'float32') {
                t = { type: 'float32', data: randomFloats(n, 1 + i), dims };
                source = 'random uniform [-1,1), seeded';
            } else if (meta.type === 'int64') {
                t = { type: 'int64', data: new BigInt64Array(n), dims };
                source = 'zeros';
            } else {
                throw new Unusable(`input '${name}' has type ${meta.type}, not generated by this script: give --input`);
            }
        }
        feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
        lines.push(`input: ${name} ${t.type} [${t.dims.join(',')}] (${source})`);
    });
    return { feeds, lines };
}

// Writes a copy of src with dim 0 of every input symbolic ('batch') and the other dims
// those of the feeds; reshape: also Reshape [1, ...] -> [0, ...].
function batchCopy(src, dst, feeds, reshape) {
    const args = [path.join(ROOT, 'bench', 'cv_bench.py'), '--rewrite', src, dst];
    for (const [name, t] of Object.entries(feeds)) args.push('--dims', `${name}=batch,${t.dims.slice(1).join(',')}`);
    if (reshape) args.push('--reshape-batch');
    const p = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
    if (p.status !== 0) throw new Unusable(`cannot write a batch copy: ${(p.stderr || p.error || '').toString().trim()}`);
    return !reshape || !/reshape_targets_changed=0/.test(p.stdout);
}

const sessionOptions = (threads) => ({
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    logSeverityLevel: 3, // errors only: a batch copy's shape warnings are checked below
});

// Loads modelPath and runs it once; every output must have dim 0 = batch (when > 1).
async function loadAndCheck(ort, modelPath, feeds, a) {
    const t0 = process.hrtime.bigint();
    const session = await ort.InferenceSession.create(modelPath, sessionOptions(a.threads));
    const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const out = await session.run(feeds);
    if (a.batch > 1) {
        const bad = session.outputNames.filter((n) => out[n].dims.length < 2 || out[n].dims[0] !== a.batch);
        if (bad.length) {
            await session.release();
            throw new Unusable(`outputs ${bad.map((n) => `[${out[n].dims}]`).join(' ')} do not have dim 0 = ${a.batch}`);
        }
    }
    return { session, loadMs };
}

async function bench(a) {
    const ort = loadOrt();
    let first;
    try {
        first = await ort.InferenceSession.create(a.model, sessionOptions(a.threads));
    } catch (e) {
        throw new Unusable(`cannot load: ${e.message}`);
    }
    const { feeds, lines } = makeFeeds(ort, first, a);
    await first.release();
    console.log(`model: ${a.model}\nruntime: ONNX Runtime ${ort.env.versions ? ort.env.versions.common : ''} ` +
                `(onnxruntime-node), CPU, graphOptimizationLevel all, sequential`);
    for (const line of lines) console.log(line);
    console.log(`threads: ${a.threads} (intraOpNumThreads; interOpNumThreads 1)`);

    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ort_bench.'));
    const failures = [];
    let chosen = null;
    try {
        const variants = [['as given', a.model]];
        if (a.batch > 1) {
            variants.push(['copy with dim 0 symbolic', path.join(tmp, 'batch.onnx'), false]);
            variants.push(['copy with dim 0 symbolic and Reshape [1,...] -> [0,...]', path.join(tmp, 'batch_reshape.onnx'), true]);
        }
        for (const [label, file, reshape] of variants) {
            try {
                if (file !== a.model && !batchCopy(a.model, file, feeds, reshape)) continue;
                chosen = await loadAndCheck(ort, file, feeds, a);
            } catch (e) {
                failures.push(`${label}: ${e.message.split('\n')[0]}`);
                continue;
            }
            if (label !== 'as given') console.log(`model used: ${label}, because ${failures.join('; ')}`);
            break;
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    if (!chosen) throw new Unusable(failures.join('; '));

    const { session, loadMs } = chosen;
    for (let w = 1; w < WARMUP_RUNS; w++) await session.run(feeds); // loadAndCheck ran the first
    const ms = [];
    for (let r = 0; r < a.runs; r++) {
        const t0 = process.hrtime.bigint();
        await session.run(feeds);
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    await session.release();
    ms.sort((x, y) => x - y);
    const n = ms.length;
    const median = n % 2 ? ms[(n - 1) / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
    const p90 = ms[Math.ceil(0.9 * n) - 1];
    console.log(`runs: ${n} timed after ${WARMUP_RUNS} warm-up`);
    console.log(`ms: min ${ms[0].toFixed(3)}  median ${median.toFixed(3)}  p90 ${p90.toFixed(3)}  max ${ms[n - 1].toFixed(3)}`);
    console.log(`load_ms=${loadMs.toFixed(3)}`);
    console.log(`median_ms=${median.toFixed(3)}`);
}

async function main() {
    const a = parseArgs(process.argv.slice(2));
    try {
        await bench(a);
    } catch (e) {
        if (!(e instanceof Unusable)) throw e;
        console.log(`unusable: ONNX Runtime cannot run ${path.basename(a.model)}: ${e.message}`);
        console.log('median_ms=nan');
    }
}

main().catch((e) => die(e && e.stack ? e.stack : String(e)));
