package dev.tessera.kernels;

import java.nio.ByteOrder;
import java.util.function.Supplier;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * {@link CudaDriver} on a real GPU: each method is one JCuda driver call, wrapped by
 * {@link CudaCallException#check} so a failure names the call and its size arguments. JCuda's exceptions are
 * switched on once here (a static, per-binding flag): a failed call throws instead of returning a code nobody reads.
 */
final class JCudaDriverCalls implements CudaDriver {
    static final JCudaDriverCalls INSTANCE = new JCudaDriverCalls();

    private JCudaDriverCalls() {}

    @Override
    public void init() {
        JCudaDriver.setExceptionsEnabled(true);
        CudaCallException.check("cuInit", () -> JCudaDriver.cuInit(0));
    }

    @Override
    public CUdevice device(int ordinal) {
        CUdevice d = new CUdevice();
        CudaCallException.check("cuDeviceGet(" + ordinal + ")", () -> JCudaDriver.cuDeviceGet(d, ordinal));
        return d;
    }

    @Override
    public CUcontext retainPrimaryContext(CUdevice device) {
        CUcontext c = new CUcontext();
        CudaCallException.check("cuDevicePrimaryCtxRetain", () -> JCudaDriver.cuDevicePrimaryCtxRetain(c, device));
        return c;
    }

    @Override
    public void releasePrimaryContext(CUdevice device) {
        CudaCallException.check("cuDevicePrimaryCtxRelease", () -> JCudaDriver.cuDevicePrimaryCtxRelease(device));
    }

    @Override
    public void resetPrimaryContext(CUdevice device) {
        CudaCallException.check("cuDevicePrimaryCtxReset", () -> JCudaDriver.cuDevicePrimaryCtxReset(device));
    }

    @Override
    public void setCurrent(CUcontext context) {
        CudaCallException.check("cuCtxSetCurrent", () -> JCudaDriver.cuCtxSetCurrent(context));
    }

    @Override
    public CUstream createStream() {
        CUstream s = new CUstream();
        CudaCallException.check("cuStreamCreate", () -> JCudaDriver.cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING));
        return s;
    }

    @Override
    public void destroyStream(CUstream stream) {
        CudaCallException.check("cuStreamDestroy", () -> JCudaDriver.cuStreamDestroy(stream));
    }

    @Override
    public void synchronize(CUstream stream) {
        CudaCallException.check("cuStreamSynchronize", () -> JCudaDriver.cuStreamSynchronize(stream));
    }

    @Override
    public long[] memoryInfo() {
        long[] free = {0}, total = {0};
        CudaCallException.check("cuMemGetInfo", () -> JCudaDriver.cuMemGetInfo(free, total));
        return new long[] {free[0], total[0]};
    }

    @Override
    public CUmodule loadModule(Supplier<byte[]> image) {
        byte[] bytes = image.get();
        CUmodule m = new CUmodule();
        CudaCallException.check("cuModuleLoadData(" + bytes.length + " bytes)", () -> JCudaDriver.cuModuleLoadData(m, bytes));
        return m;
    }

    @Override
    public CUfunction function(CUmodule module, String name) {
        CUfunction f = new CUfunction();
        CudaCallException.check("cuModuleGetFunction(" + name + ")", () -> JCudaDriver.cuModuleGetFunction(f, module, name));
        return f;
    }

    @Override
    public void unloadModule(CUmodule module) {
        CudaCallException.check("cuModuleUnload", () -> JCudaDriver.cuModuleUnload(module));
    }

    @Override
    public void allowSharedMemory(String name, CUfunction function, int bytes) {
        CudaCallException.check("cuFuncSetAttribute(" + name + ", max dynamic shared " + bytes + " bytes)",
                () -> JCudaDriver.cuFuncSetAttribute(function,
                        CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes));
    }

    @Override
    public void launch(String name, CUfunction function, LaunchConfig c, CUstream stream, KernelArgs args) {
        CudaCallException.check("cuLaunchKernel(" + name + ")", () -> JCudaDriver.cuLaunchKernel(function, c.gridX(), c.gridY(),
                c.gridZ(), c.blockX(), c.blockY(), c.blockZ(), c.sharedBytes(), stream, args.toPointer(), null));
    }

    @Override
    public CUdeviceptr malloc(long bytes) {
        CUdeviceptr p = new CUdeviceptr();
        try {
            JCudaDriver.cuMemAlloc(p, bytes);
            return p;
        } catch (CudaException e) {
            int code = CudaCallException.codeOf(e);
            if (code == CUresult.CUDA_ERROR_OUT_OF_MEMORY) return null;
            throw new CudaCallException("cuMemAlloc(" + bytes + " bytes)", code, e);
        }
    }

    @Override
    public void free(CUdeviceptr pointer) {
        CudaCallException.check("cuMemFree", () -> JCudaDriver.cuMemFree(pointer));
    }

    @Override
    public HostMemory mallocHost(long bytes) {
        Pointer p = new Pointer();
        CudaCallException.check("cuMemHostAlloc(" + bytes + " bytes)", () -> JCudaDriver.cuMemHostAlloc(p, bytes, 0));
        return new HostMemory(p, p.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder()));
    }

    @Override
    public void freeHost(HostMemory memory) {
        CudaCallException.check("cuMemFreeHost", () -> JCudaDriver.cuMemFreeHost(memory.pointer()));
    }

    @Override
    public void memset(CUdeviceptr pointer, int bits, long words, CUstream stream) {
        CudaCallException.check("cuMemsetD32Async(" + words + " words)", () -> JCudaDriver.cuMemsetD32Async(pointer, bits, words, stream));
    }

    @Override
    public void copyToDevice(CUdeviceptr dst, Pointer src, long bytes, CUstream stream) {
        CudaCallException.check("cuMemcpyHtoDAsync(" + bytes + " bytes)", () -> JCudaDriver.cuMemcpyHtoDAsync(dst, src, bytes, stream));
    }

    @Override
    public void copyToHost(Pointer dst, CUdeviceptr src, long bytes, CUstream stream) {
        CudaCallException.check("cuMemcpyDtoHAsync(" + bytes + " bytes)", () -> JCudaDriver.cuMemcpyDtoHAsync(dst, src, bytes, stream));
    }

    @Override
    public CUevent createEvent(boolean timing) {
        CUevent e = new CUevent();
        int flags = timing ? CUevent_flags.CU_EVENT_DEFAULT : CUevent_flags.CU_EVENT_DISABLE_TIMING;
        CudaCallException.check("cuEventCreate", () -> JCudaDriver.cuEventCreate(e, flags));
        return e;
    }

    @Override
    public void destroyEvent(CUevent event) {
        CudaCallException.check("cuEventDestroy", () -> JCudaDriver.cuEventDestroy(event));
    }

    @Override
    public void record(CUevent event, CUstream stream) {
        CudaCallException.check("cuEventRecord", () -> JCudaDriver.cuEventRecord(event, stream));
    }

    @Override
    public boolean query(CUevent event) {
        try {
            int r = JCudaDriver.cuEventQuery(event);
            if (r == CUresult.CUDA_ERROR_NOT_READY) return false;
            if (r != CUresult.CUDA_SUCCESS) throw new CudaCallException("cuEventQuery", r, null);
            return true;
        } catch (CudaException e) {   // with exceptions on, "not ready" arrives as an exception too
            int code = CudaCallException.codeOf(e);
            if (code == CUresult.CUDA_ERROR_NOT_READY) return false;
            throw new CudaCallException("cuEventQuery", code, e);
        }
    }

    @Override
    public void waitEvent(CUevent event) {
        CudaCallException.check("cuEventSynchronize", () -> JCudaDriver.cuEventSynchronize(event));
    }

    @Override
    public void streamWait(CUstream stream, CUevent event) {
        CudaCallException.check("cuStreamWaitEvent", () -> JCudaDriver.cuStreamWaitEvent(stream, event, 0));
    }

    @Override
    public float elapsedMillis(CUevent start, CUevent end) {
        float[] ms = {0};
        CudaCallException.check("cuEventElapsedTime", () -> JCudaDriver.cuEventElapsedTime(ms, start, end));
        return ms[0];
    }

    // ------------------------------------------------------------------ CUDA graphs

    @Override
    public void beginCapture(CUstream stream) {
        CudaCallException.check("cuStreamBeginCapture",
                () -> JCudaDriver.cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
    }

    @Override
    public CUgraph endCapture(CUstream stream) {
        CUgraph g = new CUgraph();
        CudaCallException.check("cuStreamEndCapture", () -> JCudaDriver.cuStreamEndCapture(stream, g));
        return g;
    }

    @Override
    public CUgraphExec instantiate(CUgraph graph) {
        CUgraphExec e = new CUgraphExec();
        CudaCallException.check("cuGraphInstantiate", () -> JCudaDriver.cuGraphInstantiate(e, graph, 0));
        return e;
    }

    @Override
    public void graphLaunch(CUgraphExec exec, CUstream stream) {
        CudaCallException.check("cuGraphLaunch", () -> JCudaDriver.cuGraphLaunch(exec, stream));
    }

    @Override
    public void destroyGraph(CUgraph graph) {
        CudaCallException.check("cuGraphDestroy", () -> JCudaDriver.cuGraphDestroy(graph));
    }

    @Override
    public void destroyGraphExec(CUgraphExec exec) {
        CudaCallException.check("cuGraphExecDestroy", () -> JCudaDriver.cuGraphExecDestroy(exec));
    }
}
