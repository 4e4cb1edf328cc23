#!/usr/bin/env node
// ort_run.js - run an ONNX model with ONNX Runtime (onnxruntime-node), the numerical
// oracle of the parity tests. Never part of facecluster itself.
//
//   node tests/parity/ort_run.js MODEL.onnx OUTDIR NAME=FILE.npy [NAME=FILE.npy ...]
//        [--threads N] [--opt disabled|basic|extended|all]
//
// Inputs are .npy files (format 1.0/2.0/3.0, little-endian, C order; '<f4' and '<i8',
// plus '<f8', '<i4', '|u1', '|i1', '|b1'). Every output is written to
// OUTDIR/<name>.npy, the name with each character outside [A-Za-z0-9._-] replaced by
// '_'. Exit status 2 on bad usage, 1 on any other failure, with a message on stderr.
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');

function fail(msg, code = 1) {
    process.stderr.write(`ort_run: ${msg}\n`);
    process.exit(code);
}

// ---- .npy ---------------------------------------------------------------------------

const DTYPES = {
    // descr -> [ort type, TypedArray, bytes per element]
    '<f4': ['float32', Float32Array, 4],
    '<f8': ['float64', Float64Array, 8],
    '<i8': ['int64', BigInt64Array, 8],
    '<i4': ['int32', Int32Array, 4],
    '|u1': ['uint8', Uint8Array, 1],
    '|i1': ['int8', Int8Array, 1],
    '|b1': ['bool', Uint8Array, 1],
};
const DESCR_OF = {};
for (const [descr, [type]] of Object.entries(DTYPES)) DESCR_OF[type] = descr;
// numpy also spells the one-byte types with '<' or '='
const DESCR_ALIAS = { '<u1': '|u1', '=u1': '|u1', '<i1': '|i1', '=i1': '|i1', '<b1': '|b1', '=b1': '|b1' };

function readNpy(file) {
    let buf;
    try {
        buf = fs.readFileSync(file);
    } catch (e) {
        throw new Error(`cannot read ${file}: ${e.message}`);
    }
    const bad = (why) => new Error(`${file}: not a supported .npy file: ${why}`);
    if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY')
        throw bad('bad magic');
    const major = buf[6];
    let hlen, hstart;
    if (major === 1) {
        hlen = buf.readUInt16LE(8);
        hstart = 10;
    } else if (major === 2 || major === 3) {
        if (buf.length < 12) throw bad('truncated header');
        hlen = buf.readUInt32LE(8);
        hstart = 12;
    } else {
        throw bad(`format version ${major}.${buf[7]}`);
    }
    if (hstart + hlen > buf.length) throw bad('truncated header');
    const header = buf.toString(major === 3 ? 'utf8' : 'latin1', hstart, hstart + hlen);
    const descrM = header.match(/'descr'\s*:\s*'([^']*)'/);
    const fortranM = header.match(/'fortran_order'\s*:\s*(True|False)/);
    const shapeM = header.match(/'shape'\s*:\s*\(([^)]*)\)/);
    if (!descrM || !fortranM || !shapeM) throw bad(`cannot parse header ${JSON.stringify(header)}`);
    let descr = descrM[1];
    descr = DESCR_ALIAS[descr] || descr;
    if (!DTYPES[descr]) throw bad(`dtype '${descrM[1]}' (supported: ${Object.keys(DTYPES).join(' ')})`);
    if (fortranM[1] === 'True') throw bad('Fortran order');
    const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`shape (${shapeM[1]})`);
    const [type, Ctor, size] = DTYPES[descr];
    const count = shape.reduce((a, b) => a * b, 1);
    const dstart = hstart + hlen;
    if (buf.length - dstart < count * size)
        throw bad(`data has ${buf.length - dstart} bytes, shape needs ${count * size}`);
    // copy into a fresh, aligned ArrayBuffer
    const ab = buf.buffer.slice(buf.byteOffset + dstart, buf.byteOffset + dstart + count * size);
    return { type, data: new Ctor(ab), dims: shape };
}

function writeNpy(file, type, data, dims) {
    const descr = DESCR_OF[type];
    if (!descr) throw new Error(`cannot write output of type ${type} as .npy`);
    const shapeStr = dims.length === 0 ? '()' : dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
    // pad with spaces + '\n' so that the data starts on a multiple of 64 bytes
    // (format 2.0 only when the header does not fit 1.0's 16-bit length)
    let major = 1, pre = 10;
    const padded = (p) => Math.ceil((p + header.length + 1) / 64) * 64 - p;
    if (padded(pre) > 65535) {
        major = 2;
        pre = 12;
    }
    header = header + ' '.repeat(padded(pre) - header.length - 1) + '\n';
    const head = Buffer.alloc(pre);
    head[0] = 0x93;
    head.write('NUMPY', 1, 'latin1');
    head[6] = major;
    head[7] = 0;
    if (major === 1) head.writeUInt16LE(header.length, 8);
    else head.writeUInt32LE(header.length, 8);
    let body;
    if (type === 'bool') body = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)).buffer);
    else body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}

// ---- main ---------------------------------------------------------------------------

function usage() {
    fail('usage: node tests/parity/ort_run.js MODEL.onnx OUTDIR NAME=FILE.npy [NAME=FILE.npy ...] ' +
         '[--threads N] [--opt disabled|basic|extended|all]', 2);
}

function loadOrt() {
    const dir = path.join(ROOT, 'node_modules', 'onnxruntime-node');
    try {
        return require(dir);
    } catch (e) {
        fail(`cannot load onnxruntime-node from ${dir} (run scripts/setup): ${e.message}`);
    }
}

async function main() {
    const args = process.argv.slice(2);
    const pos = [];
    const feedsSpec = [];
    let threads = 1, opt = 'all';
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === '--threads') {
            threads = Number(args[++i]);
            if (!Number.isInteger(threads) || threads < 1) usage();
        } else if (a === '--opt') {
            opt = args[++i];
            if (!['disabled', 'basic', 'extended', 'all'].includes(opt)) usage();
        } else if (a.startsWith('--')) {
            usage();
        } else if (pos.length < 2) {
            pos.push(a);
        } else {
            const eq = a.indexOf('=');
            if (eq <= 0) usage();
            feedsSpec.push([a.slice(0, eq), a.slice(eq + 1)]);
        }
    }
    if (pos.length < 2 || feedsSpec.length === 0) usage();
    const [modelPath, outDir] = pos;

    const ort = loadOrt();
    const feeds = {};
    for (const [name, file] of feedsSpec) {
        const t = readNpy(file);
        feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
    }
    let session;
    try {
        session = await ort.InferenceSession.create(modelPath, {
            intraOpNumThreads: threads,
            interOpNumThreads: 1,
            executionMode: 'sequential',
            graphOptimizationLevel: opt,
        });
    } catch (e) {
        throw new Error(`cannot load ${modelPath}: ${e.message}`);
    }
    for (const name of Object.keys(feeds))
        if (!session.inputNames.includes(name))
            throw new Error(`'${name}' is not an input of the model (inputs: ${session.inputNames.join(', ')})`);
    for (const name of session.inputNames)
        if (!(name in feeds)) throw new Error(`model input '${name}' not given (inputs: ${session.inputNames.join(', ')})`);
    const results = await session.run(feeds);
    fs.mkdirSync(outDir, { recursive: true });
    for (const name of session.outputNames) {
        const t = results[name];
        const file = path.join(outDir, name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy');
        writeNpy(file, t.type, t.data, t.dims);
    }
    if (typeof session.release === 'function') await session.release();
}

if (require.main === module) {
    main().catch((e) => fail(e && e.message ? e.message : String(e)));
}

module.exports = { readNpy, writeNpy };
