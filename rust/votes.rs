//! Vote matrices as the core reads them: dense (row-major) or CSR, with int8/16/32/64 values
//! borrowed as they are (no widening copy). -1 means abstain; in CSR form a missing entry also
//! means abstain, and an explicit 0 is a vote for class 0.

use crate::error::{CoreError, CoreResult};
use crate::ABSTAIN;

/// A borrowed slice of one of the integer types votes (and CSR index arrays) come in.
#[derive(Debug, Clone, Copy)]
pub enum IntSlice<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
}

impl IntSlice<'_> {
    pub fn len(&self) -> usize {
        match self {
            IntSlice::I8(s) => s.len(),
            IntSlice::I16(s) => s.len(),
            IntSlice::I32(s) => s.len(),
            IntSlice::I64(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn get(&self, i: usize) -> i64 {
        match self {
            IntSlice::I8(s) => s[i] as i64,
            IntSlice::I16(s) => s[i] as i64,
            IntSlice::I32(s) => s[i] as i64,
            IntSlice::I64(s) => s[i],
        }
    }
}

impl<'a> From<&'a [i64]> for IntSlice<'a> {
    fn from(s: &'a [i64]) -> Self {
        IntSlice::I64(s)
    }
}

impl<'a> From<&'a [i8]> for IntSlice<'a> {
    fn from(s: &'a [i8]) -> Self {
        IntSlice::I8(s)
    }
}

/// An `rows x cols` vote matrix.
#[derive(Debug, Clone, Copy)]
pub enum Votes<'a> {
    /// Row-major, `rows * cols` values.
    Dense {
        rows: usize,
        cols: usize,
        data: IntSlice<'a>,
    },
    /// Compressed sparse rows: row `r`'s entries are `indptr[r]..indptr[r + 1]` of `indices`
    /// (columns, strictly increasing within a row) and `data` (votes).
    Csr {
        rows: usize,
        cols: usize,
        indptr: IntSlice<'a>,
        indices: IntSlice<'a>,
        data: IntSlice<'a>,
    },
}

impl<'a> Votes<'a> {
    /// A dense matrix; `name` is used in the error message.
    pub fn dense(
        name: &str,
        data: impl Into<IntSlice<'a>>,
        rows: usize,
        cols: usize,
    ) -> CoreResult<Self> {
        let data = data.into();
        match rows.checked_mul(cols) {
            Some(len) if len == data.len() => Ok(Votes::Dense { rows, cols, data }),
            _ => Err(CoreError::Shape(format!(
                "{name}: expected {rows} x {cols} = {} values, got {}",
                rows.saturating_mul(cols),
                data.len()
            ))),
        }
    }

    /// A CSR matrix, checked: `indptr` has `rows + 1` non-decreasing offsets within `indices`,
    /// column indices are in range and strictly increasing within each row (no duplicates), and
    /// every vote is -1 or a class >= 0.
    pub fn csr(
        name: &str,
        (rows, cols): (usize, usize),
        indptr: IntSlice<'a>,
        indices: IntSlice<'a>,
        data: IntSlice<'a>,
    ) -> CoreResult<Self> {
        // `checked_add`: a claimed shape of usize::MAX rows is an error, not an overflow.
        if Some(indptr.len()) != rows.checked_add(1) || indices.len() != data.len() {
            return Err(CoreError::Shape(format!(
                "{name}: a CSR matrix with {rows} rows needs {} row offsets and as many indices as \
                 values, got {}, {} and {}",
                rows.saturating_add(1),
                indptr.len(),
                indices.len(),
                data.len()
            )));
        }
        let nnz = data.len() as i64;
        if indptr.get(0) != 0 || indptr.get(rows) != nnz {
            return Err(CoreError::Value(format!(
                "{name}: CSR row offsets must run from 0 to {nnz}, got {} to {}",
                indptr.get(0),
                indptr.get(rows)
            )));
        }
        for r in 0..rows {
            let (start, end) = (indptr.get(r), indptr.get(r + 1));
            if end < start || end > nnz {
                return Err(CoreError::Value(format!(
                    "{name}: CSR row offsets must be non-decreasing, got {start} then {end} at row {r}"
                )));
            }
            let mut previous = -1i64;
            for e in start as usize..end as usize {
                let c = indices.get(e);
                if c <= previous || c >= cols as i64 {
                    return Err(CoreError::Value(format!(
                        "{name}: CSR column indices must be in [0, {cols}) and strictly increasing \
                         within a row (no duplicate entries), got {c} after {previous} in row {r}"
                    )));
                }
                previous = c;
            }
        }
        Ok(Votes::Csr {
            rows,
            cols,
            indptr,
            indices,
            data,
        })
    }

    pub fn rows(&self) -> usize {
        match self {
            Votes::Dense { rows, .. } | Votes::Csr { rows, .. } => *rows,
        }
    }

    pub fn cols(&self) -> usize {
        match self {
            Votes::Dense { cols, .. } | Votes::Csr { cols, .. } => *cols,
        }
    }

    /// The vote in row `r`, column `c` (-1 where a CSR matrix has no entry).
    #[inline]
    pub fn get(&self, r: usize, c: usize) -> i64 {
        match self {
            Votes::Dense { cols, data, .. } => data.get(r * cols + c),
            Votes::Csr {
                indptr,
                indices,
                data,
                ..
            } => {
                let (mut lo, mut hi) = (indptr.get(r) as usize, indptr.get(r + 1) as usize);
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    match indices.get(mid).cmp(&(c as i64)) {
                        std::cmp::Ordering::Less => lo = mid + 1,
                        std::cmp::Ordering::Greater => hi = mid,
                        std::cmp::Ordering::Equal => return data.get(mid),
                    }
                }
                ABSTAIN
            }
        }
    }

    /// Calls `f(column)` for every non-abstaining vote of row `r`, in increasing column order.
    /// Fails on a vote below -1 (`name` is used in the message).
    #[inline]
    pub fn for_each_vote(&self, name: &str, r: usize, mut f: impl FnMut(usize)) -> CoreResult<()> {
        let mut visit = |c: usize, vote: i64| {
            if vote < ABSTAIN {
                return Err(CoreError::Value(format!(
                    "{name}: votes must be -1 (abstain) or a class >= 0, got {vote} at [{r}, {c}]"
                )));
            }
            if vote != ABSTAIN {
                f(c);
            }
            Ok(())
        };
        match self {
            Votes::Dense { cols, data, .. } => {
                let row = r * cols..(r + 1) * cols;
                // One match per row, a typed loop inside: the scan runs at memory speed.
                macro_rules! scan {
                    ($s:expr) => {
                        for (c, &v) in $s[row].iter().enumerate() {
                            visit(c, v as i64)?;
                        }
                    };
                }
                match data {
                    IntSlice::I8(s) => scan!(s),
                    IntSlice::I16(s) => scan!(s),
                    IntSlice::I32(s) => scan!(s),
                    IntSlice::I64(s) => scan!(s),
                }
            }
            Votes::Csr {
                indptr,
                indices,
                data,
                ..
            } => {
                for e in indptr.get(r) as usize..indptr.get(r + 1) as usize {
                    visit(indices.get(e) as usize, data.get(e))?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_and_dense_agree() {
        // [[-1, 0, 2], [1, -1, -1]] with an explicit -1 and an explicit 0 in CSR form.
        let dense = [-1i8, 0, 2, 1, -1, -1];
        let d = Votes::dense("L", &dense[..], 2, 3).unwrap();
        let indptr = [0i32, 3, 4];
        let indices = [0i32, 1, 2, 0];
        let data = [-1i64, 0, 2, 1];
        let s = Votes::csr(
            "L",
            (2, 3),
            IntSlice::I32(&indptr),
            IntSlice::I32(&indices),
            IntSlice::I64(&data),
        )
        .unwrap();
        for r in 0..2 {
            for c in 0..3 {
                assert_eq!(d.get(r, c), s.get(r, c), "[{r}, {c}]");
            }
            let (mut a, mut b) = (vec![], vec![]);
            d.for_each_vote("L", r, |c| a.push(c)).unwrap();
            s.for_each_vote("L", r, |c| b.push(c)).unwrap();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn bad_csr_is_an_error() {
        let ptr = [0i64, 2];
        let data = [0i64, 0];
        let dup = [1i64, 1];
        let err = Votes::csr(
            "L_base",
            (1, 3),
            IntSlice::I64(&ptr),
            IntSlice::I64(&dup),
            IntSlice::I64(&data),
        )
        .unwrap_err();
        assert!(err.to_string().contains("duplicate"), "{err}");
        let far = [0i64, 3];
        assert!(Votes::csr(
            "L_base",
            (1, 3),
            IntSlice::I64(&ptr),
            IntSlice::I64(&far),
            IntSlice::I64(&data)
        )
        .is_err());
        let short = [0i64, 1];
        assert!(Votes::csr(
            "L_base",
            (1, 3),
            IntSlice::I64(&short),
            IntSlice::I64(&dup),
            IntSlice::I64(&data)
        )
        .is_err());
    }

    /// Found by the fuzz target: a claimed row count of usize::MAX overflowed `rows + 1`.
    #[test]
    fn huge_claimed_shapes_are_errors() {
        let (ptr, indices, data) = ([0i64], [0i64; 0], [0i64; 0]);
        let err = Votes::csr(
            "L_base",
            (usize::MAX, 3),
            IntSlice::I64(&ptr),
            IntSlice::I64(&indices),
            IntSlice::I64(&data),
        )
        .unwrap_err();
        assert!(err.to_string().contains("L_base"), "{err}");
        assert!(Votes::dense("L", IntSlice::I64(&data), usize::MAX, 2).is_err());
    }
}
