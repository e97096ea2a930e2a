//! Decoding fuzz bytes into inputs of the core: small shapes, float32 data rich in the values that
//! break numeric code (exact ties, duplicate rows, zero rows, subnormals, norms that overflow,
//! and sometimes NaN / inf), vote matrices in every integer width and both layouts (dense, CSR,
//! valid or deliberately broken), and parameters.

use liger_core::{CoreResult, IntSlice, Kernel, Metric, Votes};

/// The fuzz input's bytes, then (once they run out) a generator seeded by all of them: a short
/// input still describes a whole case, and every byte libFuzzer mutates steers one decision.
pub struct Source<'a> {
    bytes: &'a [u8],
    at: usize,
    state: u64,
}

impl<'a> Source<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let mut state = 0xCBF2_9CE4_8422_2325u64;
        for &b in bytes {
            state = (state ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
        Source {
            bytes,
            at: 0,
            state: state | 1,
        }
    }

    pub fn byte(&mut self) -> u8 {
        if let Some(&b) = self.bytes.get(self.at) {
            self.at += 1;
            return b;
        }
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        (self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// A number in `0..n` (`n >= 1`).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 256 {
            usize::from(self.byte()) % n
        } else {
            self.u32() as usize % n
        }
    }

    /// True with probability `per256 / 256`.
    pub fn chance(&mut self, per256: u32) -> bool {
        u32::from(self.byte()) < per256
    }

    pub fn pick<T: Copy>(&mut self, options: &[T]) -> T {
        options[self.below(options.len())]
    }

    /// A size in `0..=small`, or one time in sixteen in `0..=large` (tile and block boundaries).
    pub fn size(&mut self, small: usize, large: usize) -> usize {
        if self.chance(16) {
            self.below(large + 1)
        } else {
            self.below(small + 1)
        }
    }

    pub fn metric(&mut self) -> Metric {
        self.pick(&[Metric::Cosine, Metric::InnerProduct, Metric::Euclidean])
    }

    /// 1 to 3 threads (results must not depend on it).
    pub fn threads(&mut self) -> usize {
        1 + self.below(3)
    }
}

/// Every screen: the results must be bit-identical for all of them.
pub const KERNELS: [Kernel; 4] = [
    Kernel::Exact,
    Kernel::ScreenedPortable,
    Kernel::Screened,
    Kernel::Auto,
];

/// Finite values that break naive numeric code: signed zeros, subnormals, values whose squares
/// underflow to zero or overflow to infinity, the largest floats.
const SPECIAL: [f32; 16] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    1e-20,
    1e-40,
    -1e-40,
    f32::MIN_POSITIVE,
    1.9e19,
    1e30,
    -1e30,
    3e38,
    f32::MAX,
    -f32::MAX,
    65504.0,
];
const NON_FINITE: [f32; 3] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];

/// A `rows x cols` row-major float32 matrix. Without `non_finite` every value is finite (the
/// Python layer guarantees it), though norms and scores may still overflow.
pub fn embeddings(src: &mut Source<'_>, rows: usize, cols: usize, non_finite: bool) -> Vec<f32> {
    let style = src.below(4);
    let scale = if src.chance(200) {
        1.0
    } else {
        src.pick(&[1e-20f32, 1e-19, 1e-3, 1e18, 1.9e19, 1e30, 1e38])
    };
    let special = if src.chance(128) {
        0
    } else {
        u32::from(src.byte()) / 4
    };
    let duplicate = if src.chance(128) {
        0
    } else {
        u32::from(src.byte()) / 2
    };
    let mut data: Vec<f32> = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        if r > 0 && src.chance(duplicate) {
            // An exact (or exactly scaled / negated) copy of an earlier row: ties.
            let from = src.below(r);
            let factor = src.pick(&[1.0f32, 1.0, -1.0, 2.0, 0.5]);
            for c in 0..cols {
                let value = data[from * cols + c] * factor;
                data.push(value);
            }
            continue;
        }
        if src.chance(special / 2) {
            data.extend(std::iter::repeat_n(0.0, cols));
            continue;
        }
        for _ in 0..cols {
            let value = if src.chance(special) {
                if non_finite && src.chance(64) {
                    src.pick(&NON_FINITE)
                } else {
                    src.pick(&SPECIAL)
                }
            } else {
                match style {
                    // A coarse integer grid: many exact ties.
                    0 => (src.below(5) as f32 - 2.0) * scale,
                    1 => f32::from(src.byte() as i8) / 16.0 * scale,
                    2 => f32::from_bits(src.u32()),
                    _ => (f32::from(src.byte()) + f32::from(src.byte()) - 255.0) / 64.0 * scale,
                }
            };
            data.push(if non_finite || value.is_finite() {
                value
            } else if value.is_nan() {
                0.0
            } else {
                f32::MAX.copysign(value)
            });
        }
    }
    data
}

/// An integer type votes and CSR index arrays come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    I8,
    I16,
    I32,
    I64,
}

impl Width {
    pub fn min(self) -> i64 {
        match self {
            Width::I8 => i8::MIN.into(),
            Width::I16 => i16::MIN.into(),
            Width::I32 => i32::MIN.into(),
            Width::I64 => i64::MIN,
        }
    }

    pub fn max(self) -> i64 {
        match self {
            Width::I8 => i8::MAX.into(),
            Width::I16 => i16::MAX.into(),
            Width::I32 => i32::MAX.into(),
            Width::I64 => i64::MAX,
        }
    }

    pub fn holds(self, value: i64) -> bool {
        (self.min()..=self.max()).contains(&value)
    }

    /// The narrowest width holding every value of `values`, or a wider one.
    fn at_least(src: &mut Source<'_>, values: &[i64]) -> Width {
        let fitting: Vec<Width> = [Width::I8, Width::I16, Width::I32, Width::I64]
            .into_iter()
            .filter(|w| values.iter().all(|&v| w.holds(v)))
            .collect();
        src.pick(&fitting)
    }
}

/// Integers stored in one width (the core borrows them as they are).
#[derive(Debug, Clone)]
pub enum Buffer {
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

impl Buffer {
    /// `values` in `width`; every value must fit.
    pub fn new(width: Width, values: &[i64]) -> Buffer {
        debug_assert!(values.iter().all(|&v| width.holds(v)));
        match width {
            Width::I8 => Buffer::I8(values.iter().map(|&v| v as i8).collect()),
            Width::I16 => Buffer::I16(values.iter().map(|&v| v as i16).collect()),
            Width::I32 => Buffer::I32(values.iter().map(|&v| v as i32).collect()),
            Width::I64 => Buffer::I64(values.to_vec()),
        }
    }

    pub fn slice(&self) -> IntSlice<'_> {
        match self {
            Buffer::I8(v) => IntSlice::I8(v),
            Buffer::I16(v) => IntSlice::I16(v),
            Buffer::I32(v) => IntSlice::I32(v),
            Buffer::I64(v) => IntSlice::I64(v),
        }
    }
}

/// A vote matrix as the core gets it, with what it means.
#[derive(Debug, Clone)]
pub struct VoteCase {
    pub rows: usize,
    pub cols: usize,
    /// Row-major, what the matrix means: -1 = abstain (a missing CSR entry too).
    pub logical: Vec<i64>,
    /// The shape passed to the constructor (differs from `(rows, cols)` when `broken`).
    claimed: (usize, usize),
    layout: Layout,
    /// The structure was broken on purpose: building it must fail (never panic).
    pub broken: bool,
}

#[derive(Debug, Clone)]
enum Layout {
    Dense(Buffer),
    Csr {
        indptr: Buffer,
        indices: Buffer,
        data: Buffer,
    },
}

impl VoteCase {
    /// A `rows x cols` vote matrix of `classes` classes. Some entries are invalid votes (< -1)
    /// when `invalid_votes`; wide values (up to the width's maximum) when `wide`.
    pub fn decode(
        src: &mut Source<'_>,
        rows: usize,
        cols: usize,
        invalid_votes: bool,
        wide: bool,
    ) -> VoteCase {
        let classes = 1 + src.below(4) as i64;
        let coverage: Vec<u32> = (0..cols)
            .map(|_| src.pick(&[0u32, 8, 40, 128, 220, 256]))
            .collect();
        let mut logical = Vec::with_capacity(rows * cols);
        for _ in 0..rows {
            for &p in &coverage {
                logical.push(if src.chance(p) {
                    if wide && src.chance(64) {
                        src.pick(&[127i64, 128, 255, 32767, 32768, i32::MAX as i64, 1 << 31])
                    } else {
                        src.below(classes as usize) as i64
                    }
                } else {
                    -1
                });
            }
        }
        if invalid_votes && !logical.is_empty() {
            let at = src.below(logical.len());
            logical[at] = src.pick(&[-2i64, -3, -128, -32768, i64::MIN]);
        }
        let width = Width::at_least(src, &logical);
        let mut case = VoteCase {
            rows,
            cols,
            logical,
            claimed: (rows, cols),
            layout: Layout::Dense(Buffer::I8(Vec::new())),
            broken: false,
        };
        if src.chance(96) {
            case.layout = case.csr(src, width);
        } else {
            case.layout = Layout::Dense(Buffer::new(width, &case.logical));
            if src.chance(6) {
                case.broken = true;
                // A shape whose size differs from the data's (or overflows).
                case.claimed = match src.below(3) {
                    0 if cols > 0 => (rows + 1, cols),
                    1 if rows > 0 => (rows, cols + 1),
                    _ => (usize::MAX, cols.max(2)),
                };
            }
        }
        case
    }

    /// CSR parts of the matrix (sorted column indices; some -1 votes stored explicitly), broken
    /// on purpose one time in twenty.
    fn csr(&mut self, src: &mut Source<'_>, width: Width) -> Layout {
        let explicit_abstain = if src.chance(128) { 0 } else { 64 };
        let (mut indptr, mut indices, mut data) = (vec![0i64], Vec::new(), Vec::new());
        for r in 0..self.rows {
            for c in 0..self.cols {
                let v = self.logical[r * self.cols + c];
                if v != -1 || src.chance(explicit_abstain) {
                    indices.push(c as i64);
                    data.push(v);
                }
            }
            indptr.push(indices.len() as i64);
        }
        if src.chance(12) {
            self.broken = true;
            self.break_csr(src, &mut indptr, &mut indices, &mut data);
        }
        let index_width = Width::at_least(src, &[indptr.clone(), indices.clone()].concat());
        Layout::Csr {
            indptr: Buffer::new(index_width, &indptr),
            indices: Buffer::new(index_width, &indices),
            data: Buffer::new(width, &data),
        }
    }

    /// One structural defect that a CSR matrix must be rejected for.
    fn break_csr(
        &mut self,
        src: &mut Source<'_>,
        indptr: &mut Vec<i64>,
        indices: &mut [i64],
        data: &mut Vec<i64>,
    ) {
        let nnz = indices.len();
        let rows = self.rows;
        match src.below(8) {
            0 => indptr[0] = src.pick(&[1i64, -1, i64::MAX]),
            1 if rows > 0 => indptr[rows] = nnz as i64 + 1,
            2 if rows >= 2 => {
                let r = 1 + src.below(rows - 1);
                indptr[r] = nnz as i64 + 1;
            }
            3 if nnz > 0 => {
                let e = src.below(nnz);
                indices[e] = src.pick(&[self.cols as i64, -1, i64::MAX, i64::MIN]);
            }
            4 => {
                let row = (0..rows).find(|&r| indptr[r + 1] - indptr[r] >= 2);
                match row {
                    Some(r) => {
                        let e = indptr[r] as usize;
                        indices[e + 1] = indices[e];
                    }
                    None => indptr.push(nnz as i64),
                }
            }
            5 if nnz > 0 => {
                data.pop();
            }
            6 => self.claimed = (usize::MAX, self.cols),
            _ => {
                if src.chance(128) {
                    indptr.pop();
                } else {
                    indptr.push(nnz as i64);
                }
            }
        }
    }

    /// The core's view of the matrix (or its error).
    pub fn build(&self, name: &str) -> CoreResult<Votes<'_>> {
        let (rows, cols) = self.claimed;
        match &self.layout {
            Layout::Dense(data) => Votes::dense(name, data.slice(), rows, cols),
            Layout::Csr {
                indptr,
                indices,
                data,
            } => Votes::csr(
                name,
                (rows, cols),
                indptr.slice(),
                indices.slice(),
                data.slice(),
            ),
        }
    }

    /// The vote at `(r, c)`, as the matrix means it.
    pub fn get(&self, r: usize, c: usize) -> i64 {
        self.logical[r * self.cols + c]
    }

    pub fn has_invalid_vote(&self) -> bool {
        self.logical.iter().any(|&v| v < -1)
    }

    /// Whether the matrix is dense (CSR otherwise), for messages.
    pub fn is_dense(&self) -> bool {
        matches!(self.layout, Layout::Dense(_))
    }
}
