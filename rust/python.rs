//! The PyO3 layer: it only converts. The Python package (`python/liger/search.py`) validates and
//! canonicalises every argument (C-contiguous float32 embeddings, int8/16/32/64 votes, dense or as
//! CSR parts, shapes, finiteness) before calling here, so these functions borrow NumPy buffers
//! without copying, release the GIL for the work, and map a `CoreError` (the core's second line of
//! defence) to `ValueError`.
//!
//! Every binding that works on the rayon pool runs through `run_interruptible`: the work runs there
//! with the GIL released while the calling thread checks for signals every `SIGNAL_POLL`. Ctrl-C
//! cancels the work (`cancel.rs`), waits for the workers to stop, and raises `KeyboardInterrupt`.
//! While a progress hook is set (`set_progress`, by `liger/progress.py`), the same loop passes
//! the call's progress to it every `PROGRESS_EVERY`, and once more when the call has finished.

use std::cell::Cell;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use numpy::ndarray::Array2;
use numpy::{
    Element, IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyKeyboardInterrupt, PyMemoryError, PyValueError};
use pyo3::prelude::*;

use crate::cancel::Cancel;
use crate::error::{try_vec, CoreError, CoreResult};
use crate::extend::{Extension, VotesOut};
use crate::matrix::Matrix;
use crate::metric::Metric;
use crate::search::driver::Neighbours;
use crate::search::knn::KnnQuery;
use crate::search::nearest_support::SupportQuery;
use crate::sweep::{Engine, Kernel};
use crate::votes::{IntSlice, Votes};

type Pair<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray2<i64>>);
/// `(indptr, indices, scores)` of a CSR matrix; the index arrays are int32 or int64.
type Csr<'py> = (
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyArray1<f32>>,
);

fn to_py(err: CoreError) -> PyErr {
    match err {
        // Only `run_interruptible` cancels, and it raises the signal handler's error instead.
        CoreError::Cancelled => PyKeyboardInterrupt::new_err("cancelled"),
        err @ CoreError::OutOfMemory { .. } => PyMemoryError::new_err(err.to_string()),
        err => PyValueError::new_err(err.to_string()),
    }
}

/// How often a running call checks for signals. Ctrl-C is noticed within this, and answered once
/// every worker has reached its next cancellation check (one block of the sweep: milliseconds).
const SIGNAL_POLL: Duration = Duration::from_millis(20);

/// How often a running call passes its progress to the hook (when one is set).
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// The progress hook: `hook(done, total, finished)`, called in the main thread only.
static PROGRESS: Mutex<Option<Py<PyAny>>> = Mutex::new(None);

/// Sets (or, with None, clears) the progress hook of the calls made from Python's main thread:
/// `hook(done, total, finished)` with the call's work in query x column pairs, every 0.2 s while
/// it runs and once when it has finished (`finished=True`). An exception it raises cancels the
/// call like Ctrl-C (the workers stop before it propagates).
#[pyfunction]
fn set_progress(hook: Option<Py<PyAny>>) {
    *PROGRESS.lock().unwrap_or_else(PoisonError::into_inner) = hook;
}

fn progress_hook(py: Python<'_>) -> Option<Py<PyAny>> {
    let hook = PROGRESS.lock().unwrap_or_else(PoisonError::into_inner);
    hook.as_ref().map(|hook| hook.clone_ref(py))
}

/// Runs `work` on the rayon pool of `threads` threads with the GIL released, while this thread
/// checks for signals every `SIGNAL_POLL` (`check_signals` runs the Python handlers). When a
/// handler raises (`KeyboardInterrupt` for Ctrl-C), the work is cancelled and this returns that
/// error only after every worker has stopped: nothing keeps running, and the NumPy buffers `work`
/// borrows are not used after the call returns. Python runs signal handlers in its main thread
/// only, so a call from another thread just waits for the work, without taking the GIL meanwhile.
fn run_interruptible<R: Send>(
    py: Python<'_>,
    threads: usize,
    work: impl FnOnce(&Cancel) -> CoreResult<R> + Send,
) -> PyResult<R> {
    let watch_signals = is_main_thread(py)?;
    crate::threads::run_watched(threads, work, |call| {
        if !watch_signals {
            py.detach(|| call.wait_until_finished());
            return Ok(());
        }
        let hook = progress_hook(py);
        let report = |finished: bool| -> PyResult<()> {
            if let Some(hook) = &hook {
                let (done, total) = call.progress();
                hook.call1(py, (done, total, finished))?;
            }
            Ok(())
        };
        let mut reported = Instant::now();
        while !py.detach(|| call.wait(SIGNAL_POLL)) {
            let mut outcome = py.check_signals();
            if outcome.is_ok() && hook.is_some() && reported.elapsed() >= PROGRESS_EVERY {
                reported = Instant::now();
                outcome = report(false);
            }
            if let Err(raised) = outcome {
                call.cancel();
                py.detach(|| call.wait_until_finished());
                return Err(raised);
            }
        }
        report(true)
    })?
    .map_err(to_py)
}

/// Whether this is Python's main thread (`threading.main_thread()`), the one signal handlers run
/// in. Asked once per thread and process (a fork makes the forking thread the child's main one).
fn is_main_thread(py: Python<'_>) -> PyResult<bool> {
    thread_local!(static MAIN: Cell<Option<(u32, bool)>> = const { Cell::new(None) });
    let pid = std::process::id();
    if let Some((known_pid, main)) = MAIN.get() {
        if known_pid == pid {
            return Ok(main);
        }
    }
    let threading = py.import("threading")?;
    let main = threading
        .call_method0("main_thread")?
        .is(&threading.call_method0("current_thread")?);
    MAIN.set(Some((pid, main)));
    Ok(main)
}

/// A read-only 2-D array as a `Matrix`; fails (no copy) unless it is C-contiguous.
fn matrix<'a, T: Element>(
    name: &str,
    array: &'a PyReadonlyArray2<'_, T>,
) -> PyResult<Matrix<'a, T>> {
    let [rows, cols] = [array.shape()[0], array.shape()[1]];
    Matrix::new(name, contiguous(name, array)?, rows, cols).map_err(to_py)
}

/// The data of a C-contiguous 2-D array. (`as_slice` also accepts Fortran order, which would
/// silently transpose the data.)
fn contiguous<'a, T: Element>(name: &str, array: &'a PyReadonlyArray2<'_, T>) -> PyResult<&'a [T]> {
    if !array.is_c_contiguous() {
        return Err(PyValueError::new_err(format!(
            "{name}: expected a C-contiguous array"
        )));
    }
    array
        .as_slice()
        .map_err(|_| PyValueError::new_err(format!("{name}: expected a C-contiguous array")))
}

/// A 2-D integer array of one of the vote dtypes, borrowed as is.
#[derive(FromPyObject)]
enum IntArray2<'py> {
    I8(PyReadonlyArray2<'py, i8>),
    I16(PyReadonlyArray2<'py, i16>),
    I32(PyReadonlyArray2<'py, i32>),
    I64(PyReadonlyArray2<'py, i64>),
}

/// A 1-D integer array (CSR parts), borrowed as is.
#[derive(FromPyObject)]
enum IntArray1<'py> {
    I8(PyReadonlyArray1<'py, i8>),
    I16(PyReadonlyArray1<'py, i16>),
    I32(PyReadonlyArray1<'py, i32>),
    I64(PyReadonlyArray1<'py, i64>),
}

/// Votes from Python: a dense 2-D array, or CSR parts `(indptr, indices, data, rows, cols)`.
#[derive(FromPyObject)]
enum VotesArg<'py> {
    Dense(IntArray2<'py>),
    Csr((IntArray1<'py>, IntArray1<'py>, IntArray1<'py>, usize, usize)),
}

impl IntArray1<'_> {
    fn slice(&self, name: &str) -> PyResult<IntSlice<'_>> {
        let err = |_| PyValueError::new_err(format!("{name}: expected a contiguous array"));
        Ok(match self {
            IntArray1::I8(a) => IntSlice::I8(a.as_slice().map_err(err)?),
            IntArray1::I16(a) => IntSlice::I16(a.as_slice().map_err(err)?),
            IntArray1::I32(a) => IntSlice::I32(a.as_slice().map_err(err)?),
            IntArray1::I64(a) => IntSlice::I64(a.as_slice().map_err(err)?),
        })
    }
}

impl VotesArg<'_> {
    fn votes(&self, name: &str) -> PyResult<Votes<'_>> {
        match self {
            VotesArg::Dense(array) => {
                let (shape, data) = match array {
                    IntArray2::I8(a) => (a.shape(), IntSlice::I8(contiguous(name, a)?)),
                    IntArray2::I16(a) => (a.shape(), IntSlice::I16(contiguous(name, a)?)),
                    IntArray2::I32(a) => (a.shape(), IntSlice::I32(contiguous(name, a)?)),
                    IntArray2::I64(a) => (a.shape(), IntSlice::I64(contiguous(name, a)?)),
                };
                Votes::dense(name, data, shape[0], shape[1]).map_err(to_py)
            }
            VotesArg::Csr((indptr, indices, data, rows, cols)) => Votes::csr(
                name,
                (*rows, *cols),
                indptr.slice(name)?,
                indices.slice(name)?,
                data.slice(name)?,
            )
            .map_err(to_py),
        }
    }

    /// Bytes per vote value.
    fn width(&self) -> usize {
        match self {
            VotesArg::Dense(IntArray2::I8(_)) | VotesArg::Csr((_, _, IntArray1::I8(_), _, _)) => 1,
            VotesArg::Dense(IntArray2::I16(_)) | VotesArg::Csr((_, _, IntArray1::I16(_), _, _)) => {
                2
            }
            VotesArg::Dense(IntArray2::I32(_)) | VotesArg::Csr((_, _, IntArray1::I32(_), _, _)) => {
                4
            }
            _ => 8,
        }
    }
}

/// Two fresh zeroed `(rows, cols)` output arrays (scores and indices) of `search`, or a
/// `MemoryError` naming their size where they cannot be allocated.
fn outputs<'py>(py: Python<'py>, search: &str, rows: usize, cols: usize) -> PyResult<Pair<'py>> {
    let count = rows as u128 * cols as u128;
    let out_of_memory = || {
        to_py(CoreError::OutOfMemory {
            what: format!("{search}: the output of {rows} x {cols} scores and indices"),
            bytes: count * (std::mem::size_of::<f32>() + std::mem::size_of::<i64>()) as u128,
        })
    };
    let count = usize::try_from(count).map_err(|_| out_of_memory())?;
    let scores = try_vec("", count, 0.0f32).map_err(|_| out_of_memory())?;
    let indices = try_vec("", count, 0i64).map_err(|_| out_of_memory())?;
    // Owned by the NumPy arrays without a copy.
    let shaped = |len| move |err| PyValueError::new_err(format!("outputs of {len}: {err}"));
    Ok((
        Array2::from_shape_vec((rows, cols), scores)
            .map_err(shaped(count))?
            .into_pyarray(py),
        Array2::from_shape_vec((rows, cols), indices)
            .map_err(shaped(count))?
            .into_pyarray(py),
    ))
}

fn parse(metric: &str, kernel: &str) -> PyResult<(Metric, Kernel)> {
    Ok((
        Metric::parse(metric).map_err(to_py)?,
        Kernel::parse(kernel).map_err(to_py)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (queries, base, base_votes, metric, threads, kernel="auto"))]
fn nearest_support<'py>(
    py: Python<'py>,
    queries: PyReadonlyArray2<'py, f32>,
    base: PyReadonlyArray2<'py, f32>,
    base_votes: VotesArg<'py>,
    metric: &str,
    threads: usize,
    kernel: &str,
) -> PyResult<Pair<'py>> {
    let (metric, kernel) = parse(metric, kernel)?;
    let (queries, base, votes) = (
        matrix("queries", &queries)?,
        matrix("base", &base)?,
        base_votes.votes("L_base")?,
    );
    let (scores, indices) = outputs(py, "nearest_support", queries.rows(), votes.cols())?;
    // SAFETY: both outputs were just created here and are not shared with Python code yet.
    let (score_slice, index_slice) = unsafe { (scores.as_slice_mut()?, indices.as_slice_mut()?) };
    run_interruptible(py, threads, |cancel| {
        let out = Neighbours {
            scores: score_slice,
            indices: index_slice,
        };
        let query = SupportQuery { metric, kernel };
        crate::nearest_support(queries, base, &votes, query, threads, out, cancel)
    })?;
    Ok((scores, indices))
}

#[pyfunction]
#[pyo3(signature = (queries, base, k, metric, exclude_self, threads, kernel="auto"))]
#[allow(clippy::too_many_arguments)]
fn knn<'py>(
    py: Python<'py>,
    queries: PyReadonlyArray2<'py, f32>,
    base: PyReadonlyArray2<'py, f32>,
    k: usize,
    metric: &str,
    exclude_self: bool,
    threads: usize,
    kernel: &str,
) -> PyResult<Pair<'py>> {
    let (metric, kernel) = parse(metric, kernel)?;
    let (queries, base) = (matrix("queries", &queries)?, matrix("X", &base)?);
    let (scores, indices) = outputs(py, "knn", queries.rows(), k)?;
    // SAFETY: both outputs were just created here and are not shared with Python code yet.
    let (score_slice, index_slice) = unsafe { (scores.as_slice_mut()?, indices.as_slice_mut()?) };
    run_interruptible(py, threads, |cancel| {
        let out = Neighbours {
            scores: score_slice,
            indices: index_slice,
        };
        let query = KnnQuery {
            k,
            metric,
            exclude_self,
            kernel,
        };
        crate::knn(queries, base, query, threads, out, cancel)
    })?;
    Ok((scores, indices))
}

/// Extended votes, in the wider of the dtypes of `votes` and `base_votes`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn extend_votes<'py>(
    py: Python<'py>,
    votes: VotesArg<'py>,
    scores: PyReadonlyArray2<'py, f32>,
    indices: PyReadonlyArray2<'py, i64>,
    base_votes: VotesArg<'py>,
    thresholds: PyReadonlyArray1<'py, f32>,
    metric: &str,
    threads: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let metric = Metric::parse(metric).map_err(to_py)?;
    let width = votes.width().max(base_votes.width());
    let (votes, scores, indices, base_votes) = (
        votes.votes("L")?,
        matrix("scores", &scores)?,
        matrix("indices", &indices)?,
        base_votes.votes("L_base")?,
    );
    let thresholds = thresholds
        .as_slice()
        .map_err(|_| PyValueError::new_err("thresholds: expected a C-contiguous array"))?;
    let shape = [votes.rows(), votes.cols()];
    let job = Extension {
        votes: &votes,
        scores,
        indices,
        base_votes: &base_votes,
        thresholds,
        metric,
    };
    macro_rules! run {
        ($t:ty, $variant:ident) => {{
            let out = PyArray2::<$t>::zeros(py, shape, false);
            // SAFETY: `out` was just created here and is not shared with Python code yet.
            let slice = unsafe { out.as_slice_mut()? };
            run_interruptible(py, threads, |cancel| {
                crate::extend_votes(&job, threads, VotesOut::$variant(slice), cancel)
            })?;
            out.into_any()
        }};
    }
    Ok(match width {
        1 => run!(i8, I8),
        2 => run!(i16, I16),
        4 => run!(i32, I32),
        _ => run!(i64, I64),
    })
}

/// The screen a search with `kernel` runs at dimension `d` on this CPU: "f32", "int8-vnni" or
/// "int8-portable" (for benchmarks and bug reports; results never depend on it).
#[pyfunction]
fn screen_engine(kernel: &str, d: usize) -> PyResult<&'static str> {
    Ok(match Kernel::parse(kernel).map_err(to_py)?.engine(d) {
        Engine::F32 => "f32",
        Engine::Int8Vnni => "int8-vnni",
        Engine::Int8Portable => "int8-portable",
    })
}

/// Radius search as CSR arrays `(indptr, indices, scores)`; the index arrays are int32 when every
/// value fits (what SciPy would convert them to), else int64.
#[pyfunction]
#[pyo3(signature = (queries, base, radius, metric, exclude_self, max_neighbors, threads, kernel="auto"))]
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
    kernel: &str,
) -> PyResult<Csr<'py>> {
    use crate::search::radius::{radius_neighbors, to_csr, RadiusQuery};
    let query = RadiusQuery {
        radius,
        metric: Metric::parse(metric).map_err(to_py)?,
        exclude_self,
        max_neighbors,
        kernel: Kernel::parse(kernel).map_err(to_py)?,
    };
    let (queries, base) = (matrix("queries", &queries)?, matrix("X", &base)?);
    let n = base.rows();
    let (indptr, indices, scores) = run_interruptible(py, threads, |cancel| {
        let blocks = radius_neighbors(queries, base, query, threads, cancel)?;
        let nnz: usize = blocks.iter().map(|b| b.indices.len()).sum();
        let narrow = i32::try_from(nnz.max(n)).is_ok();
        Ok(if narrow {
            let (p, i, s) = to_csr::<i32>(blocks)?;
            (Indices::Narrow(p), Indices::Narrow(i), s)
        } else {
            let (p, i, s) = to_csr::<i64>(blocks)?;
            (Indices::Wide(p), Indices::Wide(i), s)
        })
    })?;
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
    let found = run_interruptible(py, threads, |cancel| {
        crate::validate::first_non_finite(data, threads, cancel)
    })?;
    Ok(found.map_or(-1, |i| i as i64))
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
    m.add_function(wrap_pyfunction!(screen_engine, m)?)?;
    m.add_function(wrap_pyfunction!(set_progress, m)?)?;
    m.add("ABSTAIN", crate::ABSTAIN)?;
    Ok(())
}
