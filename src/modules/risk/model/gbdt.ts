/**
 * Histogram-based gradient-boosted decision trees for binary classification (log loss).
 *
 * - Features are numbers; NaN means missing. Each feature is cut into at most `maxBins`
 *   quantile bins (bin 0 is reserved for missing values), so binned data fits a Uint8Array.
 * - Trees grow leaf-wise (best gain first) or depth-wise, limited by `maxLeaves` and `maxDepth`.
 *   At each split the missing values are sent to whichever side gives the larger gain.
 * - Leaf value = -G / (H + lambda) * learningRate (Newton step with L2 regularisation).
 * - Histograms are built only for the smaller child; the larger child's histogram is the
 *   parent's minus the smaller one (the subtraction trick).
 * - Row subsampling (per tree, Bernoulli) and column subsampling (per tree) come from a
 *   seeded PRNG, so a given seed always produces the same model.
 */
import { Rng } from './prng.ts';

export interface GbdtParams {
  /** Number of boosting rounds (trees). */
  nRounds: number;
  learningRate: number;
  /** Maximum depth of a tree; 0 = unlimited (then `maxLeaves` limits the size). */
  maxDepth: number;
  /** Maximum number of leaves per tree. */
  maxLeaves: number;
  /** 'leafwise': split the leaf with the largest gain first; 'depthwise': level by level. */
  growth: 'leafwise' | 'depthwise';
  /** Minimum number of (sampled) rows in a leaf. */
  minSamplesLeaf: number;
  /** Minimum sum of hessians in a leaf. */
  minHessianLeaf: number;
  /** L2 regularisation on leaf values. */
  lambda: number;
  /** Minimum loss reduction to make a split. */
  minGain: number;
  /** Fraction of rows sampled for each tree (1 = all). */
  subsample: number;
  /** Fraction of features sampled for each tree (1 = all). */
  colsample: number;
  /** Maximum number of value bins per feature, 2..255 (missing values have their own bin). */
  maxBins: number;
  seed: number;
}

export const DEFAULT_GBDT_PARAMS: GbdtParams = {
  nRounds: 100,
  learningRate: 0.1,
  maxDepth: 0,
  maxLeaves: 31,
  growth: 'leafwise',
  minSamplesLeaf: 20,
  minHessianLeaf: 1e-3,
  lambda: 1,
  minGain: 0,
  subsample: 1,
  colsample: 1,
  maxBins: 255,
  seed: 1,
};

/** Serialised form of a trained ensemble (plain JSON). */
export interface GbdtJSON {
  nFeatures: number;
  baseScore: number;
  trees: {
    feature: number[];
    threshold: number[];
    missingLeft: number[];
    left: number[];
    right: number[];
    value: number[];
  }[];
}

// ---------------------------------------------------------------------------------------
// Binning

/**
 * Bin edges of one feature: value v falls in bin 1 + (index of the first edge >= v);
 * missing (NaN) falls in bin 0. A split "after bin k" sends v <= edges[k-1] to the left.
 */
export function computeBinEdges(values: Float64Array, maxBins: number): Float64Array {
  const finite = new Float64Array(values.length);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isNaN(values[i]!)) {
      finite[total++] = values[i]!;
    }
  }
  finite.subarray(0, total).sort();
  if (total === 0) {
    return new Float64Array(0);
  }
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < total; i++) {
    const v = finite[i]!;
    if (distinct.length > 0 && distinct[distinct.length - 1] === v) {
      counts[counts.length - 1]!++;
    } else {
      distinct.push(v);
      counts.push(1);
    }
  }
  const mid = (a: number, b: number): number => {
    const m = a + (b - a) / 2;
    return m >= b ? a : m; // keep a <= edge < b even for adjacent doubles
  };
  const edges: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 0; i + 1 < distinct.length; i++) {
      edges.push(mid(distinct[i]!, distinct[i + 1]!));
    }
  } else {
    let cum = 0;
    let cut = 1;
    for (let i = 0; i + 1 < distinct.length && edges.length < maxBins - 1; i++) {
      cum += counts[i]!;
      if (cum >= (cut * total) / maxBins) {
        edges.push(mid(distinct[i]!, distinct[i + 1]!));
        while (cum >= (cut * total) / maxBins) {
          cut++;
        }
      }
    }
  }
  return Float64Array.from(edges);
}

export function binOf(edges: Float64Array, v: number): number {
  if (Number.isNaN(v)) {
    return 0;
  }
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (edges[m]! < v) {
      lo = m + 1;
    } else {
      hi = m;
    }
  }
  return lo + 1;
}

// ---------------------------------------------------------------------------------------
// Model

interface BuiltTree {
  feature: number[];
  threshold: number[];
  binThreshold: number[];
  missingLeft: number[];
  left: number[];
  right: number[];
  value: number[];
}

/**
 * A trained ensemble, stored as flat typed arrays for fast scoring. Nodes of each tree are
 * laid out breadth-first with the two children of a node next to each other
 * (right = left + 1), so a step down the tree is `child[node] + goRight`.
 */
export class Gbdt {
  readonly nFeatures: number;
  readonly baseScore: number;
  readonly nTrees: number;
  private readonly roots: Int32Array;
  private readonly feat: Int32Array; // -1 at leaves
  private readonly thr: Float64Array;
  private readonly missR: Uint8Array; // 1 when missing values go right
  private readonly child: Int32Array; // left child; right child is child + 1
  private readonly val: Float64Array; // leaf output, or the node's value as a leaf (for contributions)

  constructor(json: GbdtJSON) {
    this.nFeatures = json.nFeatures;
    this.baseScore = json.baseScore;
    this.nTrees = json.trees.length;
    let total = 0;
    for (const t of json.trees) {
      total += t.feature.length;
    }
    this.roots = new Int32Array(this.nTrees);
    this.feat = new Int32Array(total);
    this.thr = new Float64Array(total);
    this.missR = new Uint8Array(total);
    this.child = new Int32Array(total);
    this.val = new Float64Array(total);
    let off = 0;
    json.trees.forEach((t, ti) => {
      this.roots[ti] = off;
      const size = t.feature.length;
      // Breadth-first relabelling: order[k] = old id of new node off + k.
      const order = [0];
      const newId = new Int32Array(size).fill(-1);
      newId[0] = off;
      for (let q = 0; q < order.length; q++) {
        const o = order[q]!;
        const f = t.feature[o];
        if (f === undefined || f >= json.nFeatures || !Number.isInteger(f)) {
          throw new Error('GBDT: bad tree');
        }
        if (f < 0) {
          continue;
        }
        const l = t.left[o]!;
        const r = t.right[o]!;
        if (!(l >= 0 && l < size && r >= 0 && r < size) || l === r || newId[l] !== -1 || newId[r] !== -1) {
          throw new Error('GBDT: bad tree');
        }
        newId[l] = off + order.length;
        newId[r] = off + order.length + 1;
        order.push(l, r);
      }
      for (const o of order) {
        const id = newId[o]!;
        const f = t.feature[o]!;
        this.feat[id] = f;
        this.thr[id] = f >= 0 ? t.threshold[o]! : 0;
        this.missR[id] = f >= 0 && !t.missingLeft[o] ? 1 : 0;
        this.child[id] = f >= 0 ? newId[t.left[o]!]! : -1;
        this.val[id] = t.value[o]!;
      }
      off += order.length;
    });
  }

  private leafOf(node: number, x: ArrayLike<number>): number {
    const feat = this.feat;
    const thr = this.thr;
    const child = this.child;
    let f = feat[node]!;
    while (f >= 0) {
      const v = x[f]!;
      node = child[node]! + (v !== v ? this.missR[node]! : v > thr[node]! ? 1 : 0);
      f = feat[node]!;
    }
    return node;
  }

  /** Output (log-odds increment) of tree `t` for feature vector `x`. */
  predictTree(t: number, x: ArrayLike<number>): number {
    return this.val[this.leafOf(this.roots[t]!, x)]!;
  }

  /** Raw margin (log-odds) for feature vector `x`, using the first `nTrees` trees. */
  predictRaw(x: ArrayLike<number>, nTrees: number = this.nTrees): number {
    let s = this.baseScore;
    const m = Math.min(nTrees, this.nTrees);
    for (let t = 0; t < m; t++) {
      s += this.val[this.leafOf(this.roots[t]!, x)]!;
    }
    return s;
  }

  /** Probability of the positive class. */
  predict(x: ArrayLike<number>, nTrees: number = this.nTrees): number {
    return 1 / (1 + Math.exp(-this.predictRaw(x, nTrees)));
  }

  /**
   * Tree-path contributions (Saabas): for every split on the path, the change in node
   * value is credited to the split feature. Returns nFeatures + 1 numbers; the last is the
   * bias (base score + root values). They sum to predictRaw(x).
   */
  contributions(x: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.nFeatures + 1);
    let bias = this.baseScore;
    for (let t = 0; t < this.nTrees; t++) {
      let node = this.roots[t]!;
      bias += this.val[node]!;
      let f = this.feat[node]!;
      while (f >= 0) {
        const v = x[f]!;
        const next = this.child[node]! + (v !== v ? this.missR[node]! : v > this.thr[node]! ? 1 : 0);
        out[f]! += this.val[next]! - this.val[node]!;
        node = next;
        f = this.feat[node]!;
      }
    }
    out[this.nFeatures] = bias;
    return out;
  }

  /** Number of splits on each feature. */
  splitCounts(): Float64Array {
    const out = new Float64Array(this.nFeatures);
    for (const f of this.feat) {
      if (f >= 0) {
        out[f]!++;
      }
    }
    return out;
  }

  toJSON(): GbdtJSON {
    const trees: GbdtJSON['trees'] = [];
    for (let t = 0; t < this.nTrees; t++) {
      const start = this.roots[t]!;
      const end = t + 1 < this.nTrees ? this.roots[t + 1]! : this.feat.length;
      const tree: GbdtJSON['trees'][number] = {
        feature: [],
        threshold: [],
        missingLeft: [],
        left: [],
        right: [],
        value: [],
      };
      for (let i = start; i < end; i++) {
        const f = this.feat[i]!;
        tree.feature.push(f);
        tree.threshold.push(this.thr[i]!);
        tree.missingLeft.push(f >= 0 && !this.missR[i] ? 1 : 0);
        tree.left.push(f >= 0 ? this.child[i]! - start : -1);
        tree.right.push(f >= 0 ? this.child[i]! + 1 - start : -1);
        tree.value.push(this.val[i]!);
      }
      trees.push(tree);
    }
    return { nFeatures: this.nFeatures, baseScore: this.baseScore, trees };
  }

  static fromJSON(json: GbdtJSON): Gbdt {
    return new Gbdt(json);
  }
}

// ---------------------------------------------------------------------------------------
// Training

const SLOT = 256; // histogram slots per feature (bin 0 = missing, 1..255 values)

interface Split {
  gain: number;
  feature: number;
  bin: number;
  missingLeft: boolean;
  gl: number;
  hl: number;
  cl: number;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  g: number;
  h: number;
  hist: Float64Array | null;
  split: Split | null;
}

/**
 * Train on a row-major matrix X (n rows x nFeatures columns, NaN = missing) with labels y (0/1).
 */
export function trainGbdt(
  X: Float64Array,
  nFeatures: number,
  y: ArrayLike<number>,
  params: Partial<GbdtParams> = {},
): Gbdt {
  const p: GbdtParams = { ...DEFAULT_GBDT_PARAMS, ...params };
  const nf = nFeatures;
  const n = y.length;
  if (X.length !== n * nf) {
    throw new Error('GBDT: X must have n * nFeatures values');
  }
  if (n === 0) {
    throw new Error('GBDT: no training rows');
  }
  if (!(p.maxBins >= 2 && p.maxBins <= 255)) {
    throw new Error('GBDT: maxBins must be in 2..255');
  }
  const lr = p.learningRate;
  const lambda = p.lambda;
  const rng = new Rng(p.seed);

  // Bin the data (row-major Uint8Array).
  const edges: Float64Array[] = [];
  const nBins = new Int32Array(nf); // number of value bins per feature
  const bins = new Uint8Array(n * nf);
  const col = new Float64Array(n);
  for (let f = 0; f < nf; f++) {
    for (let i = 0; i < n; i++) {
      col[i] = X[i * nf + f]!;
    }
    const e = computeBinEdges(col, p.maxBins);
    edges.push(e);
    nBins[f] = e.length + 1;
    for (let i = 0; i < n; i++) {
      bins[i * nf + f] = binOf(e, col[i]!);
    }
  }
  const usable: number[] = [];
  for (let f = 0; f < nf; f++) {
    if (nBins[f]! > 1) {
      usable.push(f);
    }
  }

  // Initial score: log-odds of the base rate.
  let pos = 0;
  for (let i = 0; i < n; i++) {
    pos += y[i]! > 0 ? 1 : 0;
  }
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, pos / n));
  const baseScore = Math.log(rate / (1 - rate));

  const F = new Float64Array(n).fill(baseScore);
  const gh = new Float64Array(2 * n); // gradient, hessian interleaved
  const idx = new Uint32Array(n);
  const tmp = new Uint32Array(n);
  const histSize = nf * SLOT * 3;
  const pool: Float64Array[] = [];
  // Only the bins of the sampled features are ever read, so only those are cleared.
  const takeHist = (): Float64Array => {
    const h = pool.pop();
    if (!h) {
      return new Float64Array(histSize);
    }
    for (let j = 0; j < sel.length; j++) {
      const f = sel[j]!;
      h.fill(0, f * SLOT * 3, (f * SLOT + nBins[f]! + 1) * 3);
    }
    return h;
  };

  let sel = new Int32Array(0);

  const buildHist = (hist: Float64Array, start: number, end: number): void => {
    const m = sel.length;
    for (let i = start; i < end; i++) {
      const r = idx[i]!;
      const gr = gh[2 * r]!;
      const hr = gh[2 * r + 1]!;
      const base = r * nf;
      for (let j = 0; j < m; j++) {
        const f = sel[j]!;
        const o = (f * SLOT + bins[base + f]!) * 3;
        hist[o]! += gr;
        hist[o + 1]! += hr;
        hist[o + 2]!++;
      }
    }
  };

  const subtract = (into: Float64Array, minus: Float64Array): void => {
    for (let j = 0; j < sel.length; j++) {
      const f = sel[j]!;
      const end = (f * SLOT + nBins[f]! + 1) * 3;
      for (let o = f * SLOT * 3; o < end; o++) {
        into[o]! -= minus[o]!;
      }
    }
  };

  const findSplit = (hist: Float64Array, G: number, H: number, C: number): Split | null => {
    const minS = p.minSamplesLeaf;
    const minH = p.minHessianLeaf;
    const parent = (G * G) / (H + lambda);
    let best: Split | null = null;
    let bestGain = p.minGain;
    for (let j = 0; j < sel.length; j++) {
      const f = sel[j]!;
      const o = f * SLOT * 3;
      const mg = hist[o]!;
      const mh = hist[o + 1]!;
      const mc = hist[o + 2]!;
      let lg = 0;
      let lh = 0;
      let lc = 0;
      const nb = nBins[f]!;
      for (let k = 1; k < nb; k++) {
        const q = o + k * 3;
        if (hist[q + 2]! === 0) {
          continue;
        }
        lg += hist[q]!;
        lh += hist[q + 1]!;
        lc += hist[q + 2]!;
        // missing values to the right
        let rc = C - lc;
        if (rc < minS) {
          break;
        }
        if (lc >= minS) {
          const rh = H - lh;
          if (lh >= minH && rh >= minH) {
            const rg = G - lg;
            const gain = (lg * lg) / (lh + lambda) + (rg * rg) / (rh + lambda) - parent;
            if (gain > bestGain) {
              bestGain = gain;
              // Without missing values in the node, send future missing values to the bigger side.
              best = { gain, feature: f, bin: k, missingLeft: mc === 0 && lc > rc, gl: lg, hl: lh, cl: lc };
            }
          }
        }
        if (mc > 0) {
          // missing values to the left
          const lc2 = lc + mc;
          rc = C - lc2;
          if (lc2 >= minS && rc >= minS) {
            const lh2 = lh + mh;
            const rh = H - lh2;
            if (lh2 >= minH && rh >= minH) {
              const lg2 = lg + mg;
              const rg = G - lg2;
              const gain = (lg2 * lg2) / (lh2 + lambda) + (rg * rg) / (rh + lambda) - parent;
              if (gain > bestGain) {
                bestGain = gain;
                best = { gain, feature: f, bin: k, missingLeft: true, gl: lg2, hl: lh2, cl: lc2 };
              }
            }
          }
        }
      }
    }
    return best;
  };

  const trees: BuiltTree[] = [];
  const maxDepth = p.maxDepth > 0 ? p.maxDepth : Infinity;
  const maxLeaves = Math.max(2, p.maxLeaves);
  const nSel = Math.max(1, Math.round(p.colsample * usable.length));

  for (let round = 0; round < p.nRounds; round++) {
    for (let i = 0; i < n; i++) {
      const pr = 1 / (1 + Math.exp(-F[i]!));
      gh[2 * i] = pr - (y[i]! > 0 ? 1 : 0);
      gh[2 * i + 1] = Math.max(pr * (1 - pr), 1e-16);
    }
    // Row sample.
    let m = 0;
    if (p.subsample < 1) {
      for (let i = 0; i < n; i++) {
        if (rng.next() < p.subsample) {
          idx[m++] = i;
        }
      }
      if (m === 0) {
        idx[m++] = rng.int(n);
      }
    } else {
      for (let i = 0; i < n; i++) {
        idx[m++] = i;
      }
    }
    // Column sample.
    if (nSel < usable.length) {
      const a = usable.slice();
      for (let i = 0; i < nSel; i++) {
        const j = i + rng.int(a.length - i);
        [a[i], a[j]] = [a[j]!, a[i]!];
      }
      sel = Int32Array.from(a.slice(0, nSel)).sort();
    } else {
      sel = Int32Array.from(usable);
    }

    const tree: BuiltTree = {
      feature: [],
      threshold: [],
      binThreshold: [],
      missingLeft: [],
      left: [],
      right: [],
      value: [],
    };
    const addNode = (G: number, H: number): number => {
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.binThreshold.push(0);
      tree.missingLeft.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push((-G / (H + lambda)) * lr);
      return tree.feature.length - 1;
    };

    let G0 = 0;
    let H0 = 0;
    for (let i = 0; i < m; i++) {
      G0 += gh[2 * idx[i]!]!;
      H0 += gh[2 * idx[i]! + 1]!;
    }
    const root: Leaf = { node: addNode(G0, H0), start: 0, end: m, depth: 0, g: G0, h: H0, hist: null, split: null };
    const candidates: Leaf[] = [];
    if (maxDepth > 0 && m >= 2 * p.minSamplesLeaf && sel.length > 0) {
      root.hist = takeHist();
      buildHist(root.hist, 0, m);
      root.split = findSplit(root.hist, G0, H0, m);
      if (root.split) {
        candidates.push(root);
      } else {
        pool.push(root.hist);
      }
    }
    let nLeaves = 1;
    while (nLeaves < maxLeaves && candidates.length > 0) {
      // Pick the next leaf to split.
      let bi = 0;
      for (let i = 1; i < candidates.length; i++) {
        const a = candidates[i]!;
        const b = candidates[bi]!;
        const better =
          p.growth === 'depthwise'
            ? a.depth < b.depth || (a.depth === b.depth && a.split!.gain > b.split!.gain)
            : a.split!.gain > b.split!.gain;
        if (better) {
          bi = i;
        }
      }
      const leaf = candidates.splice(bi, 1)[0]!;
      const s = leaf.split!;
      // Partition rows: left first, stable.
      let li = leaf.start;
      let ri = 0;
      for (let i = leaf.start; i < leaf.end; i++) {
        const r = idx[i]!;
        const b = bins[r * nf + s.feature]!;
        const goLeft = b === 0 ? s.missingLeft : b <= s.bin;
        if (goLeft) {
          idx[li++] = r;
        } else {
          tmp[ri++] = r;
        }
      }
      idx.set(tmp.subarray(0, ri), li);
      const mid = li;
      const nd = leaf.node;
      const gl = s.gl;
      const hl = s.hl;
      const gr = leaf.g - gl;
      const hr = leaf.h - hl;
      const L: Leaf = {
        node: addNode(gl, hl),
        start: leaf.start,
        end: mid,
        depth: leaf.depth + 1,
        g: gl,
        h: hl,
        hist: null,
        split: null,
      };
      const R: Leaf = {
        node: addNode(gr, hr),
        start: mid,
        end: leaf.end,
        depth: leaf.depth + 1,
        g: gr,
        h: hr,
        hist: null,
        split: null,
      };
      tree.feature[nd] = s.feature;
      tree.binThreshold[nd] = s.bin;
      tree.threshold[nd] = edges[s.feature]![s.bin - 1]!;
      tree.missingLeft[nd] = s.missingLeft ? 1 : 0;
      tree.left[nd] = L.node;
      tree.right[nd] = R.node;
      nLeaves++;

      const canSplit = (c: Leaf): boolean =>
        c.depth < maxDepth && c.end - c.start >= 2 * p.minSamplesLeaf && nLeaves < maxLeaves;
      const parentHist = leaf.hist!;
      if (canSplit(L) || canSplit(R)) {
        const small = L.end - L.start <= R.end - R.start ? L : R;
        const large = small === L ? R : L;
        small.hist = takeHist();
        buildHist(small.hist, small.start, small.end);
        subtract(parentHist, small.hist);
        large.hist = parentHist;
        for (const c of [L, R]) {
          c.split = canSplit(c) ? findSplit(c.hist!, c.g, c.h, c.end - c.start) : null;
          if (c.split) {
            candidates.push(c);
          } else {
            pool.push(c.hist!);
          }
        }
      } else {
        pool.push(parentHist);
      }
    }
    for (const c of candidates) {
      if (c.hist) {
        pool.push(c.hist);
      }
    }

    // Update the margins of all rows by walking the binned data.
    const tf = tree.feature;
    for (let i = 0; i < n; i++) {
      let node = 0;
      const base = i * nf;
      while (tf[node]! >= 0) {
        const b = bins[base + tf[node]!]!;
        const goLeft = b === 0 ? tree.missingLeft[node] === 1 : b <= tree.binThreshold[node]!;
        node = goLeft ? tree.left[node]! : tree.right[node]!;
      }
      F[i]! += tree.value[node]!;
    }
    trees.push(tree);
  }

  return new Gbdt({
    nFeatures: nf,
    baseScore,
    trees: trees.map((t) => ({
      feature: t.feature,
      threshold: t.threshold,
      missingLeft: t.missingLeft,
      left: t.left,
      right: t.right,
      value: t.value,
    })),
  });
}
