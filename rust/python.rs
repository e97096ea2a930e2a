//! The PyO3 layer: it only converts. The Python package (`python/liger/search.py`) validates and
//! canonicalises every argument (C-contiguous float32 / int64, shapes, finiteness) before calling
//! here, so these functions borrow NumPy buffers without copying, release the GIL for the work, and
//! map a `CoreError` (the core's second line of defence) to `ValueError`.

use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::error::CoreError;
use crate::matrix::Matrix;
use crate::metric::Metric;

type Pair<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray2<i64>>);
/// `(indptr, indices, scores)` of a CSR matrix; the index arrays are int32 or int64.
type Csr<'py> = (
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyArray1<f32>>,
);

fn to_py(err: CoreError) -> PyErr {
    PyValueError::new_err(err.to_string())
}

/// A read-only 2-D array as a `Matrix`; fails (no copy) unless it is C-contiguous.
fn matrix<'a, T: numpy::Element>(
    name: &str,
    array: &'a PyReadonlyArray2<'_, T>,
) -> PyResult<Matrix<'a, T>> {
    let [rows, cols] = [array.shape()[0], array.shape()[1]];
    // `as_slice` also accepts Fortran order, which would silently transpose the data.
    if !array.is_c_contiguous() {
        return Err(PyValueError::new_err(format!(
            "{name}: expected a C-contiguous array"
        )));
    }
    let data = array
        .as_slice()
        .map_err(|_| PyValueError::new_err(format!("{name}: expected a C-contiguous array")))?;
    Matrix::new(name, data, rows, cols).map_err(to_py)
}

/// Two fresh `(rows, cols)` output arrays.
fn outputs<'py>(py: Python<'py>, rows: usize, cols: usize) -> Pair<'py> {
    (
        PyArray2::<f32>::zeros(py, [rows, cols], false),
        PyArray2::<i64>::zeros(py, [rows, cols], false),
    )
}

#[pyfunction]
fn nearest_support<'py>(
    py: Python<'py>,
    queries: PyReadonlyArray2<'py, f32>,
    base: PyReadonlyArray2<'py, f32>,
    base_votes: PyReadonlyArray2<'py, i64>,
    metric: &str,
    threads: usize,
) -> PyResult<Pair<'py>> {
    let metric = Metric::parse(metric).map_err(to_py)?;
    let (queries, base, votes) = (
        matrix("queries", &queries)?,
        matrix("base", &base)?,
        matrix("L_base", &base_votes)?,
    );
    let (scores, indices) = outputs(py, queries.rows(), votes.cols());
    // SAFETY: both outputs were just created here and are not shared with Python code yet.
    let (score_slice, index_slice) = unsafe { (scores.as_slice_mut()?, indices.as_slice_mut()?) };
    py.detach(|| {
        crate::nearest_support(
            queries,
            base,
            votes,
            metric,
            threads,
            score_slice,
            index_slice,
        )
    })
    .map_err(to_py)?;
    Ok((scores, indices))
}

#[pyfunction]
fn knn<'py>(
    py: Python<'py>,
    queries: PyReadonlyArray2<'py, f32>,
    base: PyReadonlyArray2<'py, f32>,
    k: usize,
    metric: &str,
    exclude_self: bool,
    threads: usize,
) -> PyResult<Pair<'py>> {
    let metric = Metric::parse(metric).map_err(to_py)?;
    let (queries, base) = (matrix("queries", &queries)?, matrix("X", &base)?);
    let (scores, indices) = outputs(py, queries.rows(), k);
    // SAFETY: both outputs were just created here and are not shared with Python code yet.
    let (score_slice, index_slice) = unsafe { (scores.as_slice_mut()?, indices.as_slice_mut()?) };
    py.detach(|| {
        crate::knn(
            queries,
            base,
            k,
            metric,
            exclude_self,
            threads,
            score_slice,
            index_slice,
        )
    })
    .map_err(to_py)?;
    Ok((scores, indices))
}

#[pyfunction]
fn extend_votes<'py>(
    py: Python<'py>,
    votes: PyReadonlyArray2<'py, i64>,
    scores: PyReadonlyArray2<'py, f32>,
    indices: PyReadonlyArray2<'py, i64>,
    base_votes: PyReadonlyArray2<'py, i64>,
    thresholds: PyReadonlyArray1<'py, f32>,
    metric: &str,
    threads: usize,
) -> PyResult<Bound<'py, PyArray2<i64>>> {
    let metric = Metric::parse(metric).map_err(to_py)?;
    let (votes, scores, indices, base_votes) = (
        matrix("L", &votes)?,
        matrix("scores", &scores)?,
        matrix("indices", &indices)?,
        matrix("L_base", &base_votes)?,
    );
    let thresholds = thresholds
        .as_slice()
        .map_err(|_| PyValueError::new_err("thresholds: expected a C-contiguous array"))?;
    let out = PyArray2::<i64>::zeros(py, [votes.rows(), votes.cols()], false);
    // SAFETY: `out` was just created here and is not shared with Python code yet.
    let out_slice = unsafe { out.as_slice_mut()? };
    py.detach(|| {
        crate::extend_votes(
            votes, scores, indices, base_votes, thresholds, metric, threads, out_slice,
        )
    })
    .map_err(to_py)?;
    Ok(out)
}

/// Radius search as CSR arrays `(indptr, indices, scores)`; the index arrays are int32 when every
/// value fits (what SciPy would convert them to), else int64.
#[pyfunction]
#[pyo3(signature = (queries, base, radius, metric, exclude_self, max_neighbors, threads))]
#[allow(clippy::too_many_arguments)]
fn radius_neighbors<'py>(
    py: Python<'py>,
    queries: PyReadonlyArray2<'py, f32>,
    base: PyReadonlyArray2<'py, f32>,
    radius: f32,
    metric: &str,
    exclude_self: bool,
    max_neighbors: Option<usize>,
    threads: usize,
) -> PyResult<Csr<'py>> {
    use crate::radius::{radius_neighbors, to_csr, RadiusQuery};
    let query = RadiusQuery {
        radius,
        metric: Metric::parse(metric).map_err(to_py)?,
        exclude_self,
        max_neighbors,
    };
    let (queries, base) = (matrix("queries", &queries)?, matrix("X", &base)?);
    let n = base.rows();
    let (indptr, indices, scores) = py
        .detach(|| {
            let blocks = radius_neighbors(queries, base, query, threads)?;
            let nnz: usize = blocks.iter().map(|b| b.indices.len()).sum();
            let narrow = i32::try_from(nnz.max(n)).is_ok();
            let too_many = || CoreError::Value(format!("radius_neighbors: {nnz} pairs overflow"));
            Ok(if narrow {
                let (p, i, s) = to_csr::<i32>(blocks).ok_or_else(too_many)?;
                (Indices::Narrow(p), Indices::Narrow(i), s)
            } else {
                let (p, i, s) = to_csr::<i64>(blocks).ok_or_else(too_many)?;
                (Indices::Wide(p), Indices::Wide(i), s)
            })
        })
        .map_err(to_py)?;
    Ok((
        indptr.into_numpy(py),
        indices.into_numpy(py),
        PyArray1::from_vec(py, scores),
    ))
}

/// An index array of either width, handed to NumPy without a copy.
enum Indices {
    Narrow(Vec<i32>),
    Wide(Vec<i64>),
}

impl Indices {
    fn into_numpy(self, py: Python<'_>) -> Bound<'_, PyAny> {
        match self {
            Indices::Narrow(v) => PyArray1::from_vec(py, v).into_any(),
            Indices::Wide(v) => PyArray1::from_vec(py, v).into_any(),
        }
    }
}

/// Flat index of the first NaN/inf value of a C-contiguous float32 array, or -1.
#[pyfunction]
fn first_non_finite(
    py: Python<'_>,
    array: PyReadonlyArray2<'_, f32>,
    threads: usize,
) -> PyResult<i64> {
    let data = matrix("array", &array)?.data();
    Ok(py
        .detach(|| crate::validate::first_non_finite(data, threads))
        .map_or(-1, |i| i as i64))
}

/// The number of threads `n_jobs` resolves to (joblib convention).
#[pyfunction]
#[pyo3(signature = (n_jobs=None))]
fn resolve_threads(n_jobs: Option<i64>) -> usize {
    crate::threads::resolve_threads(n_jobs)
}

/// Instruction sets the kernels use on this CPU (for benchmarks and bug reports).
#[pyfunction]
fn simd_level() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return "avx512f";
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return "avx2";
        }
    }
    "portable"
}

/// Sets up rust-numpy's lazily initialised state (the NumPy C-API table, the dtypes, the shared
/// borrow-checking capsule) while the module is imported. Done lazily on a first call instead, a
/// `fork()` by another thread in the middle of it would leave the child waiting forever on a
/// once-lock that no thread of the child will release.
fn initialise_numpy_api(py: Python<'_>) -> PyResult<()> {
    let floats = PyArray2::<f32>::zeros(py, [1, 1], false);
    let ints = PyArray2::<i64>::zeros(py, [1, 1], false);
    let _borrowed = (floats.try_readonly()?, ints.try_readonly()?);
    Ok(())
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    initialise_numpy_api(m.py())?;
    m.add_function(wrap_pyfunction!(nearest_support, m)?)?;
    m.add_function(wrap_pyfunction!(knn, m)?)?;
    m.add_function(wrap_pyfunction!(radius_neighbors, m)?)?;
    m.add_function(wrap_pyfunction!(extend_votes, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_threads, m)?)?;
    m.add_function(wrap_pyfunction!(first_non_finite, m)?)?;
    m.add_function(wrap_pyfunction!(simd_level, m)?)?;
    m.add("ABSTAIN", crate::ABSTAIN)?;
    Ok(())
}
