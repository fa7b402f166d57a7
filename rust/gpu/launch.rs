//! Buffers, uploads, dispatches and readback, with wgpu's errors mapped onto [`Error`].
//!
//! Kernels are recorded into one pending command encoder and submitted together ([`Gpu::flush`]):
//! when [`MAX_PENDING`] are waiting, before results are read back, before a buffer that may be in
//! use is overwritten ([`Gpu::write`]), and when the caller waits. A submission costs the host tens
//! of microseconds, as much as a small kernel's whole recording; new buffers are filled when they
//! are created (mapped at creation), so parameters and uploads need no flush.
//!
//! A launcher for a new kernel needs only: its uniform parameters (a `#[repr(C)]` Pod struct), the
//! storage buffers it reads ([`Gpu::upload`]) and writes ([`Gpu::output`]), one [`Gpu::dispatch`]
//! with those buffers bound in order at bindings 0, 1, 2, ... of group 0, and [`Gpu::read_into`].

use crate::error::{Error, Result};
use crate::gpu::context::{Gpu, Pipeline};
use bytemuck::Pod;
use std::time::Instant;
use wgpu::BufferUsages;

/// Seconds spent in each phase of a launch, measured on the host with the device drained between
/// phases (only when asked for: draining costs the overlap of transfers and compute).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Host to device: staging and copying the inputs.
    pub upload: f64,
    /// The kernels, from submission until the device is idle.
    pub compute: f64,
    /// Device to host: copying back and mapping the results.
    pub download: f64,
}

/// A clock for [`Timings`]: `None` when the caller does not profile.
pub(crate) struct Profiler<'a> {
    timings: Option<&'a mut Timings>,
    since: Instant,
}

impl<'a> Profiler<'a> {
    pub(crate) fn new(timings: Option<&'a mut Timings>) -> Self {
        Profiler {
            timings,
            since: Instant::now(),
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.timings.is_some()
    }

    /// Waits for the device (when profiling) and adds the time since the last mark to `phase`.
    pub(crate) fn mark(&mut self, gpu: &Gpu, phase: fn(&mut Timings) -> &mut f64) -> Result<()> {
        if let Some(t) = self.timings.as_deref_mut() {
            gpu.wait()?;
            let now = Instant::now();
            *phase(t) += (now - self.since).as_secs_f64();
            self.since = now;
        }
        Ok(())
    }
}

/// The usage of every storage buffer: bound by kernels, copied back, copied into (a kernel's
/// output may become a GPU-resident tensor, see [`crate::gpu::resident`]).
const RESIDENT: BufferUsages = BufferUsages::STORAGE
    .union(BufferUsages::COPY_SRC)
    .union(BufferUsages::COPY_DST);

/// Rounds a byte count up to wgpu's copy alignment (4), with at least 4 bytes (no empty buffers).
fn padded(bytes: usize) -> u64 {
    (bytes.max(4) as u64).div_ceil(wgpu::COPY_BUFFER_ALIGNMENT) * wgpu::COPY_BUFFER_ALIGNMENT
}

/// Commands recorded since the last submission.
#[derive(Default)]
pub(crate) struct Pending {
    encoder: Option<wgpu::CommandEncoder>,
    commands: usize,
}

/// Recorded commands are submitted once this many wait (sooner when results are read or a buffer
/// in use is overwritten): small kernels share a submission, and what the waiting ones hold (bind
/// groups, parameters, buffers dropped by the host) stays bounded.
pub const MAX_PENDING: usize = 64;

impl Gpu {
    /// The largest buffer binding, in bytes, that launches may use: the adapter's limits, lowered by
    /// [`crate::gpu::set_binding_cap`] for tests.
    pub fn max_binding_bytes(&self) -> u64 {
        let own = self
            .limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
            // element indices in the shaders are u32
            .min(1 << 31);
        match crate::gpu::binding_cap() {
            Some(cap) => own.min(cap),
            None => own,
        }
    }

    /// Runs `f` inside validation and out-of-memory error scopes; an error from either becomes
    /// [`Error::Gpu`] with `what` in its message.
    pub fn checked<R>(&self, what: &str, f: impl FnOnce() -> R) -> Result<R> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let r = f();
        let v = pollster::block_on(validation.pop());
        let o = pollster::block_on(oom.pop());
        match (v, o) {
            (None, None) => Ok(r),
            (Some(e), _) => Err(Error::Gpu(format!("GPU error while {what}: {e}"))),
            (None, Some(e)) => Err(Error::Gpu(format!(
                "the GPU ran out of memory while {what}: {e}"
            ))),
        }
    }

    /// Records commands into the pending submission (submitted by [`Gpu::flush`]); errors in
    /// them surface at that flush.
    pub fn record(&self, f: impl FnOnce(&mut wgpu::CommandEncoder)) -> Result<()> {
        let full = {
            let mut pending = self.pending()?;
            let encoder = pending.encoder.get_or_insert_with(|| {
                self.device
                    .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
            });
            f(encoder);
            pending.commands += 1;
            pending.commands >= MAX_PENDING
        };
        if full {
            self.flush()?;
        }
        Ok(())
    }

    /// Submits the recorded commands, if any. The lock is held until they are submitted: another
    /// thread's later commands (a readback of these results) must not be submitted before them.
    pub fn flush(&self) -> Result<()> {
        let mut pending = self.pending()?;
        pending.commands = 0;
        match pending.encoder.take() {
            Some(encoder) => self.checked("running GPU commands", || {
                self.queue.submit([encoder.finish()]);
            }),
            None => Ok(()),
        }
    }

    fn pending(&self) -> Result<std::sync::MutexGuard<'_, Pending>> {
        self.pending
            .lock()
            .map_err(|_| Error::Gpu("a GPU command recording panicked".into()))
    }

    /// Submits what is recorded and blocks until the device has finished all submitted work.
    pub fn wait(&self) -> Result<()> {
        self.flush()?;
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| Error::Gpu(format!("waiting for the GPU failed: {e}")))
    }

    /// A buffer of `bytes` (rounded up) with `usage`.
    pub fn buffer(&self, label: &str, bytes: usize, usage: BufferUsages) -> Result<wgpu::Buffer> {
        self.checked("allocating a buffer", || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: padded(bytes),
                usage,
                mapped_at_creation: false,
            })
        })
    }

    /// A new buffer of `bytes` (rounded up) with `usage`, its start filled with `data` as it is
    /// created (mapped at creation: no queue write, so nothing recorded needs flushing first).
    fn buffer_holding<T: Pod>(
        &self,
        label: &str,
        data: &[T],
        bytes: usize,
        usage: BufferUsages,
    ) -> Result<wgpu::Buffer> {
        let data: &[u8] = bytemuck::cast_slice(data);
        let size = padded(bytes.max(data.len()));
        self.checked("allocating a buffer", || {
            let buf = self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: true,
            });
            if !data.is_empty() {
                let fill = padded(data.len());
                let mut view = buf
                    .get_mapped_range_mut(..fill)
                    .expect("a buffer mapped at creation");
                if data.len() as u64 == fill {
                    view.copy_from_slice(data);
                } else {
                    let mut v = data.to_vec();
                    v.resize(fill as usize, 0);
                    view.copy_from_slice(&v);
                }
            }
            buf.unmap();
            buf
        })
    }

    /// A storage buffer holding `data` (`capacity` elements at least, for reuse); it can be copied
    /// from and to, so that a GPU-resident tensor may live in it.
    pub fn upload<T: Pod>(&self, label: &str, data: &[T], capacity: usize) -> Result<wgpu::Buffer> {
        let bytes = capacity.max(data.len()) * std::mem::size_of::<T>();
        self.buffer_holding(label, data, bytes, RESIDENT)
    }

    /// Overwrites the start of `buf`, which recorded commands may use, with `data`: they are
    /// submitted first (a queue write runs before the commands of the next submission).
    pub fn write<T: Pod>(&self, buf: &wgpu::Buffer, data: &[T]) -> Result<()> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        if bytes.is_empty() {
            return Ok(());
        }
        self.flush()?;
        if bytes.len().is_multiple_of(4) {
            self.queue.write_buffer(buf, 0, bytes);
        } else {
            let mut v = bytes.to_vec();
            v.resize(padded(bytes.len()) as usize, 0);
            self.queue.write_buffer(buf, 0, &v);
        }
        Ok(())
    }

    /// A uniform buffer holding `params`.
    pub fn uniform<P: Pod>(&self, params: &P) -> Result<wgpu::Buffer> {
        self.buffer_holding(
            "params",
            std::slice::from_ref(params),
            std::mem::size_of::<P>(),
            BufferUsages::UNIFORM,
        )
    }

    /// A storage buffer the kernel writes, of `len` elements of `T` (usable as a GPU-resident
    /// tensor afterwards).
    pub fn output<T: Pod>(&self, label: &str, len: usize) -> Result<wgpu::Buffer> {
        self.buffer(label, len * std::mem::size_of::<T>(), RESIDENT)
    }

    /// The grid for `n` invocations in workgroups of `group` along x: `[groups_x, rows, 1]`, with
    /// the workgroups laid out row by row (flat index `(x + y * groups_x) * group + local`) so
    /// that large jobs fit the adapter's limit per dimension.
    pub fn flat_grid(&self, n: usize, group: usize) -> [u32; 3] {
        let groups = n.div_ceil(group).max(1);
        let max = self.limits.max_compute_workgroups_per_dimension as usize;
        let gx = groups.min(max);
        [gx as u32, groups.div_ceil(gx) as u32, 1]
    }

    /// Binds `buffers` at bindings 0, 1, ... of group 0 and dispatches `groups` workgroups.
    pub fn dispatch(
        &self,
        pipeline: &Pipeline,
        buffers: &[&wgpu::Buffer],
        groups: [u32; 3],
    ) -> Result<()> {
        let max = self.limits.max_compute_workgroups_per_dimension;
        if groups.iter().any(|&g| g > max) {
            return Err(Error::Gpu(format!(
                "a dispatch of {groups:?} workgroups exceeds the adapter's {max} per dimension"
            )));
        }
        if groups.contains(&0) {
            return Ok(());
        }
        let bind = self.checked("binding a kernel's buffers", || {
            let entries: Vec<wgpu::BindGroupEntry> = buffers
                .iter()
                .enumerate()
                .map(|(i, b)| wgpu::BindGroupEntry {
                    binding: i as u32,
                    resource: b.as_entire_binding(),
                })
                .collect();
            self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &pipeline.layout,
                entries: &entries,
            })
        })?;
        self.record(|enc| {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: None,
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipeline.pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
        })
    }

    /// Copies the first `out.len()` elements of `buf` back into `out` (waits for the device).
    pub fn read_into<T: Pod>(&self, buf: &wgpu::Buffer, out: &mut [T]) -> Result<()> {
        let bytes = std::mem::size_of_val(out);
        if bytes == 0 {
            return Ok(());
        }
        let size = padded(bytes);
        let staging = self.buffer(
            "readback",
            bytes,
            BufferUsages::MAP_READ | BufferUsages::COPY_DST,
        )?;
        self.record(|enc| enc.copy_buffer_to_buffer(buf, 0, &staging, 0, size))?;
        self.flush()?;
        let (tx, rx) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        rx.recv()
            .map_err(|_| Error::Gpu("the GPU never answered a readback".into()))?
            .map_err(|e| Error::Gpu(format!("mapping GPU results failed: {e}")))?;
        {
            let view = staging
                .get_mapped_range(..)
                .map_err(|e| Error::Gpu(format!("reading GPU results failed: {e}")))?;
            let bytes_out: &mut [u8] = bytemuck::cast_slice_mut(out);
            bytes_out.copy_from_slice(&view[..bytes]);
        }
        staging.unmap();
        Ok(())
    }
}
