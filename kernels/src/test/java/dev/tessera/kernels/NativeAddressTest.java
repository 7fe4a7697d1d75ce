package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import org.junit.jupiter.api.Test;

/** The raw addresses handed to cuBLAS 13 through FFM: a JCuda handle's native pointer plus a view's byte offset. */
class NativeAddressTest {

    @Test
    void aDevicePointerViewAddsItsByteOffset() {
        CUdeviceptr base = NativeAddress.assign(new CUdeviceptr(), 0x7f00_0000_1000L);
        assertEquals(0x7f00_0000_1000L, NativeAddress.of(base));
        assertEquals(0x7f00_0000_1000L + 40, NativeAddress.of(base.withByteOffset(40)));
        assertEquals(0x7f00_0000_1000L + 48, NativeAddress.of(base.withByteOffset(40).withByteOffset(8)));
    }

    @Test
    void aStreamIsItsNativePointer() {
        assertEquals(0x1234_5678L, NativeAddress.of(NativeAddress.assign(new CUstream(), 0x1234_5678L)));
    }

    @Test
    void buffersPassTheAddressOfTheirFirstElement() {
        RecordingDriver d = new RecordingDriver(1L << 30);
        DeviceAllocator alloc = new DeviceAllocator(new DeviceAllocator.Raw() {
            @Override public CUdeviceptr malloc(long bytes) { return d.malloc(bytes); }
            @Override public void free(CUdeviceptr p) { d.free(p); }
            @Override public long[] memoryInfo() { return d.memoryInfo(); }
        });
        CudaBuffer b = new CudaBuffer(alloc.allocate(4000), this, 0, 1000, false);
        long base = NativeAddress.of(b.pointer());
        assertEquals(base + 4 * 250, NativeAddress.of(((CudaBuffer) b.slice(250, 10)).pointer()));
        alloc.close();
    }
}
